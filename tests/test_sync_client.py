"""The field app's sync client (``static/hoptac/field/sync.js``) in Chromium, against a small
fake of the sync API that keeps the protocol's promises (docs/sync-protocol.md), through the
fault proxy. The client's own behaviour, fast and apart from the server's work: retries of
the same batch after every kind of fault, each record's own answer, a revoked device, a
batch refused as a whole. The real server with 10,000 records: tests/test_sync_faults.py."""

from __future__ import annotations

import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.faultproxy import FaultProxy, rough
from tests.syncdrive import CHROMIUM_ARGS, FAST, HARNESS, is_sync

pytestmark = pytest.mark.browser

FIELD = Path(__file__).resolve().parent.parent / "hoptac/static/hoptac/field"
SYNC_JS = (FIELD / "sync.js").read_bytes()
CHROMIUM = os.environ.get("HOPTAC_CHROMIUM", "/usr/bin/chromium")
ROOT = "/api/v1/c/coop-a/sync"


class FakeServer:
    """The sync API's promises, in memory: a key is applied once and its first answer
    repeated; another body under a used key is a 409; ``memo``/``note`` words ask for the
    other answers (``refuse``, ``pending``, ``later``: 503 the first time)."""

    def __init__(self, *, max_batch: int = 200):
        self.lock = threading.Lock()
        self.max_batch = max_batch
        self.answers: dict[str, tuple[str, dict]] = {}
        self.applied: list[str] = []  # keys, in the order applied (each must appear once)
        self.numbers = 0
        self.later_seen: set[str] = set()
        self.revoked = False
        self.pushes = 0
        self.pending_reported: list[int] = []
        self.pulls: list[dict] = []  # the pull's answers, in turn (then a default one)
        self.pull_paths: list[str] = []

    def push(self, data: dict) -> tuple[int, dict]:
        if self.revoked:
            return 401, {"detail": "This phone was revoked by the chair.", "code": "device_revoked"}
        records = data.get("records")
        if not isinstance(records, list):
            return 422, {"detail": "records: a list is needed"}
        if len(records) > self.max_batch:
            return 413, {"detail": "too many records in one batch"}
        with self.lock:
            self.pushes += 1
            self.pending_reported.append(data.get("pending"))
            return 200, {"results": [self._one(r) for r in records], "server_time": "now"}

    def _one(self, record: dict) -> dict:
        key = record["key"]
        body = json.dumps({k: record.get(k) for k in ("kind", "no", "at", "body")}, sort_keys=True)
        if key in self.answers:
            first_body, answer = self.answers[key]
            if first_body != body:
                return {
                    "key": key,
                    "status": 409,
                    "state": "conflict",
                    "message": "key used for other contents",
                }
            return {**answer, "status": 200, "replay": True}
        word = str(record["body"].get("memo") or record["body"].get("note") or "")
        if word == "later" and key not in self.later_seen:
            self.later_seen.add(key)
            return {"key": key, "status": 503, "state": "retry", "message": "the household has not arrived"}
        if word == "refuse":
            answer = {"key": key, "status": 422, "state": "refused", "message": "the member has left"}
        elif word == "pending":
            answer = {"key": key, "status": 202, "state": "pending", "message": "over the limit"}
        else:
            self.numbers += 1
            self.applied.append(key)
            answer = {"key": key, "status": 201, "state": "applied", "number": f"PTM-{self.numbers:06d}"}
        self.answers[key] = (body, answer)
        return answer


def _handler(fake: FakeServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, body: bytes, kind: str = "application/json"):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path == "/static/hoptac/field/sync.js":
                self._send(200, SYNC_JS, "text/javascript")
            elif self.path.startswith(f"{ROOT}/pull"):
                fake.pull_paths.append(self.path)
                answer = (
                    fake.pulls.pop(0)
                    if fake.pulls
                    else {"cursor": "c1", "full": True, "members": {"cols": ["id"], "rows": [[1]]}}
                )
                self._send(200, json.dumps(answer).encode())
            elif self.path.startswith("/static/hoptac/field/"):
                self._send(200, (FIELD / self.path.rsplit("/", 1)[1]).read_bytes(), "text/javascript")
            else:
                page = b'<!doctype html><title>t</title><input name="csrfmiddlewaretoken" value="tok">'
                self._send(200, page, "text/html")

        def do_POST(self):  # noqa: N802 - http.server's name
            data = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            if self.path == f"{ROOT}/devices":
                assert self.headers["X-CSRFToken"] == "tok"
                self._send(
                    201,
                    json.dumps({"id": "d1", "name": data["name"], "token": "htd_x", "prefix": "A7"}).encode(),
                )
            elif self.path == f"{ROOT}/push":
                assert self.headers["Authorization"] == "Bearer htd_x"
                status, answer = fake.push(data)
                self._send(status, json.dumps(answer).encode())
            else:
                self._send(404, b"{}")

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def fake():
    fake = FakeServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.address = server.server_address[:2]
    yield fake
    server.shutdown()
    server.server_close()


