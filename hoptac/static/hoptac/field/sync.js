// The field app's only link to the server (docs/sync-protocol.md): register the device,
// push the records waiting on the phone, pull what changed. An ES module with no
// dependencies; it runs unchanged in the page and in the fault test (tests/test_sync_faults.py).
//
// Why a cut connection can never lose or duplicate a record: every record carries the key
// the phone made for it, and the server applies a key exactly once and answers a repeat
// with the first answer. So whenever the client does not know how a push ended (the
// connection broke, the answer was cut short or garbled, a timeout, a 5xx), it sends the
// same batch again, same keys, same bodies, after a pause that doubles each time (with
// jitter, so a hundred phones coming back at once do not knock together). A record changes
// state on the phone only from its own answer; "sending" lives in memory, never in the store,
// so a closed app or a reboot in the middle leaves it "waiting" and it is simply sent again.

const FINAL = { 409: "conflict", 422: "refused" };
// The shape of the pulled tables the phone keeps. A phone whose stored rows have an older
// shape (before 2: agreements without their `id`, kept under member:product:from) makes
// its next pull a full one, which replaces every table.
export const PULL_SHAPE = 2;
const MAX_BATCH = 200;
const MAX_BYTES = 240 * 1024; // the server refuses more than 256 KB a batch as a whole
const SLOW_BATCH = { "slow-2g": 10, "2g": 25, "3g": 100 };

function naturalOrder(a, b) {
  // "A7-0009" before "A7-0010" before "A7-10000": the order the collector made them in, so a
  // household comes before the receipts that name it.
  const sa = String(a.no || "");
  const sb = String(b.no || "");
  const na = Number((sa.match(/(\d+)$/) || [0, -1])[1]);
  const nb = Number((sb.match(/(\d+)$/) || [0, -1])[1]);
  const pa = sa.replace(/\d+$/, "");
  const pb = sb.replace(/\d+$/, "");
  if (pa !== pb) return pa < pb ? -1 : 1;
  if (na !== nb) return na - nb;
  return String(a.at || "") < String(b.at || "") ? -1 : 1;
}

