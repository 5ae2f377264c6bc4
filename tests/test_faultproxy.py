"""The fault proxy itself (tests/faultproxy.py), against a tiny echo server: each fault does
to the client and to the server what it says, and a seeded plan draws the same faults."""

from __future__ import annotations

import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.faultproxy import FaultProxy, Plan, rough


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[bytes] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Echo.seen.append(body)
        answer = json.dumps({"echo": body.decode(), "pad": "x" * 2000}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def echo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


def _post(proxy: FaultProxy, text: str, path: str = "/push", timeout: float = 5) -> tuple[int, bytes]:
    host, port = proxy.address
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("POST", path, body=text.encode(), headers={"Content-Type": "text/plain"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _only(fault: str, **kwargs) -> Plan:
    return Plan({fault: 1.0}, **kwargs)


def test_pass_and_delay_forward_everything(echo):
    Echo.seen.clear()
    with FaultProxy(echo, _only("pass")) as proxy:
        status, body = _post(proxy, "hello")
        assert (status, json.loads(body)["echo"]) == (200, "hello")
        proxy.reset(_only("delay", delay_s=0.3))
        start = time.perf_counter()
        status, body = _post(proxy, "later")
        assert time.perf_counter() - start >= 0.3
        assert json.loads(body)["echo"] == "later"
        assert proxy.counts == {"delay": 1}
    assert Echo.seen == [b"hello", b"later"]


def test_cut_request_never_reaches_the_server(echo):
    Echo.seen.clear()
    with FaultProxy(echo, _only("cut_request")) as proxy:
        with pytest.raises((http.client.HTTPException, OSError)):
            _post(proxy, "lost")
        assert proxy.counts == {"cut_request": 1}
    assert Echo.seen == []


def test_cut_response_lets_the_server_do_it_and_the_client_never_hears(echo):
    Echo.seen.clear()
    with (
        FaultProxy(echo, _only("cut_response")) as proxy,
        pytest.raises((http.client.HTTPException, OSError)),
    ):
        _post(proxy, "done but unheard")
    assert Echo.seen == [b"done but unheard"]


def test_truncate_and_garble_cut_the_body(echo):
    Echo.seen.clear()
    with FaultProxy(echo, _only("truncate")) as proxy:
        with pytest.raises(http.client.IncompleteRead):
            _post(proxy, "half")
        proxy.reset(_only("garble"))
        status, body = _post(proxy, "garbled")
        assert status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
    assert Echo.seen == [b"half", b"garbled"]


def test_stall_outlasts_the_client_and_still_reaches_the_server(echo):
    Echo.seen.clear()
    with FaultProxy(echo, _only("stall", stall_s=0.6)) as proxy, pytest.raises(TimeoutError):
        _post(proxy, "slow", timeout=0.3)
    assert Echo.seen == [b"slow"]


def test_only_covered_requests_get_faults_and_the_plan_is_seeded(echo):
    with FaultProxy(echo, _only("cut_request"), faulty=lambda method, path: path.endswith("/push")) as proxy:
        assert _post(proxy, "page", path="/page")[0] == 200
        assert proxy.covered == 0
    draws = [rough(seed=3).draw() for _ in range(1)] + [rough(seed=3).draw()]
    assert draws[0] == draws[1]
    plan_a, plan_b = rough(seed=5), rough(seed=5)
    sequence = [plan_a.draw() for _ in range(200)]
    assert sequence == [plan_b.draw() for _ in range(200)]
    assert 0.45 < sequence.count("pass") / 200 < 0.75  # rate 0.4 by default
    with pytest.raises(ValueError):
        Plan({"explode": 1.0})
