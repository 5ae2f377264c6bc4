// The field app (docs/architecture.md, "The field app (PWA)"): screens for collectors in
// villages with no signal. Records are made and kept on the phone (store.js) and sent by
// sync.js when there is network; nothing here talks to the server itself except to fetch a
// fresh CSRF token before setting up the phone. Vanilla ES modules, no build step.
//
// Screens (the URL's hash): #/ home, #/new/<kind>, #/r/<key> a record as the member sees it,
// #/setup the first online visit (and again after the chair switched the phone off: the
// records not sent stay on the phone and go with the new registration).

import { fold, openStore } from "./store.js";
import { createSync } from "./sync.js";
import * as money from "./money.js";
import { bluetoothAvailable, escpos, printBluetooth, row } from "./print.js";

const config = JSON.parse(document.getElementById("field-config").textContent);
const S = config.strings;
const app = document.getElementById("app");
const net = document.getElementById("net");
const toastBox = document.getElementById("toast");
const KINDS = ["receipt", "advance", "loan", "household"];
const PULL_EVERY_MS = 10 * 60 * 1000;
const PUSH_EVERY_MS = 60 * 1000;

let store = null;
let sync = null;
let sms = null; // the SMS hand-over module, when the server has it
let csrfToken = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
let busy = false;

// --- small helpers ------------------------------------------------------------------------

function t(key, vars) {
  const text = S[key] === undefined ? key : S[key];
  return text.replace(/\{(\w+)\}/g, (_m, name) => (vars && vars[name] !== undefined ? vars[name] : ""));
}

// h("p", {class: "x"}, "text", child): an element; text is always text (never HTML).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "text") el.textContent = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Children without the empty ones (replaceChildren would write "null").
function some(...children) {
  return children.flat().filter((c) => c !== null && c !== undefined && c !== false);
}

function toast(message) {
  toastBox.textContent = message;
  toastBox.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => toastBox.classList.remove("show"), 4000);
}

function vnd(amount) {
  return `${money.formatVnd(amount)} ₫`;
}

function unitLabel(code) {
  return config.units[code] || code;
}

function uuid() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// Now as "2026-12-03T08:15:00+07:00" (the phone's own offset).
function nowIso(date = new Date()) {
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

// "03/12/2026 08:15" in the phone's time.
function when(iso) {
  if (!iso) return t("never");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(date.getDate())}/${pad(date.getMonth() + 1)}/${date.getFullYear()} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function online() {
  return navigator.onLine !== false;
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// --- data the phone holds -------------------------------------------------------------------

async function tables() {
  const [points, products, prices, agreements, coop] = await Promise.all([
    store.all("points"),
    store.all("products"),
    store.all("prices"),
    store.all("agreements"),
    store.getMeta("coop"),
  ]);
  products.sort((a, b) => String(a.name).localeCompare(String(b.name), "vi"));
  points.sort((a, b) => String(a.name).localeCompare(String(b.name), "vi"));
  return { points, products, prices, agreements, coop: coop || {} };
}

// Households registered on this phone and not yet in the member list: members at once.
async function localHouseholds() {
  const records = await store.listRecords();
  const members = await store.all("members");
  const known = new Set(members.map((m) => String(m.uuid)));
  return records
    .filter((r) => r.kind === "household" && !["refused", "conflict"].includes(r.state))
    .filter((r) => !(r.member && known.has(String(r.member))))
    .map((r) => ({
      key: r.key,
      uuid: r.member || r.key,
      name: r.body.name,
      village: r.body.village,
      phone: r.body.phone,
      provisional: true,
      _s: fold([r.body.name, r.body.village, r.body.phone].join(" ")),
    }));
}

async function findMembers(text) {
  const words = fold(text).split(" ").filter(Boolean);
  const local = (await localHouseholds()).filter((m) => words.every((w) => m._s.includes(w)));
  const found = await store.searchMembers(text, { limit: 30 });
  return [...local, ...found].slice(0, 30);
}

async function counts() {
  const records = await store.listRecords();
  const waiting = records.filter((r) => r.state === "waiting").length;
  return { waiting, sent: records.length - waiting, records };
}

// --- the network and the sync ---------------------------------------------------------------

function showNetwork() {
  const status = sync ? sync.status() : {};
  const on = online();
  net.textContent = status.running === "push" ? t("sending") : on ? t("online") : t("offline");
  net.classList.toggle("off", !on);
}

async function syncNow({ pull = true } = {}) {
  if (!sync || !online() || !(await store.getMeta("device"))) return null;
  const pushed = await sync.pushWaiting();
  if (pushed && pushed.ok !== false) await store.setMeta("lastSync", new Date().toISOString());
  if (pull) {
    const pulled = await sync.pull();
    if (pulled && pulled.ok) await store.setMeta("pulledAt", new Date().toISOString());
  }
  refresh();
  return pushed;
}

function onSyncChange(event) {
  showNetwork();
  if (["record", "end", "pulled", "blocked", "registered"].includes(event.type)) refresh();
}

// Repaint the screen when it only shows data (never a form being filled in).
let refreshTimer = null;
function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    const screen = app.dataset.screen;
    if (screen === "home" || screen === "record") route();
  }, 50);
}

