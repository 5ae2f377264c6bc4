"""Fake GHTK and GHN: threaded HTTP servers on 127.0.0.1 (the pattern of
:mod:`tests.fakes.gateways`) speaking the carriers' documented endpoints (see
:mod:`hoptac.lib.carriers.ghtk` and :mod:`hoptac.lib.carriers.ghn` for the addresses).

Each fake checks the token header (HTTP 401 otherwise), keeps the orders it created
(``orders``, by tracking code), computes a deterministic fee (:meth:`fee_for`), serves a
small real PDF label, refuses to cancel a parcel already picked up, and can push status
callbacks to a URL as the carrier does, with the account's secret (or a wrong one):
``fake.callback(url, tracking, status, at=..., secret=...)``. ``fake.delivery(...)``
builds the same request as ``(headers, body)`` for Django's test client.

``mode`` makes a server fail: ``"http_500"``, ``"hang"``, ``"drop"``, ``"not_json"``, or
``"rate_limit"`` (HTTP 429). Fixtures ``ghtk_server`` and ``ghn_server`` start one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from urllib.parse import urlencode

import httpx
import pytest

from hoptac.lib.carriers.base import CALLBACK_HEADER, VN_TZ
from hoptac.lib.text import fold
from tests.fakes.gateways import FakeServer


def minimal_pdf(text: str) -> bytes:
    """A valid one-page A6 PDF showing ``text`` (ASCII) in Helvetica, a few hundred bytes,
    with a correct cross-reference table."""
    safe = (
        "".join(ch for ch in text if 32 <= ord(ch) < 127).replace("\\", "").replace("(", "").replace(")", "")
    )
    stream = f"BT /F1 14 Tf 20 360 Td ({safe}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class _CarrierFake(FakeServer):
    callback_secret = "carrier-callback-secret"

    def fee_for(self, *, pick_province: str, province: str, weight_g: int) -> int:
        """Deterministic: 22.000 ₫ within a province, 30.000 ₫ between provinces, for the
        first 500 g; 2.500 ₫ per further 500 g."""
        base = 22_000 if fold(pick_province) == fold(province) else 30_000
        return base + math.ceil(max(int(weight_g) - 500, 0) / 500) * 2_500

    @staticmethod
    def insurance_for(value_vnd: int) -> int:
        """0,5 % of a declared value over 1.000.000 ₫."""
        return value_vnd * 5 // 1000 if value_vnd > 1_000_000 else 0

    def _generic(self, action):
        failure = self._failure(action)
        if failure is not False:
            return failure
        if action == "rate_limit":
            return 429, {"message": "Too Many Requests"}
        return False

    def post_callback(self, url: str, headers: dict, body: bytes, *, timeout: float = 10.0) -> httpx.Response:
        return httpx.post(url, headers=headers, content=body, timeout=timeout)


# --- GHTK ---------------------------------------------------------------------------------


class FakeGHTK(_CarrierFake):
    """GHTK's shipment API: fee, order (``/services/shipment/order`` with or without
    ``/?ver=1.5``), label, cancel, status v2; ``Token`` header."""

    token = "ghtk-token"
    # Statuses GHTK can still cancel (before pick-up).
    cancellable = {1, 2, 12, 7, 8, 127, 128}

    def __init__(self):
        super().__init__()
        self.orders: dict[str, dict] = {}  # label -> order as stored
        self._numbers = itertools.count(17373471)

    def handle(self, req):
        path = req["path"].rstrip("/")
        if req["headers"].get("token") != self.token:
            return 401, {"success": False, "message": "Token không hợp lệ"}
        action = self._run_hook(req) or self.mode
        failure = self._generic(action)
        if failure is not False:
            return failure
        if req["method"] == "GET" and path == "/services/shipment/fee":
            return self._fee(req["query"])
        if req["method"] == "POST" and path == "/services/shipment/order":
            return self._order(self.json_body(req))
        if req["method"] == "GET" and path.startswith("/services/label/"):
            return self._label(path.rsplit("/", 1)[1])
        if req["method"] == "POST" and path.startswith("/services/shipment/cancel/"):
            return self._cancel(path.rsplit("/", 1)[1])
        if req["method"] == "GET" and path.startswith("/services/shipment/v2/"):
            return self._status(path.rsplit("/", 1)[1])
        return 404, {"success": False, "message": "Not found"}

    def _fee(self, query):
        for field in ("pick_province", "province", "weight"):
            if not query.get(field):
                return 200, {"success": False, "message": f"Thiếu tham số {field}"}
        try:
            weight = int(query["weight"])
            value = int(query.get("value") or 0)
        except ValueError:
            return 200, {"success": False, "message": "weight không hợp lệ"}
        if fold(query["province"]) == fold("Trường Sa"):
            return 200, {
                "success": True,
                "message": "",
                "fee": {"name": "area3", "fee": 0, "insurance_fee": 0, "delivery": False},
            }
        fee = self.fee_for(pick_province=query["pick_province"], province=query["province"], weight_g=weight)
        insurance = self.insurance_for(value)
        return 200, {
            "success": True,
            "message": "",
            "fee": {
                "name": "area1" if fold(query["pick_province"]) == fold(query["province"]) else "area2",
                "fee": fee,
                "insurance_fee": insurance,
                "delivery_type": "",
                "a": 1,
                "dt": "local",
                "extFees": [],
                "delivery": True,
            },
        }

    def _order(self, payload):
        if not isinstance(payload, dict) or not isinstance(payload.get("order"), dict):
            return 200, {"success": False, "message": "Dữ liệu đơn hàng không hợp lệ"}
        order = payload["order"]
        products = payload.get("products")
        missing = [
            f
            for f in ("id", "pick_name", "pick_tel", "name", "tel", "address", "province", "pick_money")
            if order.get(f) in (None, "")
        ]
        if missing or not isinstance(products, list) or not products:
            return 200, {"success": False, "message": f"Thiếu thông tin: {', '.join(missing) or 'products'}"}
        with self.lock:
            for label, known in self.orders.items():
                if known["partner_id"] == str(order["id"]) and known["status_id"] != -1:
                    return 200, {
                        "success": False,
                        "message": "Mã đơn hàng đã tồn tại",
                        "error": {
                            "code": "ORDER_ID_EXIST",
                            "partner_id": known["partner_id"],
                            "ghtk_label": label,
                            "created": known["created"],
                            "status": known["status_id"],
                        },
                    }
            label = f"S1.A1.{next(self._numbers)}"
        weight_kg = sum(float(p.get("weight") or 0) * int(p.get("quantity") or 1) for p in products)
        weight_g = int(round(float(order.get("total_weight") or weight_kg) * 1000))
        fee = self.fee_for(
            pick_province=order.get("pick_province", ""), province=order["province"], weight_g=weight_g
        )
        value = int(order.get("value") or 0)
        insurance = self.insurance_for(value)
        now = dt.datetime.now(VN_TZ)
        record = {
            "label": label,
            "partner_id": str(order["id"]),
            "status_id": 2,
            "order": order,
            "products": products,
            "weight_g": weight_g,
            "fee": fee,
            "insurance_fee": insurance,
            "pick_money": int(order["pick_money"]),
            "created": now.strftime("%Y-%m-%d %H:%M:%S"),
            "modified": now.strftime("%Y-%m-%d %H:%M:%S"),
        }
        with self.lock:
            self.orders[label] = record
        deliver = (now + dt.timedelta(days=2)).date().isoformat()
        return 200, {
            "success": True,
            "message": "Các đơn hàng đã được add vào hệ thống GHTK thành công.",
            "order": {
                "partner_id": record["partner_id"],
                "label": label,
                "area": "1",
                "fee": str(fee),
                "insurance_fee": str(insurance),
                "estimated_pick_time": f"Sáng {now.date().isoformat()}",
                "estimated_deliver_time": f"Chiều {deliver}",
                "products": [],
                "status_id": 2,
                "tracking_id": int(label.rsplit(".", 1)[1]),
                "sorting_code": "HN.01",
            },
        }

    def _find(self, code: str) -> dict | None:
        with self.lock:
            if code in self.orders:
                return self.orders[code]
            for known in self.orders.values():
                if known["partner_id"] == code:
                    return known
        return None

    def _label(self, code):
        known = self._find(code)
        if known is None:
            return 200, {"success": False, "message": "Không tìm thấy đơn hàng"}
        if known["status_id"] == -1:
            return 200, {"success": False, "message": "Đơn hàng đã bị hủy"}
        return 200, minimal_pdf(f"GHTK {known['label']} {known['partner_id']}"), "application/pdf"

    def _cancel(self, code):
        known = self._find(code)
        if known is None:
            return 200, {"success": False, "message": "Không tìm thấy đơn hàng"}
        with self.lock:
            if known["status_id"] == -1:
                return 200, {"success": False, "message": "Đơn hàng đã ở trạng thái hủy"}
            if known["status_id"] not in self.cancellable:
                return 200, {"success": False, "message": "Đơn hàng đã lấy, không thể hủy"}
            known["status_id"] = -1
            known["modified"] = dt.datetime.now(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")
        return 200, {"success": True, "message": "", "log_id": f"log-{known['label']}"}

    def _status(self, code):
        known = self._find(code)
        if known is None:
            return 200, {"success": False, "message": "Không tìm thấy đơn hàng"}
        order = known["order"]
        return 200, {
            "success": True,
            "message": "",
            "order": {
                "label_id": known["label"],
                "partner_id": known["partner_id"],
                "status": str(known["status_id"]),
                "status_text": "",
                "created": known["created"],
                "modified": known["modified"],
                "message": order.get("note", ""),
                "pick_date": known["created"][:10],
                "deliver_date": "",
                "customer_fullname": order.get("name", ""),
                "customer_tel": order.get("tel", ""),
                "address": order.get("address", ""),
                "storage_day": 3,
                "ship_money": known["fee"],
                "insurance": known["insurance_fee"],
                "value": int(order.get("value") or 0),
                "weight": known["weight_g"],
                "pick_money": known["pick_money"],
                "is_freeship": int(order.get("is_freeship") or 0),
            },
        }

    # --- webhook deliveries ---------------------------------------------------------------

    def set_status(self, tracking: str, status_id: int, *, at: dt.datetime | None = None) -> dict:
        """Move a stored order (what the status API then answers)."""
        known = self._find(tracking)
        if known is None:
            raise KeyError(tracking)
        with self.lock:
            known["status_id"] = int(status_id)
            known["modified"] = (at or dt.datetime.now(VN_TZ)).astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")
        return known

    def delivery(
        self,
        tracking: str,
        status_id: int,
        *,
        at: dt.datetime | str | None = None,
        secret: str | None = None,
        reason: str = "",
        reason_code: str = "",
        as_json: bool = False,
        order_code: str | None = None,
        pick_money: int | None = None,
        fee: int | None = None,
    ) -> tuple[dict, bytes]:
        """(headers, body) of GHTK's webhook POST for ``tracking``: form-encoded as GHTK
        sends it (``as_json`` for the JSON form its docs also show), with the secret in
        ``X-Hoptac-Token`` (``secret=""``: none). Unknown trackings are allowed (a test
        may send a callback for a parcel we never created)."""
        known = self._find(tracking)
        if isinstance(at, dt.datetime):
            at = at.astimezone(VN_TZ).isoformat(timespec="seconds")
        fields = {
            "label_id": tracking,
            "partner_id": order_code if order_code is not None else (known["partner_id"] if known else ""),
            "status_id": str(status_id),
            "action_time": at or dt.datetime.now(VN_TZ).isoformat(timespec="seconds"),
            "reason_code": reason_code,
            "reason": reason,
            "weight": str((known["weight_g"] if known else 500) / 1000),
            "fee": str(fee if fee is not None else (known["fee"] if known else 0)),
            "pick_money": str(
                pick_money if pick_money is not None else (known["pick_money"] if known else 0)
            ),
            "return_part_package": "0",
        }
        headers = {}
        secret = self.callback_secret if secret is None else secret
        if secret:
            headers[CALLBACK_HEADER] = secret
        if as_json:
            headers["Content-Type"] = "application/json"
            body = json.dumps(
                {
                    **fields,
                    "status_id": int(status_id),
                    "fee": int(fields["fee"]),
                    "pick_money": int(fields["pick_money"]),
                },
                ensure_ascii=False,
            ).encode()
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(fields).encode()
        return headers, body

    def callback(
        self, url: str, tracking: str, status: int, *, at=None, secret: str | None = None, **kwargs
    ) -> httpx.Response:
        """POST a status callback to ``url`` as GHTK does (see :meth:`delivery`). The stored
        order does not move: call :meth:`set_status` for what the status API answers."""
        headers, body = self.delivery(tracking, status, at=at, secret=secret, **kwargs)
        return self.post_callback(url, headers, body)


# --- GHN ----------------------------------------------------------------------------------


class FakeGHN(_CarrierFake):
    """GHN's public API under ``/shiip/public-api`` (fee, create, detail,
    detail-by-client-code, gen-token, cancel) and the print page ``/a5/public-api/printA5``;
    ``Token`` and ``ShopId`` headers."""

    token = "ghn-token"
    shop_id = "885"
    shop_district = 1454  # where the shop's parcels are picked up when the request says nothing
    cancellable = {"ready_to_pick", "picking", "money_collect_picking"}
    api = "/shiip/public-api"

    def __init__(self):
        super().__init__()
        self.orders: dict[str, dict] = {}  # order_code -> order as stored
        self.print_tokens: dict[str, str] = {}
        self._numbers = itertools.count(0x5E0001)

    # A little of GHN's master data (its own ids; names as GHN spells them).
    PROVINCES = [
        {
            "ProvinceID": 202,
            "ProvinceName": "Hồ Chí Minh",
            "NameExtension": ["TP.Hồ Chí Minh", "HCM", "hochiminh"],
        },
        {"ProvinceID": 201, "ProvinceName": "Hà Nội", "NameExtension": ["Thành phố Hà Nội", "hanoi"]},
        {"ProvinceID": 269, "ProvinceName": "Lào Cai", "NameExtension": ["Tỉnh Lào Cai", "laocai"]},
    ]
    DISTRICTS = [
        {"DistrictID": 1444, "ProvinceID": 202, "DistrictName": "Quận 3", "NameExtension": ["Q3", "Quan 3"]},
        {"DistrictID": 1454, "ProvinceID": 202, "DistrictName": "Quận 10", "NameExtension": ["Q10"]},
        {
            "DistrictID": 1485,
            "ProvinceID": 201,
            "DistrictName": "Quận Cầu Giấy",
            "NameExtension": ["Cầu Giấy"],
        },
        {
            "DistrictID": 2264,
            "ProvinceID": 269,
            "DistrictName": "Huyện Si Ma Cai",
            "NameExtension": ["Si Ma Cai"],
        },
    ]
    WARDS = [
        {"WardCode": "20308", "DistrictID": 1444, "WardName": "Phường 14", "NameExtension": ["P.14"]},
        {"WardCode": "20309", "DistrictID": 1444, "WardName": "Phường 4", "NameExtension": ["P.4"]},
        {"WardCode": "21211", "DistrictID": 1454, "WardName": "Phường 14", "NameExtension": ["P.14"]},
        {
            "WardCode": "1A0807",
            "DistrictID": 1485,
            "WardName": "Phường Yên Hòa",
            "NameExtension": ["Yên Hoà"],
        },
        {"WardCode": "90816", "DistrictID": 2264, "WardName": "Xã Nàn Sán", "NameExtension": ["Nàn Sán"]},
    ]

    def _master(self, items):
        return 200, {"code": 200, "message": "Success", "data": items}

    def fee_for_districts(self, *, from_district: int, to_district: int, weight_g: int) -> int:
        """16.500 ₫ within a district, else 30.000 ₫, for the first 500 g; 2.500 ₫ per
        further 500 g."""
        base = 16_500 if int(from_district) == int(to_district) else 30_000
        return base + math.ceil(max(int(weight_g) - 500, 0) / 500) * 2_500

    @staticmethod
    def _error(message: str, status: int = 400):
        return status, {"code": status, "message": message, "data": None, "code_message": "ERROR"}

    def handle(self, req):
        path = req["path"].rstrip("/")
        if req["method"] == "GET" and path == "/a5/public-api/printA5":
            return self._print(req["query"].get("token", ""))
        headers = req["headers"]
        if headers.get("token") != self.token:
            return self._error("Token is not valid!", 401)
        action = self._run_hook(req) or self.mode
        failure = self._generic(action)
        if failure is not False:
            return failure
        if req["method"] != "POST" or not path.startswith(self.api):
            return self._error("Not found", 404)
        payload = self.json_body(req)
        if not isinstance(payload, dict):
            return self._error("Dữ liệu không hợp lệ")
        route = path[len(self.api) :]
        if not route.startswith(("/v2/a5/", "/master-data/")) and headers.get("shopid") != self.shop_id:
            return self._error("ShopId không hợp lệ", 400)
        handler = {
            "/master-data/province": lambda _payload: self._master(self.PROVINCES),
            "/master-data/district": lambda p: self._master(
                [d for d in self.DISTRICTS if d["ProvinceID"] == p.get("province_id")]
            ),
            "/master-data/ward": lambda p: self._master(
                [w for w in self.WARDS if w["DistrictID"] == p.get("district_id")]
            ),
            "/v2/shipping-order/fee": self._fee,
            "/v2/shipping-order/create": self._create,
            "/v2/shipping-order/detail": self._detail,
            "/v2/shipping-order/detail-by-client-code": self._detail_by_client_code,
            "/v2/a5/gen-token": self._gen_token,
            "/v2/switch-status/cancel": self._cancel,
        }.get(route)
        if handler is None:
            return self._error("Not found", 404)
        return handler(payload)

    def _fee(self, payload):
        if not payload.get("to_district_id") or not payload.get("to_ward_code"):
            return self._error("to_district_id, to_ward_code là bắt buộc")
        weight = int(payload.get("weight") or 0)
        fee = self.fee_for_districts(
            from_district=payload.get("from_district_id") or self.shop_district,
            to_district=payload["to_district_id"],
            weight_g=weight,
        )
        insurance = self.insurance_for(int(payload.get("insurance_value") or 0))
        return 200, {
            "code": 200,
            "message": "Success",
            "data": {
                "total": fee + insurance,
                "service_fee": fee,
                "insurance_fee": insurance,
                "pick_station_fee": 0,
                "coupon_value": 0,
                "r2s_fee": 0,
                "document_return": 0,
                "double_check": 0,
                "cod_fee": 0,
                "pick_remote_areas_fee": 0,
                "deliver_remote_areas_fee": 0,
                "cod_failed_fee": 0,
            },
        }

    def _create(self, payload):
        missing = [
            f
            for f in ("to_name", "to_phone", "to_address", "to_ward_code", "to_district_id", "weight")
            if payload.get(f) in (None, "", 0)
        ]
        if missing:
            return self._error(f"{', '.join(missing)} là bắt buộc")
        client_code = str(payload.get("client_order_code") or "")
        with self.lock:
            if client_code and any(
                o["client_order_code"] == client_code and o["status"] != "cancel"
                for o in self.orders.values()
            ):
                return self._error("Mã đơn hàng của khách hàng đã tồn tại (client_order_code)")
            code = f"GY{next(self._numbers):06X}"
        fee = self.fee_for_districts(
            from_district=self.shop_district,
            to_district=payload["to_district_id"],
            weight_g=int(payload["weight"]),
        )
        insurance = self.insurance_for(int(payload.get("insurance_value") or 0))
        now = dt.datetime.now(dt.UTC)
        record = {
            "order_code": code,
            "client_order_code": client_code,
            "status": "ready_to_pick",
            "payload": payload,
            "cod_amount": int(payload.get("cod_amount") or 0),
            "fee": fee,
            "insurance": insurance,
            "created_date": now.isoformat().replace("+00:00", "Z"),
            "updated_date": now.isoformat().replace("+00:00", "Z"),
        }
        with self.lock:
            self.orders[code] = record
        expected = (now + dt.timedelta(days=3)).replace(hour=16, minute=59, second=59, microsecond=0)
        return 200, {
            "code": 200,
            "message": "Success",
            "message_display": "Tạo đơn hàng thành công.",
            "data": {
                "order_code": code,
                "sort_code": "19-10-06",
                "trans_type": "truck",
                "ward_encode": "",
                "district_encode": "",
                "fee": {
                    "main_service": fee,
                    "insurance": insurance,
                    "station_do": 0,
                    "station_pu": 0,
                    "return": 0,
                    "r2s": 0,
                    "coupon": 0,
                    "cod_failed_fee": 0,
                },
                "total_fee": fee + insurance,
                "expected_delivery_time": expected.isoformat().replace("+00:00", "Z"),
            },
        }

    def _detail_of(self, record):
        return 200, {
            "code": 200,
            "message": "Success",
            "data": {
                "order_code": record["order_code"],
                "client_order_code": record["client_order_code"],
                "status": record["status"],
                "cod_amount": record["cod_amount"],
                "to_name": record["payload"].get("to_name"),
                "weight": record["payload"].get("weight"),
                "created_date": record["created_date"],
                "updated_date": record["updated_date"],
                "log": [],
            },
        }

    def _detail(self, payload):
        record = self.orders.get(str(payload.get("order_code") or ""))
        if record is None:
            return self._error("Đơn hàng không tồn tại")
        return self._detail_of(record)

    def _detail_by_client_code(self, payload):
        code = str(payload.get("client_order_code") or "")
        with self.lock:
            found = [
                o
                for o in self.orders.values()
                if code and o["client_order_code"] == code and o["status"] != "cancel"
            ]
        if not found:
            return self._error("Đơn hàng không tồn tại")
        return self._detail_of(found[0])

    def _gen_token(self, payload):
        codes = payload.get("order_codes")
        if not isinstance(codes, list) or not codes or any(c not in self.orders for c in codes):
            return self._error(
                "Lỗi gọi API: corev2_tenant_order_detail - code=404, message=Đơn hàng không tồn tại"
            )
        token = f"print-{len(self.print_tokens) + 1:04d}-{codes[0]}"
        with self.lock:
            self.print_tokens[token] = codes[0]
        return 200, {"code": 200, "message": "Success", "data": {"token": token}}

    def _print(self, token):
        code = self.print_tokens.get(token)
        if code is None:
            return self._error("Token không hợp lệ hoặc đã hết hạn")
        record = self.orders[code]
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>In đơn hàng</title></head><body>"
            f"<h1>GHN {code}</h1><p>{record['client_order_code']}</p>"
            f"<p>Thu hộ: {record['cod_amount']}</p></body></html>"
        )
        return 200, page.encode("utf-8"), "text/html; charset=utf-8"

    def _cancel(self, payload):
        codes = payload.get("order_codes")
        if not isinstance(codes, list) or not codes:
            return self._error("order_codes là bắt buộc")
        results = []
        with self.lock:
            for code in codes:
                record = self.orders.get(code)
                if record is None:
                    results.append({"order_code": code, "result": False, "message": "Đơn hàng không tồn tại"})
                elif record["status"] not in self.cancellable:
                    results.append(
                        {"order_code": code, "result": False, "message": "Trạng thái đơn hàng không thể hủy"}
                    )
                else:
                    record["status"] = "cancel"
                    record["updated_date"] = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
                    results.append({"order_code": code, "result": True, "message": "OK"})
        return 200, {"code": 200, "message": "Success", "data": results}

    # --- webhook deliveries ---------------------------------------------------------------

    def set_status(self, code: str, status: str, *, at: dt.datetime | None = None) -> dict:
        record = self.orders[code]
        with self.lock:
            record["status"] = status
            when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
            record["updated_date"] = when.isoformat().replace("+00:00", "Z")
        return record

    def delivery(
        self,
        code: str,
        status: str,
        *,
        at: dt.datetime | str | None = None,
        secret: str | None = None,
        kind: str = "switch_status",
        reason: str = "",
        order_code: str | None = None,
        cod: int | None = None,
        total_fee: int | None = None,
    ) -> tuple[dict, bytes]:
        """(headers, body) of GHN's webhook POST (JSON, the documented fields), with the
        secret in ``X-Hoptac-Token`` (``secret=""``: none)."""
        record = self.orders.get(code)
        if isinstance(at, dt.datetime):
            at = at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        fee = total_fee if total_fee is not None else ((record["fee"] + record["insurance"]) if record else 0)
        payload = {
            "CODAmount": cod if cod is not None else (record["cod_amount"] if record else 0),
            "CODTransferDate": None,
            "ClientOrderCode": order_code
            if order_code is not None
            else (record["client_order_code"] if record else ""),
            "ConvertedWeight": 200,
            "Description": reason or "Cập nhật trạng thái",
            "Fee": {
                "CODFailedFee": 0,
                "CODFee": 0,
                "Coupon": 0,
                "Insurance": 0,
                "MainService": fee,
                "Return": 0,
                "Total": fee,
            },
            "Height": 10,
            "IsPartialReturn": False,
            "Length": 10,
            "OrderCode": code,
            "PartialReturnCode": "",
            "PaymentType": 1,
            "Reason": reason,
            "ReasonCode": "",
            "ShopID": int(self.shop_id),
            "Status": status,
            "Time": at or dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "TotalFee": fee,
            "Type": kind,
            "Warehouse": "Bưu Cục 229 Quan Nhân-Q.Thanh Xuân-HN",
            "Weight": 200,
            "Width": 10,
        }
        headers = {"Content-Type": "application/json"}
        secret = self.callback_secret if secret is None else secret
        if secret:
            headers[CALLBACK_HEADER] = secret
        return headers, json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def callback(
        self, url: str, code: str, status: str, *, at=None, secret: str | None = None, **kwargs
    ) -> httpx.Response:
        """POST a status callback to ``url`` as GHN does (see :meth:`delivery`)."""
        headers, body = self.delivery(code, status, at=at, secret=secret, **kwargs)
        return self.post_callback(url, headers, body)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def ghtk_server():
    """A running :class:`FakeGHTK` (``url``, ``token``, ``callback_secret``)."""
    with FakeGHTK() as fake:
        yield fake


@pytest.fixture
def ghn_server():
    """A running :class:`FakeGHN` (``url``, ``token``, ``shop_id``, ``callback_secret``)."""
    with FakeGHN() as fake:
        yield fake
