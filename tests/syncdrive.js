// Evaluated in a page of the real server (through the fault proxy) by tests/syncdrive.py:
// loads the field app's own sync.js from the server, registers a device with the signed-in
// session, makes `count` records on the "phone" and pushes them all with the client's own
// retry logic until none is waiting. Returns what the phone holds at the end.
async ({ slug, spec, count, seed, options, storeKind }) => {
  const { createSync } = await import("/static/hoptac/field/sync.js");

  function memoryStore() {
    const meta = new Map();
    const records = new Map();
    const tables = {};
    const copy = (r) => (r ? { ...r } : null);
    return {
      async getMeta(k) { return meta.has(k) ? meta.get(k) : null; },
      async setMeta(k, v) { if (v === null || v === undefined) meta.delete(k); else meta.set(k, v); },
      async putRecord(r) {
        if (records.has(r.key)) throw new Error("key already on the phone");
        const record = { state: "waiting", number: "", message: "", tries: 0, sent_at: null, via: "api", ...r };
        records.set(r.key, record);
        return copy(record);
      },
      async getRecord(key) { return copy(records.get(key)); },
      async listRecords({ state } = {}) {
        return [...records.values()].filter((r) => !state || r.state === state).map(copy);
      },
      async updateRecord(key, patch) {
        const found = records.get(key);
        if (!found) throw new Error("no such record");
        records.set(key, { ...found, ...patch, key });
        return copy(records.get(key));
      },
      async replaceTable(name, rows) { tables[name] = rows; },
      async upsertRows(name, rows) { tables[name] = (tables[name] || []).concat(rows); },
      async removeRows(name, ids) {
        tables[name] = (tables[name] || []).filter((row) => !ids.includes(row.id));
      },
      async all(name) { return tables[name] || []; },
      async searchMembers() { return []; },
    };
  }

  let store;
  if (storeKind === "indexeddb") {
    const { openStore } = await import("/static/hoptac/field/store.js");
    store = await openStore(slug);
  } else {
    store = memoryStore();
  }

  // A small seeded generator: the same records for the same seed (keys apart).
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (list) => list[Math.floor(rand() * list.length)];

  const sync = createSync({ slug, store, random: rand, ...options });
  const registered = await sync.registerDevice("Fault test phone");
  if (!registered.ok) throw new Error(`registration failed: ${JSON.stringify(registered)}`);
  const prefix = registered.device.prefix;

  const started = Date.now();
  const made = { receipt: 0, advance: 0, loan: 0 };
  for (let i = 0; i < count; i += 1) {
    const roll = rand();
    const kind = roll < spec.share.receipt ? "receipt" : roll < spec.share.receipt + spec.share.advance ? "advance" : "loan";
    const member = pick(spec.members);
    // In the past, one a second, the oldest first: the collector's day.
    const at = new Date(started - (count - i) * 1000).toISOString();
    let body;
    if (kind === "receipt") {
      const line = pick(spec.lines);
      const qty = 1 + Math.floor(rand() * 40);
      body = {
        member,
        point: spec.point,
        lines: [{ product: line.product, grade: line.grade, qty: String(qty), unit: line.unit, ded: "0", price: line.price }],
        total: qty * line.price,
        note: "",
      };
    } else if (kind === "advance") {
      body = { member, amount: spec.advance, memo: "" };
    } else {
      body = { member, item: "Phân NPK", qty: "1", unit: "bao", value: spec.loan, memo: "" };
    }
    made[kind] += 1;
    await store.putRecord({ key: crypto.randomUUID(), kind, no: `${prefix}-${String(i + 1).padStart(4, "0")}`, at, body });
  }

  const t0 = performance.now();
  let rounds = 0;
  let last = null;
  for (;;) {
    last = await sync.pushWaiting();
    if (last.blocked) throw new Error(`device refused: ${JSON.stringify(last.blocked)}`);
    const waiting = (await store.listRecords({ state: "waiting" })).length;
    if (!waiting) break;
    rounds += 1;
    if (rounds > options.maxRounds) throw new Error(`still ${waiting} waiting after ${rounds} pushes: ${JSON.stringify(last)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const pulled = await sync.pull();
  const records = (await store.listRecords({})).map((r) => [r.key, r.kind, r.state, r.number, r.no, r.message]);
  return { prefix, made, seconds, rounds, status: sync.status(), pulled, records };
}