// --- screens ----------------------------------------------------------------------------------

function screen(name, title, ...children) {
  app.dataset.screen = name;
  app.replaceChildren(h("h1", {}, title), ...some(children));
  document.title = `${title} · ${config.coop}`;
}

function backLink() {
  return h("a", { class: "back", href: "#/" }, `← ${t("home")}`);
}

async function showSetup({ again = false } = {}) {
  const name = h("input", {
    id: "phone-name",
    name: "name",
    value: t("phoneNameDefault", { name: config.user }),
    maxlength: "60",
    autocomplete: "off",
    required: true,
  });
  const message = h("p", { class: "alert", hidden: true, role: "alert" });
  const button = h("button", { class: "big primary", type: "submit" }, t("register"));
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        if (!online()) {
          message.textContent = t("needNetwork");
          message.hidden = false;
          return;
        }
        button.disabled = true;
        await refreshCsrf();
        const result = await sync.registerDevice(name.value.trim() || t("phoneNameDefault", { name: config.user }));
        button.disabled = false;
        if (!result.ok) {
          message.textContent = t("error", { error: result.message || result.error || "" });
          message.hidden = false;
          return;
        }
        await store.setMeta("user", config.userId);
        app.replaceChildren(h("h1", {}, t("firstPull")));
        const pulled = await sync.pull();
        if (pulled && pulled.ok) await store.setMeta("pulledAt", new Date().toISOString());
        go("#/");
        if (again) syncNow({ pull: false }); // the records kept on the phone go now
      },
    },
    h("p", {}, again ? t("setupAgainHelp") : t("setupHelp")),
    h("label", { for: "phone-name" }, t("phoneName")),
    name,
    message,
    button,
  );
  screen(
    "setup",
    again ? t("setupAgainTitle") : t("setupTitle"),
    again ? backLink() : null,
    h("p", { class: "muted" }, t("signedInAs", { name: config.user })),
    form,
  );
}

async function refreshCsrf() {
  // The shell may come from the phone's cache with an old token: ask the server for the page.
  try {
    const response = await fetch(`${config.urls.shell}?fresh=1`, { credentials: "same-origin", cache: "no-store" });
    if (response.ok && !response.redirected) {
      const found = /<meta name="csrf-token" content="([^"]+)"/.exec(await response.text());
      if (found) csrfToken = found[1];
    } else if (response.redirected) {
      location.href = `${config.urls.login}?next=${encodeURIComponent(config.urls.shell)}`;
    }
  } catch {
    // offline: keep the token we have
  }
}

const STATE_CLASS = {
  waiting: "wait",
  sending: "wait",
  applied: "ok",
  flagged: "warn",
  pending: "warn",
  refused: "bad",
  conflict: "bad",
};

function badge(record) {
  return h("span", { class: `badge ${STATE_CLASS[record.state] || ""}` }, t(`state_${record.state}`));
}

function recordTitle(record) {
  return t(record.kind);
}

function recordAmount(record) {
  const b = record.body || {};
  if (record.kind === "receipt") return vnd(b.total);
  if (record.kind === "advance") return vnd(b.amount);
  if (record.kind === "loan") return vnd(b.value);
  return "";
}

function recordWho(record) {
  if (record.kind === "household") return record.body.name;
  return (record.show && record.show.member) || "";
}

