"""Fake SePay and Casso: threaded HTTP servers on 127.0.0.1 (the pattern of
:mod:`tests.fakes.gateways`) serving each provider's transaction list with its paging, and
helpers that build and sign webhook deliveries exactly as the provider does, so that a
webhook view can be tested end to end.

``mode`` makes a server fail: ``"http_500"``, ``"hang"`` (longer than any client timeout),
``"drop"``, ``"not_json"``, or ``"rate_limit"`` (HTTP 429). Fixtures ``sepay_server`` and
``casso_server`` start one; a module uses them with
``pytest_plugins = ["tests.fakes.banks"]`` or by importing them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest

from hoptac.lib.banknotify import VN_TZ, casso_signature
from tests.fakes.gateways import FakeServer


def _unauthorised(req, expected: str) -> bool:
    return req["headers"].get("authorization", "") != expected


class FakeSepay(FakeServer):
    """``GET /userapi/transactions/list`` (Bearer token): ``transaction_date_min``,
    ``since_id`` (ids from it on), ``limit``, ``account_number``; ascending ids."""

    token = "sepay-token"
    path = "/userapi/transactions/list"

    def __init__(self):
        super().__init__()
        self.transactions: list[dict] = []
        self._next_id = 1001

    def add(
        self,
        *,
        amount_in: int = 0,
        amount_out: int = 0,
        content: str = "",
        when: dt.datetime | None = None,
        account_number: str = "0071000123456",
        bank: str = "Vietcombank",
        reference: str | None = None,
    ) -> dict:
        """Record a transaction as SePay lists it (amounts as "123.00" strings)."""
        with self.lock:
            number = self._next_id
            self._next_id += 1
        when = (when or dt.datetime.now(VN_TZ)).astimezone(VN_TZ)
        item = {
            "id": str(number),
            "bank_brand_name": bank,
            "account_number": account_number,
            "transaction_date": when.strftime("%Y-%m-%d %H:%M:%S"),
            "amount_out": f"{amount_out}.00",
            "amount_in": f"{amount_in}.00",
            "accumulated": "0.00",
            "transaction_content": content,
            "reference_number": reference if reference is not None else f"FT{number:010d}",
            "code": None,
            "sub_account": None,
            "bank_account_id": "19",
        }
        with self.lock:
            self.transactions.append(item)
        return item

    def handle(self, req):
        if req["method"] != "GET" or req["path"] != self.path:
            return 404, {"status": 404, "error": "Not found", "messages": {"success": False}}
        if _unauthorised(req, f"Bearer {self.token}"):
            return 401, {"status": 401, "error": "Unauthorized", "messages": {"success": False}}
        action = self._run_hook(req["query"]) or self.mode
        failure = self._failure(action)
        if failure is not False:
            return failure
        if action == "rate_limit":
            return 429, {"status": 429, "error": "Too Many Requests", "messages": {"success": False}}
        query = req["query"]
        limit = max(1, min(int(query.get("limit", 100)), 5000))
        since_id = int(query.get("since_id", 0) or 0)
        date_min = query.get("transaction_date_min", "")
        account = query.get("account_number", "")
        with self.lock:
            items = sorted(self.transactions, key=lambda t: int(t["id"]))
        items = [
            t
            for t in items
            if int(t["id"]) >= since_id
            and (not date_min or t["transaction_date"] >= date_min)
            and (not account or t["account_number"] == account)
        ][:limit]
        return 200, {"status": 200, "error": None, "messages": {"success": True}, "transactions": items}


class FakeCasso(FakeServer):
    """``GET /v2/transactions`` (``Authorization: Apikey``): ``fromDate``, ``page``,
    ``pageSize``, ``sort``; Casso's page envelope."""

    api_key = "casso-key"
    path = "/v2/transactions"

    def __init__(self):
        super().__init__()
        self.records: list[dict] = []
        self._next_id = 5001

    def add(
        self,
        *,
        amount: int,
        description: str = "",
        when: dt.datetime | None = None,
        account_number: str = "0123456789",
        bank: str = "VPBank",
    ) -> dict:
        with self.lock:
            number = self._next_id
            self._next_id += 1
        when = (when or dt.datetime.now(VN_TZ)).astimezone(VN_TZ)
        record = casso_record(number, amount=amount, description=description, when=when)
        record.update(accountNumber=account_number, bankName=bank)
        with self.lock:
            self.records.append(record)
        return record

    def handle(self, req):
        if req["method"] != "GET" or req["path"] != self.path:
            return 404, {"error": 404, "message": "Not found", "data": None}
        if _unauthorised(req, f"Apikey {self.api_key}"):
            return 401, {"error": 401, "message": "Unauthorized Access", "data": None}
        action = self._run_hook(req["query"]) or self.mode
        failure = self._failure(action)
        if failure is not False:
            return failure
        if action == "rate_limit":
            return 429, {"error": 429, "message": "Too Many Requests", "data": None}
        query = req["query"]
        page = max(1, int(query.get("page", 1)))
        size = max(1, min(int(query.get("pageSize", 10)), 100))
        from_date = query.get("fromDate", "")
        with self.lock:
            records = [r for r in self.records if r["transactionDateTime"][:10] >= from_date]
        records.sort(key=lambda r: (r["transactionDateTime"], r["id"]), reverse=query.get("sort") == "DESC")
        total_pages = max(1, -(-len(records) // size))
        chunk = records[(page - 1) * size : page * size]
        return 200, {
            "error": 0,
            "message": "success",
            "data": {
                "page": page,
                "pageSize": size,
                "nextPage": page + 1 if page < total_pages else None,
                "prevPage": page - 1 if page > 1 else None,
                "totalPages": total_pages,
                "totalRecords": len(records),
                "records": chunk,
            },
        }


# --- webhook deliveries -----------------------------------------------------------------------


def sepay_payload(
    *,
    id: int = 92704,
    amount: int = 2_277_000,
    content: str = "DH1A2B3C chuyen tien mua hang",
    transfer_type: str = "in",
    when: str = "2026-12-02 14:02:37",
    account_number: str = "0071000123456",
    gateway: str = "Vietcombank",
    code: str | None = None,
    reference: str = "MBVCB.3278907687",
) -> dict:
    """A webhook body as SePay documents it."""
    return {
        "id": id,
        "gateway": gateway,
        "transactionDate": when,
        "accountNumber": account_number,
        "subAccount": None,
        "code": code,
        "content": content,
        "transferType": transfer_type,
        "transferAmount": amount,
        "accumulated": 19_077_000,
        "referenceCode": reference,
        "description": f"BankAPINotify {content}",
    }


def sepay_delivery(
    payload: dict, *, api_key: str = "", hmac_secret: str = "", timestamp: int | None = None
) -> tuple[dict, bytes]:
    """(headers, body) of a SePay POST: ``Authorization: Apikey`` when ``api_key``, signed
    (``X-SePay-Timestamp``, ``X-SePay-Signature: sha256=…`` over ``timestamp.body``) when
    ``hmac_secret``."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Apikey {api_key}"
    if hmac_secret:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(hmac_secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers["X-SePay-Timestamp"] = stamp
        headers["X-SePay-Signature"] = f"sha256={digest}"
    return headers, body


def casso_record(
    id: int = 0,
    *,
    amount: int = 599_000,
    description: str = "DH1A2B3C",
    when: dt.datetime | str | None = None,
) -> dict:
    """One transaction as Casso's webhook v2 and API v2 send it."""
    if isinstance(when, dt.datetime):
        when = when.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "id": id,
        "reference": f"FT24277{id:07d}",
        "description": description,
        "amount": amount,
        "runningBalance": 25_000_000,
        "transactionDateTime": when or "2026-12-02 15:06:37",
        "accountNumber": "88888888",
        "bankName": "VPBank",
        "bankAbbreviation": "VPB",
        "virtualAccountNumber": "",
        "virtualAccountName": "",
        "counterAccountName": "NGUYEN VAN A",
        "counterAccountNumber": "8888888888",
        "counterAccountBankId": "970415",
        "counterAccountBankName": "VietinBank",
    }


def casso_delivery(data: dict | list, *, secret: str, timestamp_ms: int | None = None) -> tuple[dict, bytes]:
    """(headers, body) of a Casso webhook v2 POST, signed as Casso signs it."""
    payload = {"error": 0, "data": data}
    stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return {
        "Content-Type": "application/json",
        "X-Casso-Signature": casso_signature(payload, secret=secret, timestamp_ms=stamp),
    }, body


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def sepay_server():
    """A running :class:`FakeSepay` (``url``, ``token``)."""
    with FakeSepay() as fake:
        yield fake


@pytest.fixture
def casso_server():
    """A running :class:`FakeCasso` (``url``, ``api_key``)."""
    with FakeCasso() as fake:
        yield fake