SPEC = {
    "members": ["m1", "m2", "m3"],
    "point": None,
    "lines": [{"product": 1, "grade": 1, "unit": "kg", "price": 25_000}],
    "share": {"receipt": 0.9, "advance": 0.05, "loan": 0.05},
    "advance": 50_000,
    "loan": 70_000,
}


def _run(chromium, url: str, script: str, arg: dict):
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{url}/accounts/login/")
        return page.evaluate(script, arg)
    finally:
        context.close()


def test_every_fault_retried_with_the_same_keys_and_nothing_applied_twice(chromium, fake):
    with FaultProxy(fake.address, rough(seed=7, rate=0.5, stall=0.05, stall_s=0.6), faulty=is_sync) as proxy:
        args = {"slug": "coop-a", "spec": SPEC, "count": 2000, "seed": 7, "storeKind": "memory"}
        options = {**FAST, "timeoutMs": 400, "batchSize": 50}
        result = _run(chromium, proxy.url, HARNESS, {**args, "options": options})
        counts = dict(proxy.counts)
    phone = {key: number for key, _kind, state, number, _no, _msg in result["records"] if state == "applied"}
    assert len(phone) == 2000
    assert len(fake.applied) == len(set(fake.applied)) == 2000  # each key applied exactly once
    assert set(fake.applied) == set(phone)
    assert sorted(int(n[4:]) for n in phone.values()) == list(range(1, 2001))
    # Every kind of fault happened, and the client retried through them.
    for fault in ("pass", "delay", "cut_request", "cut_response", "truncate", "garble", "stall"):
        assert counts.get(fault, 0) > 0, (fault, counts)
    assert result["status"]["counts"]["retries"] >= counts["cut_request"] + counts["cut_response"]
    # The phone told the server how many were still waiting, ending at 0.
    assert fake.pending_reported[-1] == 0 and max(fake.pending_reported) > 1500


ANSWERS = """
async () => {
  const { createSync } = await import("/static/hoptac/field/sync.js");
  const records = new Map(), meta = new Map();
  const store = {
    async getMeta(k) { return meta.has(k) ? meta.get(k) : null; },
    async setMeta(k, v) { meta.set(k, v); },
    async getRecord(k) { return records.get(k) || null; },
    async listRecords({ state } = {}) { return [...records.values()].filter((r) => !state || r.state === state); },
    async updateRecord(k, patch) { records.set(k, { ...records.get(k), ...patch }); },
    async replaceTable() {}, async upsertRows() {}, async removeRows() {},
  };
  const sync = createSync({ slug: "coop-a", store, backoffMs: 5, backoffMaxMs: 20, batchSize: 200 });
  await sync.registerDevice("p");
  const words = ["", "refuse", "pending", "later", "", ""];
  for (let i = 0; i < 120; i += 1) {
    const key = crypto.randomUUID();
    records.set(key, { key, kind: "advance", no: `A7-${i + 1}`, at: "2026-12-03T08:00:00Z",
                       body: { member: "m1", amount: 1000, memo: words[i % words.length] }, state: "waiting" });
  }
  // Another body under a key the server has already applied.
  const first = await sync.pushWaiting();
  const later = [...records.values()].filter((r) => r.state === "waiting").length;
  const again = await sync.pushWaiting();
  const reused = [...records.values()].find((r) => r.state === "applied");
  records.set(reused.key, { ...reused, state: "waiting", number: "", body: { ...reused.body, amount: 9 } });
  await sync.pushWaiting();
  const conflict = records.get(reused.key);
  const states = {};
  for (const r of records.values()) states[r.state] = (states[r.state] || 0) + 1;
  return { first, later, again, states, conflict, status: sync.status(),
           refused: [...records.values()].find((r) => r.state === "refused").message };
}
"""


def test_each_record_gets_its_own_answer_and_a_big_batch_is_split(chromium, fake):
    fake.max_batch = 50  # the server refuses more than 50 at once: the client halves its batches
    result = _run(chromium, f"http://{fake.address[0]}:{fake.address[1]}", ANSWERS, {})
    assert result["first"]["later"] == 20  # 503 answers wait for the next push
    assert result["later"] == 20
    assert result["again"]["applied"] == 20 and result["again"]["waiting"] == 0
    assert result["states"] == {"applied": 79, "refused": 20, "pending": 20, "conflict": 1}
    assert result["conflict"]["state"] == "conflict"
    assert result["refused"] == "the member has left"
    assert result["status"]["batch"] <= 50
    assert len(fake.applied) == 80  # 60 plain + 20 "later"; the conflicting body applied nothing


REVOKED = """
async () => {
  const { createSync } = await import("/static/hoptac/field/sync.js");
  const records = new Map(), meta = new Map();
  const store = {
    async getMeta(k) { return meta.has(k) ? meta.get(k) : null; },
    async setMeta(k, v) { meta.set(k, v); },
    async listRecords({ state } = {}) { return [...records.values()].filter((r) => !state || r.state === state); },
    async updateRecord(k, patch) { records.set(k, { ...records.get(k), ...patch }); },
  };
  const sync = createSync({ slug: "coop-a", store, backoffMs: 5 });
  await sync.registerDevice("p");
  records.set("k1", { key: "k1", kind: "advance", no: "A7-1", at: "x", body: { memo: "" }, state: "waiting" });
  const answer = await sync.pushWaiting();
  const second = await sync.pushWaiting();
  return { answer, second, record: records.get("k1"), blocked: meta.get("blocked"), status: sync.status() };
}
"""