async function showHome() {
  const device = await store.getMeta("device");
  if (!device) return showSetup();
  const { waiting, sent, records } = await counts();
  const [lastSync, pulledAt, blocked] = await Promise.all([
    store.getMeta("lastSync"),
    store.getMeta("pulledAt"),
    store.getMeta("blocked"),
  ]);
  const sendButton = h(
    "button",
    {
      class: "big primary",
      id: "send-now",
      type: "button",
      disabled: busy || !!blocked,
      onclick: async () => {
        if (!online()) {
          toast(t("offline"));
          return;
        }
        busy = true;
        sendButton.disabled = true;
        sendButton.textContent = t("sending");
        try {
          await syncNow();
        } finally {
          busy = false;
          refresh();
        }
      },
    },
    busy ? t("sending") : t("sendNow"),
  );
  const status = h(
    "section",
    { class: "card status", "aria-label": t("waiting") },
    h(
      "div",
      { class: "counts" },
      h("p", { class: "count" }, h("strong", { id: "count-waiting" }, String(waiting)), h("span", {}, t("waiting"))),
      h("p", { class: "count" }, h("strong", { id: "count-sent" }, String(sent)), h("span", {}, t("sent"))),
    ),
    h("p", { class: "muted small" }, `${t("lastSync")}: ${when(lastSync)} · ${t("dataAge", { when: when(pulledAt) })}`),
    blocked ? h("p", { class: "alert", role: "alert" }, t("blocked", { message: blocked.message || "" })) : null,
    blocked ? h("a", { class: "big secondary", id: "setup-again", href: "#/setup" }, t("setupAgain")) : null,
    sendButton,
  );
  const tiles = h(
    "nav",
    { class: "tiles", "aria-label": t("newRecord") },
    KINDS.map((kind) => h("a", { class: `tile tile-${kind}`, href: `#/new/${kind}` }, t(`new${kind[0].toUpperCase()}${kind.slice(1)}`))),
  );
  const list = records.length
    ? h(
        "ul",
        { class: "records", id: "records" },
        records
          .slice()
          .reverse()
          .slice(0, 100)
          .map((r) =>
            h(
              "li",
              { "data-key": r.key, "data-state": r.state },
              h(
                "a",
                { href: `#/r/${r.key}` },
                h("span", { class: "rec-main" }, h("strong", {}, `${recordTitle(r)} ${r.no}`), h("span", {}, recordWho(r))),
                h("span", { class: "rec-side" }, h("span", { class: "num" }, recordAmount(r)), badge(r), r.number ? h("span", { class: "server-no" }, r.number) : null),
              ),
            ),
          ),
      )
    : h("p", { class: "muted" }, t("noRecords"));
  screen("home", config.coop, status, tiles, h("h2", {}, t("records")), list);
  app.querySelector("h1").classList.add("sr-only");
}

// A field with its label and error line.
function field(id, label, input, help) {
  input.id = id;
  const error = h("p", { class: "error", id: `${id}-error`, hidden: true });
  input.setAttribute("aria-describedby", `${id}-error`);
  return {
    el: h("div", { class: "field" }, h("label", { for: id }, label), input, help ? h("p", { class: "help" }, help) : null, error),
    input,
    error(message) {
      error.textContent = message || "";
      error.hidden = !message;
      input.setAttribute("aria-invalid", message ? "true" : "false");
    },
  };
}

function select(options, value) {
  const el = h("select", {});
  for (const [v, label] of options) {
    const option = h("option", { value: v }, label);
    if (String(v) === String(value)) option.selected = true;
    el.append(option);
  }
  return el;
}

// The member picker: a search box and the matches as big buttons.
function memberPicker(onChoose) {
  const state = { member: null };
  const input = h("input", { type: "search", autocomplete: "off", placeholder: t("searchMember"), enterkeyhint: "search" });
  const wrap = field("member-search", t("member"), input);
  const results = h("ul", { class: "picks", id: "member-results" });
  const chosen = h("div", { class: "chosen", hidden: true });
  async function search() {
    const text = input.value.trim();
    if (!text) {
      results.replaceChildren();
      return;
    }
    const found = await findMembers(text);
    results.replaceChildren(
      ...(found.length
        ? found.map((m) =>
            h(
              "li",
              {},
              h(
                "button",
                { type: "button", class: "pick", onclick: () => choose(m) },
                h("strong", {}, m.name),
                h("span", {}, [m.village, m.phone, m.no].filter(Boolean).join(" · ")),
                m.provisional ? h("span", { class: "badge warn" }, t("provisional")) : null,
              ),
            ),
          )
        : [h("li", { class: "muted" }, t("noMemberFound"))]),
    );
  }
  function choose(member) {
    state.member = member;
    wrap.el.hidden = true;
    results.replaceChildren();
    chosen.hidden = false;
    chosen.replaceChildren(
      h("p", {}, h("strong", { class: "chosen-name" }, member.name), h("span", {}, [member.village, member.phone].filter(Boolean).join(" · "))),
      h(
        "button",
        {
          type: "button",
          class: "link",
          onclick: () => {
            state.member = null;
            chosen.hidden = true;
            wrap.el.hidden = false;
            input.value = "";
            input.focus();
            onChoose(null);
          },
        },
        t("change"),
      ),
    );
    wrap.error("");
    onChoose(member);
  }
  input.addEventListener("input", search);
  return {
    el: h("div", { class: "member" }, wrap.el, results, chosen),
    get member() {
      return state.member;
    },
    error: wrap.error,
  };
}

