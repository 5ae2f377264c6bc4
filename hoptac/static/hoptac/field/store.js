// The field app's storage on the phone (docs/sync-protocol.md, "On the phone"): one
// IndexedDB database per cooperative, `hoptac-field-<slug>`, that outlives closing the app
// and rebooting the phone. An ES module with no dependencies.
//
//   meta        key -> value (device, cursor, shape of the pulled rows, coop settings,
//               counters)
//   members, points, products, prices, agreements
//               rows as the pull gives them (objects keyed by the pull's columns), each
//               under the key rowKey() makes; members also carry `_s`, their folded
//               search text (name, village, phone, number) for searches without diacritics
//   records     the collector's records, keyPath `key` (the UUID made on the phone),
//               indexed by `state`
//
// Every write is one IndexedDB transaction: a record is on the phone, whole, or not at all.

const VERSION = 1;
export const TABLES = ["members", "points", "products", "prices", "agreements"];

// Lower case, no diacritics, đ -> d: "Giàng Thị Mỷ" -> "giang thi my". The same fold as
// hoptac/lib/text.py's fold(), for searches typed without accents.
export function fold(text) {
  return String(text == null ? "" : text)
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

// The key of a pulled row in its table. Members, points, products and agreements have an
// `id` (what the pull's `removed` lists); a price is one per product and grade.
export function rowKey(name, row) {
  if (name === "prices") return `${row.product}:${row.grade}`;
  if (row.id !== undefined && row.id !== null) return row.id;
  throw new Error(`a row of ${name} without an id`);
}

function prepare(name, row) {
  if (name !== "members") return row;
  const digits = String(row.phone || "").replace(/\D/g, "");
  return { ...row, _s: fold([row.name, row.village, row.no].join(" ")) + " " + digits };
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

function open(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      for (const table of TABLES) {
        if (!db.objectStoreNames.contains(table)) db.createObjectStore(table);
      }
      if (!db.objectStoreNames.contains("records")) {
        const records = db.createObjectStore("records", { keyPath: "key" });
        records.createIndex("state", "state");
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("the field app's storage is open in an older tab"));
  });
}

function byTime(a, b) {
  const ta = String(a.at || "");
  const tb = String(b.at || "");
  if (ta !== tb) return ta < tb ? -1 : 1;
  return String(a.no || "") < String(b.no || "") ? -1 : 1;
}

export async function openStore(slug) {
  const db = await open(`hoptac-field-${slug}`);
  // Ask the browser not to evict the data under storage pressure (where it allows).
  if (globalThis.navigator && navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(() => {});
  }

  // Another tab opening a newer version of the database: let it.
  db.onversionchange = () => db.close();

  async function run(names, mode, work) {
    const tx = db.transaction(names, mode);
    const finished = done(tx);
    let result;
    try {
      result = await work(tx);
    } catch (error) {
      finished.catch(() => {}); // the transaction's own failure is this same error
      try {
        tx.abort();
      } catch {
        // already finished
      }
      throw error;
    }
    await finished;
    return result;
  }

  function checkTable(name) {
    if (!TABLES.includes(name)) throw new Error(`unknown table ${name}`);
  }

  return {
    db,
    async getMeta(k) {
      const value = await run(["meta"], "readonly", (tx) => request(tx.objectStore("meta").get(k)));
      return value === undefined ? null : value;
    },
    async setMeta(k, v) {
      await run(["meta"], "readwrite", (tx) => {
        const meta = tx.objectStore("meta");
        if (v === null || v === undefined) meta.delete(k);
        else meta.put(v, k);
      });
    },
    // The next provisional number of this phone: "A7-0012". Read and increment in one
    // transaction, so two records never get the same number.
    async nextNo(prefix) {
      return run(["meta"], "readwrite", async (tx) => {
        const meta = tx.objectStore("meta");
        const n = ((await request(meta.get("counter"))) || 0) + 1;
        meta.put(n, "counter");
        return `${prefix || "XX"}-${String(n).padStart(4, "0")}`;
      });
    },
    // A new record; refuses a key already on the phone (a record is never overwritten).
    async putRecord(r) {
      if (!r || !r.key) throw new Error("a record needs a key");
      const record = { state: "waiting", number: "", message: "", tries: 0, sent_at: null, via: "api", ...r };
      await run(["records"], "readwrite", (tx) => request(tx.objectStore("records").add(record)));
      return record;
    },
    async getRecord(key) {
      const value = await run(["records"], "readonly", (tx) => request(tx.objectStore("records").get(key)));
      return value || null;
    },
    async listRecords({ state } = {}) {
      const rows = await run(["records"], "readonly", (tx) => {
        const records = tx.objectStore("records");
        if (state) return request(records.index("state").getAll(state));
        return request(records.getAll());
      });
      return rows.sort(byTime);
    },
    async updateRecord(key, patch) {
      return run(["records"], "readwrite", async (tx) => {
        const records = tx.objectStore("records");
        const current = await request(records.get(key));
        if (!current) return null;
        const next = { ...current, ...patch, key: current.key };
        records.put(next);
        return next;
      });
    },
    async replaceTable(name, rows) {
      checkTable(name);
      await run([name], "readwrite", (tx) => {
        const table = tx.objectStore(name);
        table.clear();
        for (const row of rows) table.put(prepare(name, row), rowKey(name, row));
      });
    },
    async upsertRows(name, rows) {
      checkTable(name);
      await run([name], "readwrite", (tx) => {
        const table = tx.objectStore(name);
        for (const row of rows) table.put(prepare(name, row), rowKey(name, row));
      });
    },
    async removeRows(name, ids) {
      checkTable(name);
      await run([name], "readwrite", (tx) => {
        const table = tx.objectStore(name);
        for (const id of ids) table.delete(id);
      });
    },
    async all(name) {
      checkTable(name);
      return run([name], "readonly", (tx) => request(tx.objectStore(name).getAll()));
    },
    // Members whose name, village, number or phone holds every word of `text`, typed with
    // or without accents ("giang pa vi", "0912"); at most `limit`, by name.
    async searchMembers(text, { limit = 30 } = {}) {
      const words = fold(text).split(" ").filter(Boolean);
      const rows = await this.all("members");
      const found = rows.filter((row) => words.every((w) => (row._s || "").includes(w)));
      found.sort((a, b) => String(a.name).localeCompare(String(b.name), "vi"));
      return found.slice(0, limit);
    },
  };
}