function defaultCsrf() {
  // The CSRF cookie is HttpOnly: the page carries the token (the shell's <meta name="csrf-token">
  // or any form's hidden input).
  const doc = globalThis.document;
  if (!doc) return "";
  const meta = doc.querySelector("meta[name=csrf-token]");
  if (meta) return meta.getAttribute("content") || "";
  const input = doc.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

class Retryable extends Error {}

export function createSync({
  base = "",
  slug,
  store,
  fetch: fetchImpl = globalThis.fetch && globalThis.fetch.bind(globalThis),
  onChange = () => {},
  // Tunables (the defaults suit a phone; the fault test makes them short).
  batchSize = MAX_BATCH,
  timeoutMs = 30000,
  backoffMs = 1000,
  backoffMaxMs = 60000,
  maxAttempts = 6,
  random = Math.random,
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  csrf = defaultCsrf,
  locks = globalThis.navigator && globalThis.navigator.locks,
} = {}) {
  if (!slug || !store || !fetchImpl) throw new Error("createSync needs slug, store and fetch");
  const root = `${base}/api/v1/c/${encodeURIComponent(slug)}/sync`;
  const state = {
    running: null, // "push" | "pull" | "register" | null
    sending: new Set(), // keys in flight: "sending" is only ever in memory
    waiting: null,
    blocked: null, // {code, message} once the server refused the device
    lastError: null,
    lastPushAt: null,
    lastPullAt: null,
    retryAt: null,
    batch: Math.min(batchSize, MAX_BATCH),
    counts: { requests: 0, retries: 0, applied: 0, final: 0, later: 0 },
  };
  let tail = Promise.resolve(); // sync calls run one after another, never two at once
  const queued = {}; // kind -> the call of that kind running or waiting its turn

  function status() {
    return {
      running: state.running,
      sending: state.sending.size,
      waiting: state.waiting,
      blocked: state.blocked,
      lastError: state.lastError,
      lastPushAt: state.lastPushAt,
      lastPullAt: state.lastPullAt,
      retryAt: state.retryAt,
      batch: state.batch,
      counts: { ...state.counts },
    };
  }

  function changed(type, extra) {
    try {
      onChange({ type, ...extra, status: status() });
    } catch (error) {
      // A broken listener must not break the sync.
      if (globalThis.console) console.error(error);
    }
  }

  // One sync call at a time: calls wait their turn (in this tab through a promise chain,
  // across tabs of the same phone through the Web Locks API where the browser has it). A
  // second push asked for while one waits its turn is that same push; asked for while one
  // runs, it runs after it (and picks up the records made meanwhile).
  function single(kind, work) {
    const already = queued[kind];
    if (already && !already.started) return already.promise;
    const entry = { started: false, promise: null };
    const run = async () => {
      entry.started = true;
      state.running = kind;
      changed("start", { kind });
      try {
        return await work();
      } finally {
        state.running = null;
        state.sending.clear();
        changed("end", { kind });
      }
    };
    const guarded = locks && locks.request ? () => locks.request(`hoptac-sync-${slug}`, run) : run;
    entry.promise = tail.then(guarded, guarded);
    const clear = () => {
      if (queued[kind] === entry) delete queued[kind];
    };
    queued[kind] = entry;
    tail = entry.promise.then(clear, clear);
    return entry.promise;
  }

  // The browser knows it has no network at all (navigator.onLine is false): no point trying
  // or waiting to retry; the app pushes again on the "online" event. (true means little.)
  function offline() {
    return !!(globalThis.navigator && globalThis.navigator.onLine === false);
  }

  async function device() {
    const found = await store.getMeta("device");
    return found && found.token ? found : null;
  }

  let ceiling = MAX_BATCH; // lowered for good when the server says a batch is too big (413)

  function preferredBatch() {
    const connection = globalThis.navigator && globalThis.navigator.connection;
    const slow = connection && (connection.saveData ? 10 : SLOW_BATCH[connection.effectiveType]);
    return Math.max(1, Math.min(batchSize, MAX_BATCH, ceiling, slow || MAX_BATCH));
  }

  // One HTTP exchange with a timeout. Returns {status, data}; throws Retryable when the
  // outcome is unknown (network error, timeout, 5xx, a cut or garbled answer).
  async function exchange(url, init) {
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : null;
    state.counts.requests += 1;
    try {
      let response;
      try {
        response = await fetchImpl(url, { ...init, signal: controller ? controller.signal : undefined });
      } catch (error) {
        throw new Retryable(error && error.name === "AbortError" ? "timeout" : "network");
      }
      let text;
      try {
        text = await response.text(); // a connection cut in the body rejects here
      } catch (error) {
        throw new Retryable(error && error.name === "AbortError" ? "timeout" : "truncated");
      }
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        throw new Retryable(`http ${response.status}`);
      }
      let data = null;
      if (text) {
        try {
          data = JSON.parse(text);
        } catch (error) {
          if (response.ok) throw new Retryable("garbled");
          data = { detail: text.slice(0, 200) };
        }
      }
      return { status: response.status, data };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  function pause(attempt) {
    // Full jitter between backoffMs and backoffMs·2^attempt, capped.
    const ceiling = Math.min(backoffMaxMs, backoffMs * 2 ** attempt);
    const ms = Math.round(backoffMs + random() * Math.max(0, ceiling - backoffMs));
    state.retryAt = Date.now() + ms;
    return sleep(ms);
  }

  // Retries one exchange until it has a known outcome, or gives up after maxAttempts
  // (then the caller stops; the records stay waiting for the next push).
  async function withRetries(what, makeRequest, onRetry) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const answer = await exchange(...makeRequest());
        state.retryAt = null;
        return answer;
      } catch (error) {
        if (!(error instanceof Retryable)) throw error;
        state.lastError = `${what}: ${error.message}`;
        if (attempt + 1 >= maxAttempts || offline()) {
          changed("error", { kind: what, error: error.message });
          return null;
        }
        state.counts.retries += 1;
        if (onRetry) onRetry(error);
        changed("retry", { kind: what, error: error.message, attempt: attempt + 1 });
        await pause(attempt);
      }
    }
  }

  async function refusedDevice(answer) {
    const data = answer.data || {};
    state.blocked = {
      code: data.code || (answer.status === 404 ? "not_found" : "forbidden"),
      message: data.detail || "",
      status: answer.status,
    };
    await store.setMeta("blocked", state.blocked);
    changed("blocked", { blocked: state.blocked });
    return { ok: false, blocked: state.blocked };
  }

  function headers(token) {
    const out = { Accept: "application/json" };
    if (token) out.Authorization = `Bearer ${token}`;
    return out;
  }

  async function registerDevice(name) {
    return single("register", async () => {
      const token = typeof csrf === "function" ? csrf() : csrf;
      const answer = await withRetries("register", () => [
        `${root}/devices`,
        {
          method: "POST",
          credentials: "same-origin",
          headers: { ...headers(null), "Content-Type": "application/json", "X-CSRFToken": token || "" },
          body: JSON.stringify({ name }),
        },
      ]);
      if (!answer) return { ok: false, error: state.lastError };
      if (answer.status !== 200 && answer.status !== 201) {
        const message = (answer.data && answer.data.detail) || `HTTP ${answer.status}`;
        state.lastError = message;
        changed("error", { kind: "register", error: message });
        return { ok: false, status: answer.status, message };
      }
      // A POST that may have been cut after the server made the device would make a second
      // device on retry: harmless (the chair sees and revokes the spare), and the phone keeps
      // only the one whose secrets it received.
      await store.setMeta("device", answer.data);
      await store.setMeta("blocked", null);
      await store.setMeta("cursor", null);
      state.blocked = null;
      changed("registered", { device: { id: answer.data.id, name: answer.data.name } });
      return { ok: true, device: answer.data };
    });
  }

  function applyAnswer(record, result) {
    const patch = { tries: (record.tries || 0) + 1, message: result.message || "" };
    const code = Number(result.status);
    if (code === 200 || code === 201) {
      patch.state = result.state === "flagged" ? "flagged" : "applied";
      patch.number = result.number || "";
      patch.sent_at = new Date().toISOString();
      patch.via = record.via || "api";
      if (result.member) patch.member = result.member;
    } else if (code === 202) {
      patch.state = "pending";
      patch.number = result.number || "";
      patch.sent_at = new Date().toISOString();
      patch.via = record.via || "api";
    } else if (FINAL[code]) {
      patch.state = FINAL[code];
    } else {
      return { patch, later: true }; // 503 retry (or anything unknown): stays waiting
    }
    return { patch, later: false };
  }

  async function pushWaiting() {
    return single("push", async () => {
      const dev = await device();
      if (!dev) return { ok: false, error: "no_device" };
      if (offline()) return { ok: false, error: "offline" };
      const blocked = state.blocked || (await store.getMeta("blocked"));
      if (blocked) {
        state.blocked = blocked;
        return { ok: false, blocked };
      }
      const summary = { ok: true, sent: 0, applied: 0, final: 0, later: 0, requests: 0 };
      const skip = new Set(); // keys already sent in this run (answered, or to retry later)
      state.batch = preferredBatch();
      for (;;) {
        const all = await store.listRecords({ state: "waiting" });
        state.waiting = all.length;
        const waiting = all.filter((r) => !skip.has(r.key)).sort(naturalOrder);
        if (!waiting.length) break;
        // The batch: at most state.batch records and MAX_BYTES of JSON.
        const batch = [];
        let bytes = 64;
        for (const r of waiting) {
          const wire = { key: r.key, kind: r.kind, no: r.no, at: r.at, body: r.body };
          const size = JSON.stringify(wire).length * 3; // UTF-8 at worst
          if (batch.length && (batch.length >= state.batch || bytes + size > MAX_BYTES)) break;
          batch.push({ record: r, wire });
          bytes += size + 1;
        }
        const pending = state.waiting - batch.length;
        const body = JSON.stringify({ pending, records: batch.map((b) => b.wire) });
        batch.forEach((b) => state.sending.add(b.record.key));
        changed("sending", { count: batch.length });
        const answer = await withRetries(
          "push",
          () => [
            `${root}/push`,
            {
              method: "POST",
              credentials: "omit",
              headers: { ...headers(dev.token), "Content-Type": "application/json" },
              body, // the same batch, same keys, on every retry
            },
          ],
          (error) => {
            // A timeout on a slow link: send fewer records next time (the retry itself
            // stays the same batch; only later batches shrink).
            if (error.message === "timeout") state.batch = Math.max(1, Math.floor(state.batch / 2));
          },
        );
        summary.requests = state.counts.requests;
        batch.forEach((b) => state.sending.delete(b.record.key));
        if (!answer) {
          summary.ok = false;
          summary.error = state.lastError;
          break;
        }
        if (answer.status === 401 || answer.status === 404 || answer.status === 403) {
          return { ...summary, ...(await refusedDevice(answer)) };
        }
        if (answer.status === 413 || answer.status === 422 || answer.status === 400) {
          // Refused as a whole (too big, or not readable): try smaller batches; a single
          // record the server cannot read at all is refused for good, so it does not block
          // the queue for ever.
          if (batch.length > 1) {
            state.batch = Math.max(1, Math.floor(batch.length / 2));
            if (answer.status === 413) ceiling = state.batch;
            continue;
          }
          const message = (answer.data && JSON.stringify(answer.data.detail)) || `HTTP ${answer.status}`;
          await store.updateRecord(batch[0].record.key, { state: "refused", message });
          skip.add(batch[0].record.key);
          summary.final += 1;
          continue;
        }
        const results = answer.data && Array.isArray(answer.data.results) ? answer.data.results : null;
        if (answer.status !== 200 || !results) {
          summary.ok = false;
          summary.error = state.lastError = `push: unexpected answer ${answer.status}`;
          changed("error", { kind: "push", error: summary.error });
          break;
        }
        const byKey = new Map(results.map((r) => [r.key, r]));
        for (const { record } of batch) {
          const result = byKey.get(record.key);
          skip.add(record.key); // answered (or not) once in this run: never sent twice in a run
          if (!result) {
            summary.later += 1; // not answered: tried again in a later push
            continue;
          }
          const { patch, later } = applyAnswer(record, result);
          await store.updateRecord(record.key, patch);
          if (later) {
            summary.later += 1;
            state.counts.later += 1;
          } else if (patch.state === "applied" || patch.state === "flagged" || patch.state === "pending") {
            summary.applied += 1;
            state.counts.applied += 1;
          } else {
            summary.final += 1;
            state.counts.final += 1;
          }
          summary.sent += 1;
          changed("record", { key: record.key, state: patch.state || "waiting", number: patch.number });
        }
        state.lastPushAt = new Date().toISOString();
        if (state.batch < preferredBatch()) state.batch = Math.min(preferredBatch(), state.batch * 2);
      }
      state.waiting = (await store.listRecords({ state: "waiting" })).length;
      summary.waiting = state.waiting;
      return summary;
    });
  }

  function rowsOf(table) {
    if (!table || !Array.isArray(table.cols) || !Array.isArray(table.rows)) return null;
    return table.rows.map((row) => Object.fromEntries(table.cols.map((col, i) => [col, row[i]])));
  }

  async function pull() {
    return single("pull", async () => {
      const dev = await device();
      if (!dev) return { ok: false, error: "no_device" };
      if (offline()) return { ok: false, error: "offline" };
      const blocked = state.blocked || (await store.getMeta("blocked"));
      if (blocked) {
        state.blocked = blocked;
        return { ok: false, blocked };
      }
      const shape = await store.getMeta("shape");
      const cursor = shape === PULL_SHAPE ? await store.getMeta("cursor") : null;
      const url = cursor ? `${root}/pull?since=${encodeURIComponent(cursor)}` : `${root}/pull`;
      const answer = await withRetries("pull", () => [
        url,
        { method: "GET", credentials: "omit", headers: headers(dev.token) },
      ]);
      if (!answer) return { ok: false, error: state.lastError };
      if (answer.status === 401 || answer.status === 404 || answer.status === 403) {
        return refusedDevice(answer);
      }
      const data = answer.data;
      if (answer.status !== 200 || !data || typeof data !== "object") {
        state.lastError = `pull: unexpected answer ${answer.status}`;
        return { ok: false, error: state.lastError };
      }
      const counts = {};
      for (const name of ["members", "points", "products", "prices", "agreements"]) {
        const rows = rowsOf(data[name]);
        if (!rows) continue;
        // The prices in force come whole whenever they come (one row per product and grade):
        // they replace the old ones. Other tables: changed rows, and `removed`.
        if (data.full || (name === "prices" && rows.length)) await store.replaceTable(name, rows);
        else if (rows.length) await store.upsertRows(name, rows);
        counts[name] = rows.length;
      }
      const removed = data.full ? {} : data.removed || {};
      for (const [name, ids] of Object.entries(removed)) {
        if (Array.isArray(ids) && ids.length) await store.removeRows(name, ids);
      }
      for (const change of data.records || []) {
        if (!change || !change.key) continue;
        const patch = { state: change.state };
        if (change.number !== undefined) patch.number = change.number;
        if (change.message !== undefined) patch.message = change.message;
        if (await store.getRecord(change.key)) await store.updateRecord(change.key, patch);
      }
      if (data.coop) await store.setMeta("coop", data.coop);
      if (data.full) await store.setMeta("shape", PULL_SHAPE);
      // The cursor last: a pull cut before here is simply made again from the old cursor.
      if (data.cursor !== undefined) await store.setMeta("cursor", data.cursor);
      state.lastPullAt = new Date().toISOString();
      changed("pulled", { counts });
      return { ok: true, full: !!data.full, counts, server_time: data.server_time };
    });
  }

  return { registerDevice, pushWaiting, pull, status };
}