function memberRef(member) {
  return String(member.uuid || member.key);
}

// A new record, waiting to be sent. `extra`: a copy's own fields (its time, what it copies).
async function saveRecord(kind, body, show, extra = {}) {
  const device = await store.getMeta("device");
  const record = {
    key: uuid(),
    kind,
    no: await store.nextNo(device && device.prefix),
    at: nowIso(),
    body,
    show,
    ...extra,
    state: "waiting",
  };
  await store.putRecord(record);
  toast(t("saved"));
  go(`#/r/${record.key}`);
  if (online()) syncNow({ pull: false });
  return record;
}

function saveButton() {
  return h("button", { class: "big primary", type: "submit" }, t("save"));
}

async function showReceipt() {
  const data = await tables();
  // Only what can be bought: products with a price in force, or a fixed price in an agreement.
  const buyable = new Set([
    ...data.prices.map((p) => String(p.product)),
    ...data.agreements.filter((a) => a.rule === "fixed" && a.fixed).map((a) => String(a.product)),
  ]);
  data.products = data.products.filter((p) => buyable.has(String(p.id)));
  const kgPerTa = Number(data.coop.kg_per_ta) || 100;
  const today = nowIso().slice(0, 10);
  const picker = memberPicker(() => recompute());
  const point = field(
    "point",
    t("point"),
    select([["", t("none")], ...data.points.map((p) => [p.id, p.village ? `${p.name} (${p.village})` : p.name])], ""),
  );
  const lines = [];
  const linesBox = h("div", { class: "lines" });
  const totalEl = h("output", { class: "total-num", id: "receipt-total" }, vnd(0));
  const note = field("note", t("note"), h("input", { maxlength: "200", autocomplete: "off" }));

  function addLine() {
    const n = lines.length;
    const product = select(data.products.map((p) => [p.id, p.name]), data.products[0] && data.products[0].id);
    const grade = h("select", {});
    const qty = h("input", { inputmode: "decimal", autocomplete: "off", class: "num-input" });
    const unit = h("select", {});
    const ded = h("input", { inputmode: "decimal", autocomplete: "off", value: "0", class: "num-input" });
    const f = {
      product: field(`product-${n}`, t("product"), product),
      grade: field(`grade-${n}`, t("grade"), grade),
      qty: field(`qty-${n}`, t("quantity"), qty),
      unit: field(`unit-${n}`, t("unit"), unit),
      ded: field(`ded-${n}`, t("deduction"), ded),
    };
    const priceOut = h("p", { class: "price", id: `price-${n}` });
    const amountOut = h("p", { class: "amount" });
    const line = { f, priceOut, amountOut, result: null };
    function fillChoices() {
      const p = data.products.find((x) => String(x.id) === product.value);
      const grades = [...new Set(data.prices.filter((x) => String(x.product) === product.value).map((x) => Number(x.grade)))].sort();
      grade.replaceChildren(...(grades.length ? grades : [1]).map((g) => h("option", { value: g }, t("gradeN", { n: g }))));
      const units = p ? (Array.isArray(p.units) && p.units.length ? p.units : [p.base_unit]) : [];
      unit.replaceChildren(...units.map((u) => h("option", { value: u }, unitLabel(u))));
    }
    product.addEventListener("change", () => {
      fillChoices();
      recompute();
    });
    for (const el of [grade, qty, unit, ded]) el.addEventListener("input", recompute);
    for (const el of [grade, unit]) el.addEventListener("change", recompute);
    fillChoices();
    line.el = h(
      "fieldset",
      { class: "line card" },
      h("legend", {}, `${t("product")} ${n + 1}`),
      f.product.el,
      h("div", { class: "row2" }, f.qty.el, f.unit.el),
      h("div", { class: "row2" }, f.grade.el, f.ded.el),
      priceOut,
      amountOut,
    );
    lines.push(line);
    linesBox.append(line.el);
    recompute();
  }

  function compute(line) {
    const f = line.f;
    const p = data.products.find((x) => String(x.id) === f.product.input.value);
    const member = picker.member;
    const { price, rule } = money.priceFor({
      prices: data.prices,
      agreements: data.agreements,
      member,
      product: f.product.input.value,
      grade: f.grade.input.value,
      day: today,
    });
    line.price = price;
    line.priceOut.replaceChildren(
      ...some(
      price === null
        ? h("span", { class: "error" }, t("noPrice"))
        : h("span", {}, `${t("price")}: `, h("strong", { class: "num" }, vnd(price)), ` ${t("perUnit", { unit: p ? unitLabel(p.base_unit) : "" })}`),
      rule ? h("span", { class: "badge ok" }, t(rule === "fixed" ? "fixedPrice" : "floorPrice")) : null,
      ),
    );
    const qtyText = f.qty.input.value.trim();
    const dedText = f.ded.input.value.trim() || "0";
    const qty = qtyText ? money.parseQuantity(qtyText) : null;
    const ded = money.parseQuantity(dedText);
    line.result = null;
    f.qty.error(qtyText && qty === null ? t("badNumber") : "");
    f.ded.error(ded === null ? t("badNumber") : "");
    if (!p || qty === null || ded === null) {
      line.amountOut.textContent = "";
      return null;
    }
    const result = money.priceLine({ qty, unit: f.unit.input.value, baseUnit: p.base_unit, ded, price, kgPerTa });
    if (result.error && result.error !== "noPrice") {
      (result.error === "deductionRange" ? f.ded : f.qty).error(t(result.error));
      line.amountOut.textContent = "";
      return null;
    }
    const echo = `= ${money.formatQuantity(qty)} ${unitLabel(f.unit.input.value)} → ${t("net")} ${money.formatQuantity(result.net)} ${unitLabel(p.base_unit)}`;
    line.amountOut.replaceChildren(
      ...some(h("span", { class: "muted small" }, echo), result.amount !== undefined ? h("span", { class: "line-amount num" }, vnd(result.amount)) : null),
    );
    line.result = { ...result, qty, ded, product: p };
    return line.result;
  }

  function recompute() {
    let total = 0;
    for (const line of lines) {
      const result = compute(line);
      if (result && result.amount !== undefined) total += result.amount;
    }
    totalEl.textContent = vnd(total);
    return total;
  }

  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const member = picker.member;
        let ok = true;
        if (!member) {
          picker.error(t("chooseMember"));
          ok = false;
        }
        const total = recompute();
        const body = { member: member ? memberRef(member) : "", point: point.input.value ? Number(point.input.value) : null, lines: [], total, note: note.input.value.trim() };
        const showLines = [];
        for (const line of lines) {
          const f = line.f;
          if (!f.qty.input.value.trim()) {
            f.qty.error(t("required"));
            ok = false;
            continue;
          }
          const r = line.result;
          if (!r || r.amount === undefined) {
            ok = false;
            continue;
          }
          body.lines.push({ product: Number(r.product.id), grade: Number(f.grade.input.value), qty: r.qty, unit: f.unit.input.value, ded: r.ded, price: line.price });
          showLines.push({ product: r.product.name, grade: Number(f.grade.input.value), qty: r.qty, unit: f.unit.input.value, ded: r.ded, price: line.price, base: r.product.base_unit, net: r.net, amount: r.amount });
        }
        if (!ok || !body.lines.length) {
          const bad = form.querySelector("[aria-invalid=true]");
          if (bad) bad.focus();
          return;
        }
        await saveRecord("receipt", body, { member: member.name, village: member.village || "", lines: showLines });
      },
    },
    picker.el,
    point.el,
    linesBox,
    h("button", { type: "button", class: "secondary", onclick: () => addLine() }, `+ ${t("product")}`),
    note.el,
    h("p", { class: "total" }, h("span", {}, t("total")), totalEl),
    saveButton(),
  );
  addLine();
  screen("form", t("newReceipt"), backLink(), form);
  picker.el.querySelector("input").focus();
}

