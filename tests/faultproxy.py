"""A small HTTP-aware TCP proxy that breaks connections on purpose, by a seeded plan.

It sits between a client (the field app's ``sync.js`` in Chromium, or any HTTP client) and a
real server, reads each request whole (headers and ``Content-Length`` body), and then, for the
requests the plan covers, does one of:

- ``pass``: forwards the request and the whole answer;
- ``delay``: the same, after a pause (``delay_s``);
- ``cut_request``: closes the client's connection once the request has arrived, without
  forwarding it: the server never sees it (to the client: the request was sent, no answer);
- ``cut_response``: forwards the request, waits for the server's whole answer (the server has
  committed) and closes the client's connection without a byte of it;
- ``truncate``: sends the answer's head and part of its body, then closes (the body is
  shorter than its ``Content-Length``: a network error while reading);
- ``garble``: the same, but with ``Content-Length`` made to match: a "complete" answer
  whose JSON is cut in the middle;
- ``stall``: forwards, then holds the answer for ``stall_s`` (longer than the client's
  timeout) before sending it to a client that has usually given up.

Every connection carries one request: the proxy asks the server for ``Connection: close``
and tells the client the same, so a cut never lands on a reused connection (where browsers
quietly resend by themselves). Requests the plan does not cover (``faulty`` says no: pages,
scripts) pass untouched. ``counts`` says how many of each were done.

Used by ``tests/test_sync_faults.py`` and ``scripts/bench_sync_faults.py``.
"""

from __future__ import annotations

import contextlib
import random
import re
import socket
import socketserver
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

FAULTS = ("pass", "delay", "cut_request", "cut_response", "truncate", "garble", "stall")
HEAD_LIMIT = 64 * 1024


@dataclass
class Plan:
    """Which fault each covered request gets: drawn from ``weights`` with a seeded generator,
    in the order the requests arrive (deterministic when the client sends one at a time)."""

    weights: dict[str, float] = field(default_factory=lambda: {"pass": 1.0})
    seed: int = 14
    delay_s: float = 0.2
    stall_s: float = 3.0

    def __post_init__(self):
        unknown = set(self.weights) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._names = list(self.weights)
        self._cumulative = []
        total = 0.0
        for name in self._names:
            total += self.weights[name]
            self._cumulative.append(total)
        self._total = total

    def draw(self) -> str:
        with self._lock:
            x = self._rng.random() * self._total
        for name, edge in zip(self._names, self._cumulative, strict=True):
            if x < edge:
                return name
        return self._names[-1]


def clean() -> Plan:
    return Plan({"pass": 1.0})


def rough(seed: int = 14, rate: float = 0.4, stall: float = 0.02, **kwargs) -> Plan:
    """``rate`` of the covered requests broken, spread over the kinds of fault (stalls rarer:
    each costs the client a whole timeout)."""
    share = (rate - stall) / 5
    weights = {
        "pass": 1.0 - rate,
        "delay": share,
        "cut_request": share,
        "cut_response": share,
        "truncate": share,
        "garble": share,
        "stall": stall,
    }
    return Plan(weights, seed=seed, **kwargs)


class _Broken(Exception):
    pass


def _read_message(sock: socket.socket, *, until_eof: bool) -> tuple[bytes, bytes]:
    """One HTTP message: (head including the blank line, body). A request's body is read by
    its Content-Length; an answer (``until_eof``) to the end of the connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise _Broken("closed before the head ended")
        data += chunk
        if len(data) > HEAD_LIMIT:
            raise _Broken("head too long")
    head, _, body = data.partition(b"\r\n\r\n")
    head += b"\r\n\r\n"
    if until_eof:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return head, body
    match = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
    length = int(match.group(1)) if match else 0
    if re.search(rb"\r\ntransfer-encoding:", head, re.IGNORECASE):
        raise _Broken("chunked requests are not handled")
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise _Broken("closed before the body ended")
        body += chunk
    return head, body[:length]


def _set_header(head: bytes, name: bytes, value: bytes) -> bytes:
    lines = head[:-4].split(b"\r\n")
    kept = [lines[0]] + [line for line in lines[1:] if not line.lower().startswith(name.lower() + b":")]
    kept.append(name + b": " + value)
    return b"\r\n".join(kept) + b"\r\n\r\n"


def _hard_close(sock: socket.socket) -> None:
    """Close with a reset rather than a polite end (SO_LINGER 0), as a dropped radio link
    looks to the phone."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    """``with FaultProxy(("127.0.0.1", 8000), plan, faulty=...) as proxy: proxy.url``"""

    def __init__(
        self,
        upstream: tuple[str, int],
        plan: Plan | None = None,
        *,
        faulty: Callable[[str, str], bool] | None = None,
        host: str = "127.0.0.1",
    ):
        self.upstream = upstream
        self.plan = plan or clean()
        self.faulty = faulty or (lambda method, path: True)
        self.counts: Counter[str] = Counter()
        self.covered = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                proxy._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

        self._server = Server((host, 0), Handler)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self._server.server_address[:2]

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, name="faultproxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset(self, plan: Plan | None = None) -> None:
        with self._lock:
            if plan is not None:
                self.plan = plan
            self.counts.clear()
            self.covered = 0

    def _count(self, fault: str) -> None:
        with self._lock:
            self.counts[fault] += 1

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(60)
        try:
            head, body = _read_message(client, until_eof=False)
        except (_Broken, OSError):
            client.close()
            return
        method, _, rest = head.partition(b" ")
        path = rest.partition(b" ")[0].decode("latin-1")
        fault = "pass"
        if self.faulty(method.decode("latin-1"), path):
            fault = self.plan.draw()
            with self._lock:
                self.covered += 1
            self._count(fault)
        try:
            if fault == "cut_request":
                _hard_close(client)
                return
            answer_head, answer_body = self._forward(_set_header(head, b"Connection", b"close") + body)
            answer_head = _set_header(answer_head, b"Connection", b"close")
            if fault == "cut_response":
                _hard_close(client)
                return
            if fault == "delay":
                time.sleep(self.plan.delay_s)
            elif fault == "stall":
                time.sleep(self.plan.stall_s)
            if fault in ("truncate", "garble") and answer_body:
                kept = answer_body[: max(1, len(answer_body) // 2)]
                if fault == "garble":
                    answer_head = _set_header(answer_head, b"Content-Length", str(len(kept)).encode())
                client.sendall(answer_head + kept)
                client.close()  # a polite end: the part sent arrives, then nothing more
                return
            client.sendall(answer_head + answer_body)
            client.close()
        except OSError:
            client.close()

    def _forward(self, request: bytes) -> tuple[bytes, bytes]:
        with socket.create_connection(self.upstream, timeout=120) as upstream:
            upstream.sendall(request)
            return _read_message(upstream, until_eof=True)