def test_a_revoked_device_stops_and_keeps_its_records(chromium, fake):
    fake.revoked = True
    result = _run(chromium, f"http://{fake.address[0]}:{fake.address[1]}", REVOKED, {})
    assert result["answer"]["blocked"]["code"] == "device_revoked"
    assert result["blocked"]["message"] == "This phone was revoked by the chair."
    assert result["record"]["state"] == "waiting"  # still on the phone, unsent
    assert result["second"]["blocked"]["code"] == "device_revoked"
    assert result["status"]["counts"]["requests"] == 2  # registration and one push: it stopped
    assert re.fullmatch(r"\d+", str(fake.pushes)) and fake.pushes == 0


OFFLINE_SETUP = """
async () => {
  const { createSync } = await import("/static/hoptac/field/sync.js");
  const records = new Map([["k1", { key: "k1", kind: "advance", no: "A7-1", at: "x", body: {}, state: "waiting" }]]);
  const meta = new Map([["device", { token: "htd_x" }]]);
  const store = {
    async getMeta(k) { return meta.has(k) ? meta.get(k) : null; },
    async setMeta(k, v) { meta.set(k, v); },
    async listRecords({ state } = {}) { return [...records.values()].filter((r) => !state || r.state === state); },
    async updateRecord(k, patch) { records.set(k, { ...records.get(k), ...patch }); },
  };
  window.fieldSync = createSync({ slug: "coop-a", store, backoffMs: 1000 });
  window.fieldRecords = records;
}
"""


def test_with_no_network_a_push_returns_at_once_and_keeps_the_records(chromium, fake):
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://{fake.address[0]}:{fake.address[1]}/accounts/login/")
        page.evaluate(OFFLINE_SETUP)
        context.set_offline(True)
        result = page.evaluate(
            """async () => {
              const t0 = performance.now();
              const answer = await window.fieldSync.pushWaiting();
              return { answer, ms: performance.now() - t0, record: window.fieldRecords.get("k1"),
                       requests: window.fieldSync.status().counts.requests };
            }"""
        )
    finally:
        context.close()
    assert result["answer"] == {"ok": False, "error": "offline"}
    assert result["ms"] < 500 and result["requests"] == 0  # no waiting for retries offline
    assert result["record"]["state"] == "waiting"
    assert fake.pushes == 0


PULLS = """
async () => {
  const { createSync } = await import("/static/hoptac/field/sync.js");
  const { openStore } = await import("/static/hoptac/field/store.js");
  const store = await openStore("coop-a");
  // A phone of the first shape: an agreement kept under member:product:from, and a cursor.
  await new Promise((resolve, reject) => {
    const tx = store.db.transaction(["agreements"], "readwrite");
    tx.objectStore("agreements").put({ member: 1, product: 7, rule: "list", from: "2026-01-01" }, "1:7:2026-01-01");
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  await store.setMeta("cursor", "old");
  await store.setMeta("device", { token: "htd_x" });
  const sync = createSync({ slug: "coop-a", store, backoffMs: 5 });
  const ids = async () => (await store.all("agreements")).map((a) => a.id ?? null).sort();
  const full = await sync.pull();
  const afterFull = await ids();
  const delta = await sync.pull();
  return { full, afterFull, afterDelta: await ids(), shape: await store.getMeta("shape") };
}
"""


def test_pulled_agreements_are_kept_by_id_and_removed_by_id(chromium, fake):
    """A phone that kept agreements without their id pulls everything once; then an ended
    agreement listed in ``removed.agreements`` leaves the phone (real IndexedDB store)."""
    cols = ["id", "member", "product", "rule", "fixed", "floor", "from", "to"]
    fake.pulls = [
        {
            "cursor": "c1",
            "full": True,
            "agreements": {
                "cols": cols,
                "rows": [
                    [5, 1, 7, "fixed", 25_000, None, "2026-01-01", "2026-12-31"],
                    [6, 2, 7, "list", None, 18_000, "2026-01-01", "2026-12-31"],
                ],
            },
        },
        {
            "cursor": "c2",
            "full": False,
            "agreements": {"cols": cols, "rows": []},
            "removed": {"agreements": [5]},
        },
    ]
    result = _run(chromium, f"http://{fake.address[0]}:{fake.address[1]}", PULLS, {})
    assert result["full"]["ok"] and result["full"]["full"] is True
    assert fake.pull_paths == [f"{ROOT}/pull", f"{ROOT}/pull?since=c1"]  # the old cursor not used
    assert result["afterFull"] == [5, 6]  # the row without an id is gone
    assert result["afterDelta"] == [6]
    assert result["shape"] == 2