async function showMoney(kind) {
  const data = await tables();
  const picker = memberPicker(() => {});
  const amount = field(kind === "loan" ? "value" : "amount", kind === "loan" ? t("value") : t("amountVnd"), h("input", { inputmode: "numeric", autocomplete: "off", class: "num-input" }));
  const echo = h("p", { class: "echo num", id: "amount-echo" });
  const limit = Number(data.coop.advance_limit_vnd) || 0;
  amount.input.addEventListener("input", () => {
    const value = money.parseVnd(amount.input.value);
    echo.textContent = value ? vnd(value) : "";
    amount.error(amount.input.value.trim() && value === null ? t("badMoney") : "");
    if (kind === "advance" && value && limit && value > limit) echo.append(h("span", { class: "badge warn" }, t("overLimit", { limit: vnd(limit) })));
  });
  const memo = field("memo", t("memo"), h("input", { maxlength: "200", autocomplete: "off" }));
  const extra = [];
  let item;
  let qty;
  let unit;
  if (kind === "loan") {
    item = field("item", t("item"), h("input", { maxlength: "120", autocomplete: "off" }));
    qty = field("loan-qty", t("quantity"), h("input", { inputmode: "decimal", autocomplete: "off", class: "num-input" }));
    unit = field("loan-unit", t("unit"), h("input", { maxlength: "20", autocomplete: "off", value: "kg" }));
    extra.push(item.el, h("div", { class: "row2" }, qty.el, unit.el));
  }
  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const member = picker.member;
        let ok = true;
        if (!member) {
          picker.error(t("chooseMember"));
          ok = false;
        }
        const value = money.parseVnd(amount.input.value);
        if (value === null || value <= 0) {
          amount.error(value === null ? t("badMoney") : t("mustBePositive"));
          ok = false;
        }
        let q = null;
        if (kind === "loan") {
          if (!item.input.value.trim()) {
            item.error(t("required"));
            ok = false;
          } else item.error("");
          q = money.parseQuantity(qty.input.value);
          if (q === null || money.toMilli(q) === null || money.toMilli(q) <= 0n) {
            qty.error(q === null ? t("badNumber") : t("mustBePositive"));
            ok = false;
          } else qty.error("");
        }
        if (!ok) {
          const bad = form.querySelector("[aria-invalid=true]");
          if (bad) bad.focus();
          return;
        }
        const show = { member: member.name, village: member.village || "" };
        if (kind === "advance") {
          await saveRecord("advance", { member: memberRef(member), amount: value, memo: memo.input.value.trim() }, show);
        } else {
          await saveRecord(
            "loan",
            { member: memberRef(member), item: item.input.value.trim(), qty: q, unit: unit.input.value.trim(), value, memo: memo.input.value.trim() },
            show,
          );
        }
      },
    },
    picker.el,
    ...extra,
    amount.el,
    echo,
    memo.el,
    saveButton(),
  );
  screen("form", t(kind === "loan" ? "newLoan" : "newAdvance"), backLink(), form);
  picker.el.querySelector("input").focus();
}

async function showHousehold() {
  const name = field("hh-name", t("name"), h("input", { maxlength: "120", autocomplete: "off", required: true }));
  const phone = field("hh-phone", t("phone"), h("input", { type: "tel", inputmode: "tel", maxlength: "15", autocomplete: "off" }));
  const placesKnown = config.places || { commune: null, communes: [], villages: [] };
  const village = field("hh-village", t("village"), h("input", { maxlength: "120", autocomplete: "off", list: "villages" }));
  const villageList = h("datalist", { id: "villages" }, placesKnown.villages.map(([name]) => h("option", { value: name })));
  const commune = field("hh-commune", t("commune"), select(placesKnown.communes, placesKnown.commune));
  village.input.addEventListener("change", () => {
    // A known village sets its commune.
    const found = placesKnown.villages.find(([name]) => fold(name) === fold(village.input.value));
    if (found) commune.input.value = String(found[1]);
  });
  const gender = field("hh-gender", t("gender"), select([["", "—"], ["female", t("female")], ["male", t("male")]], ""));
  const year = field("hh-year", t("birthYear"), h("input", { inputmode: "numeric", maxlength: "4", autocomplete: "off", class: "num-input" }));
  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        let ok = true;
        const fullName = name.input.value.trim().replace(/\s+/g, " ");
        name.error(fullName ? "" : t("required"));
        ok = ok && !!fullName;
        const digits = phone.input.value.replace(/[\s.\-]/g, "").replace(/^\+84/, "0").replace(/^84(?=\d{9}$)/, "0");
        const phoneOk = !digits || /^0\d{9}$/.test(digits);
        phone.error(phoneOk ? "" : t("badPhone"));
        ok = ok && phoneOk;
        const yearText = year.input.value.trim();
        const thisYear = new Date().getFullYear();
        const yearOk = !yearText || (/^\d{4}$/.test(yearText) && Number(yearText) >= 1900 && Number(yearText) <= thisYear);
        year.error(yearOk ? "" : t("badYear"));
        ok = ok && yearOk;
        if (!ok) {
          const bad = form.querySelector("[aria-invalid=true]");
          if (bad) bad.focus();
          return;
        }
        await saveRecord(
          "household",
          {
            name: fullName,
            phone: digits,
            village: village.input.value.trim(),
            commune: Number(commune.input.value) || placesKnown.commune,
            gender: gender.input.value,
            ethnicity: "",
            birth_year: yearText ? Number(yearText) : null,
          },
          { member: fullName, village: village.input.value.trim() },
        );
      },
    },
    h("p", { class: "muted" }, t("provisional")),
    name.el,
    phone.el,
    village.el,
    villageList,
    commune.el,
    h("div", { class: "row2" }, gender.el, year.el),
    saveButton(),
  );
  screen("form", t("newHousehold"), backLink(), form);
  name.input.focus();
}

// --- a record as the member sees it -----------------------------------------------------------

function printBlocks(record) {
  const b = record.body;
  const show = record.show || {};
  const blocks = [{ text: config.coop, centre: true, bold: true }, { text: recordTitle(record), centre: true }];
  blocks.push(row(t("phoneNo"), record.no));
  if (record.number) blocks.push(row(t("serverNo"), record.number));
  blocks.push(row(t("dateTime"), when(record.at)));
  blocks.push(show.member || b.name || "");
  for (const line of show.lines || []) {
    blocks.push(`${line.product} - ${t("gradeN", { n: line.grade })}`);
    blocks.push(row(`${money.formatQuantity(line.qty)} ${unitLabel(line.unit)} -${money.formatQuantity(line.ded)}%`, `${money.formatQuantity(line.net)} ${unitLabel(line.base)}`));
    blocks.push(row(`x ${money.formatVnd(line.price)}`, money.formatVnd(line.amount)));
  }
  const amount = recordAmount(record);
  if (amount) blocks.push({ text: row(t("total"), amount.replace(" ₫", "")), bold: true });
  return blocks;
}

async function showRecord(key) {
  const record = await store.getRecord(key);
  if (!record) return go("#/");
  const b = record.body || {};
  const show = record.show || {};
  const card = h(
    "article",
    { class: "receipt-card", id: "receipt-card" },
    h("p", { class: "rc-coop" }, config.coop),
    h("p", { class: "rc-kind" }, t(`new${record.kind[0].toUpperCase()}${record.kind.slice(1)}`)),
    h(
      "dl",
      { class: "rc-ids" },
      h("dt", {}, t("phoneNo")),
      h("dd", { class: "num", id: "rc-no" }, record.no),
      h("dt", {}, t("serverNo")),
      h("dd", { class: "num", id: "rc-number" }, record.number || "—"),
      h("dt", {}, t("dateTime")),
      h("dd", {}, when(record.at)),
    ),
    h("p", { class: "rc-member" }, show.member || b.name || "", show.village ? h("span", {}, show.village) : null),
    record.kind === "receipt"
      ? h(
          "ul",
          { class: "rc-lines" },
          (show.lines || []).map((line) =>
            h(
              "li",
              {},
              h("strong", {}, `${line.product} · ${t("gradeN", { n: line.grade })}`),
              h("span", {}, `${money.formatQuantity(line.qty)} ${unitLabel(line.unit)} − ${money.formatQuantity(line.ded)}% = ${money.formatQuantity(line.net)} ${unitLabel(line.base)}`),
              h("span", {}, `× ${vnd(line.price)} = `, h("strong", { class: "num" }, vnd(line.amount))),
            ),
          ),
        )
      : null,
    record.kind === "loan" ? h("p", {}, `${b.item}: ${money.formatQuantity(b.qty)} ${b.unit}`) : null,
    record.kind === "household" ? h("p", {}, [b.phone, b.birth_year].filter(Boolean).join(" · ")) : null,
    recordAmount(record) ? h("p", { class: "rc-total" }, h("span", {}, t("total")), h("strong", { class: "num", id: "rc-total" }, recordAmount(record))) : null,
    h("p", { class: "rc-state" }, badge(record)),
    record.message ? h("p", { class: `rc-message ${STATE_CLASS[record.state] || ""}`, role: "status" }, record.message) : null,
  );
  const actions = h("div", { class: "actions no-print" });
  actions.append(h("button", { type: "button", class: "secondary", onclick: () => window.print() }, t("print")));
  const btNote = h("p", { class: "muted small", role: "status" });
  if (bluetoothAvailable()) {
    actions.append(
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: async () => {
            try {
              await printBluetooth(escpos(printBlocks(record)));
              btNote.textContent = t("btPrinted");
            } catch (error) {
              btNote.textContent = t("btFailed", { error: error.message || String(error) });
            }
          },
        },
        t("printBt"),
      ),
    );
  } else {
    btNote.textContent = t("noBluetooth");
  }
  if (record.state === "refused" || record.state === "conflict") {
    // A new record with the same contents, a new key and number, dated as the first (the
    // purchase happened then): to send again once the cause is fixed (a member back).
    actions.append(
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          id: "copy-record",
          onclick: () => saveRecord(record.kind, record.body, record.show, { at: record.at, copy_of: record.key }),
        },
        t("copyRecord"),
      ),
    );
  }
  const smsBox = await smsHandover(record);
  screen(
    "record",
    `${recordTitle(record)} ${record.no}`,
    backLink(),
    h("p", { class: "muted small no-print" }, t("showMember")),
    card,
    actions,
    btNote,
    smsBox,
    h("a", { class: "big primary no-print", href: "#/" }, t("home")),
  );
}

// The SMS hand-over (hoptac/static/hoptac/field/sms.js): a waiting record as one SMS.
async function smsHandover(record) {
  if (record.state !== "waiting") return null;
  const device = await store.getMeta("device");
  if (!device || !device.sms_number || !device.sms_key) return null;
  if (!sms) {
    try {
      sms = await import("./sms.js");
    } catch {
      return null;
    }
  }
  let text;
  try {
    if (sms.canEncode && !sms.canEncode(record, { smsKey: device.sms_key, coopCode: config.slug })) return null;
    text = sms.encodeRecord(record, { smsKey: device.sms_key, coopCode: config.slug });
  } catch {
    return null;
  }
  return h(
    "section",
    { class: "card sms no-print" },
    h("p", { class: "small" }, t("smsHelp")),
    h(
      "a",
      {
        class: "big secondary",
        id: "sms-link",
        href: sms.smsLink(device.sms_number, text),
        onclick: () => {
          store.updateRecord(record.key, { via: "sms", sms_at: new Date().toISOString() });
          toast(t("smsOpened"));
        },
      },
      t("sms"),
    ),
  );
}

// --- routing and start ------------------------------------------------------------------------

// Screens are drawn after reading the store, so two routes can overlap: a repaint of the
// record screen (a sync event) still reading when the collector taps "← Home". Whichever
// finishes last draws; if the address changed meanwhile, it draws the address's screen again.
async function route() {
  const hash = location.hash || "#/";
  await draw(hash);
  if ((location.hash || "#/") !== hash) await route();
}

async function draw(hash) {
  const device = await store.getMeta("device");
  if (!device) return showSetup();
  const [, what, arg] = hash.split("/");
  if (what === "setup") return showSetup({ again: true });
  if (what === "new" && arg === "receipt") return showReceipt();
  if (what === "new" && (arg === "advance" || arg === "loan")) return showMoney(arg);
  if (what === "new" && arg === "household") return showHousehold();
  if (what === "r" && arg) return showRecord(decodeURIComponent(arg));
  return showHome();
}

async function start() {
  try {
    store = await openStore(config.slug);
  } catch (error) {
    app.replaceChildren(h("h1", {}, t("app")), h("p", { class: "alert", role: "alert" }, t("storageError")));
    return;
  }
  sync = createSync({ slug: config.slug, store, onChange: onSyncChange, csrf: () => csrfToken });
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => {
    showNetwork();
    syncNow();
  });
  window.addEventListener("offline", showNetwork);
  showNetwork();
  await route();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.urls.sw, { scope: config.urls.shell }).catch(() => {});
  }
  if (online()) syncNow();
  setInterval(async () => {
    if (!online() || busy) return;
    const { waiting } = await counts();
    if (waiting) syncNow({ pull: false });
  }, PUSH_EVERY_MS);
  setInterval(() => online() && syncNow(), PULL_EVERY_MS);
  // Tests and the SMS hook reach the running app here.
  window.hoptacField = { store, sync, syncNow, config };
}

start();
