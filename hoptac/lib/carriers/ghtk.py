"""Giao Hàng Tiết Kiệm (GHTK): fee, order, label, cancel, status and webhook.

Documentation read (December 2026):

- fee: https://api.ghtk.vn/en/docs/submit-order/calculate-shipping-fee
  (also https://docs.giaohangtietkiem.vn/en/docs/submit-order/calculate-shipping-fee):
  ``GET /services/shipment/fee`` with ``pick_province``, ``pick_district``, ``province``,
  ``district``, ``ward``, ``address``, ``weight`` (grams), ``value``, ``transport``,
  ``deliver_option`` (``none``); answer ``{"success", "message", "fee": {"fee",
  "insurance_fee", "delivery", ...}}``.
- order: https://api.ghtk.vn/en/docs/submit-order/submit-order-express:
  ``POST /services/shipment/order/?ver=1.5`` with ``{"products": [{name, weight (kg),
  quantity, product_code}], "order": {id, pick_name, pick_address, pick_province,
  pick_district, pick_ward, pick_tel, tel, name, address, province, district, ward, hamlet,
  is_freeship, pick_money, value, transport, note}}``; answer ``{"success", "message",
  "order": {"partner_id", "label", "fee", "insurance_fee", "estimated_deliver_time", ...}}``,
  or ``{"success": false, "message", "error": {"code": "ORDER_ID_EXIST", "ghtk_label"}}``.
- status: https://api.ghtk.vn/en/docs/submit-order/tracking-status:
  ``GET /services/shipment/v2/{label}`` → ``{"success", "order": {"label_id",
  "partner_id", "status", "status_text", "modified", "ship_money", "pick_money", ...}}``.
- label: ``GET /services/label/{label}`` (a PDF; ``original=portrait``, ``paper_size=A6``).
- cancel: ``POST /services/shipment/cancel/{label}`` → ``{"success", "message"}``.
- webhook: https://api.ghtk.vn/en/docs/submit-order/webhook (also
  https://docs.giaohangtietkiem.vn/en/docs/submit-order/webhook): GHTK POSTs
  ``application/x-www-form-urlencoded`` (the docs also show the same fields as JSON)
  ``label_id``, ``partner_id``, ``status_id``, ``action_time`` (ISO 8601 with offset),
  ``reason_code``, ``reason``, ``weight`` (kg), ``fee``, ``pick_money``,
  ``return_part_package`` to the partner's callback URL, and retries when the answer is
  not HTTP 200.

Every request carries the shop's API token in the ``Token`` header (and, for a partner
integration, ``X-Client-Source``); never in the URL.

**Callback authenticity.** GHTK does not sign its webhook. Its documentation shows the
callback URL registered with a secret of the partner's choosing, ``?hash=XXX``, and that is
the only thing GHTK echoes back. So a carrier account's ``callback_secret`` is accepted
from either place, compared in constant time: the ``X-Hoptac-Token`` header (what our
fakes and any proxy in front of us send; preferred because headers stay out of access
logs), or the ``hash`` query parameter of the URL we register with GHTK
(``/hooks/carrier/ghtk/<coop-slug>/?hash=<secret>``) — the only way GHTK itself can present
it. A missing or wrong secret raises :class:`BadSignature`. The secret is per cooperative and
random, so a leaked one lets someone forge status changes of that cooperative only, and is
replaced by changing it in the carrier account and at GHTK.

**Statuses** (GHTK's table on the webhook page): -1 cancelled, 1 not yet received, 2
received, 12 picking, 8 / 128 pick delayed, 7 / 127 could not pick up, 3 / 123 picked
up, 4 delivering, 10 / 410 delivery delayed, 5 / 45 delivered, 6 reconciled, 9 / 49
could not deliver, 20 returning, 21 returned, 11 return reconciled, 13 compensation. The
three-digit codes are the shipper's own report before GHTK's confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from .base import (
    CALLBACK_HEADER,
    Address,
    BadSignature,
    CarrierClient,
    CarrierError,
    Created,
    HttpApi,
    Parcel,
    Quote,
    Status,
    StatusUpdate,
    callback_payload,
    check_secret,
    dedupe_key,
    lower_headers,
    parse_day,
    parse_time,
    whole_vnd,
)

NAME = "ghtk"
BASE_URL = "https://services.giaohangtietkiem.vn"
CALLBACK_QUERY_PARAM = "hash"  # GHTK's documented callback URL parameter

# GHTK's status id -> ours; absent: kept in the history, nothing moves.
STATUS_MAP: dict[int, Status | None] = {
    -1: Status.CANCELLED,
    1: Status.CREATED,
    2: Status.CREATED,
    12: Status.CREATED,
    8: None,  # pick up delayed
    128: None,
    7: None,  # could not pick up (GHTK tries again or cancels)
    127: None,
    3: Status.PICKED,
    123: Status.PICKED,
    4: Status.IN_TRANSIT,
    10: None,  # delivery delayed
    410: None,
    5: Status.DELIVERED,
    45: Status.DELIVERED,
    6: Status.DELIVERED,  # delivered and reconciled
    9: Status.FAILED,
    49: Status.FAILED,
    20: Status.RETURNING,
    21: Status.RETURNED,
    11: Status.RETURNED,  # returned and reconciled
    13: None,  # compensation (lost or damaged): staff look
}

STATUS_WORDS = {
    -1: "Hủy đơn hàng",
    1: "Chưa tiếp nhận",
    2: "Đã tiếp nhận",
    3: "Đã lấy hàng/Đã nhập kho",
    4: "Đã điều phối giao hàng/Đang giao hàng",
    5: "Đã giao hàng/Chưa đối soát",
    6: "Đã đối soát",
    7: "Không lấy được hàng",
    8: "Hoãn lấy hàng",
    9: "Không giao được hàng",
    10: "Delay giao hàng",
    11: "Đã đối soát công nợ trả hàng",
    12: "Đã điều phối lấy hàng/Đang lấy hàng",
    13: "Đơn hàng bồi hoàn",
    20: "Đang trả hàng",
    21: "Đã trả hàng",
    45: "Shipper báo đã giao hàng",
    49: "Shipper báo không giao được giao hàng",
    123: "Shipper báo đã lấy hàng",
    127: "Shipper báo không lấy được hàng",
    128: "Shipper báo delay lấy hàng",
    410: "Shipper báo delay giao hàng",
}


def status_for(status_id) -> Status | None:
    try:
        return STATUS_MAP.get(int(str(status_id).strip()))
    except ValueError:
        return None


def _kg(grams: int) -> float:
    return round(max(int(grams), 1) / 1000, 3)


class GhtkClient(HttpApi, CarrierClient):
    name = NAME
    carrier_label = "GHTK"

    def __init__(
        self, *, token: str, base_url: str | None = None, timeout: float = 15.0, client_source: str = ""
    ):
        super().__init__(base_url=base_url or BASE_URL, timeout=timeout)
        if not token:
            raise CarrierError(_("The GHTK API token is missing. Add it in the carrier account settings."))
        self.token = token
        self.client_source = client_source

    def headers(self) -> dict[str, str]:
        headers = {"Token": self.token, "Accept": "application/json"}
        if self.client_source:
            headers["X-Client-Source"] = self.client_source
        return headers

    # --- requests -------------------------------------------------------------------------

    def _answer(self, response) -> dict:
        data = self.read_json(response)
        if data.get("success") is not True:
            raise self.refused(data.get("message"), response)
        return data

    def quote(self, *, pick: Address, to: Address, parcel: Parcel) -> Quote:
        params = {
            "pick_province": pick.province,
            "pick_district": pick.district,
            "pick_ward": pick.ward,
            "pick_address": pick.street,
            "province": to.province,
            "district": to.district,
            "ward": to.ward,
            "address": to.street,
            "weight": max(int(parcel.weight_g), 1),
            "value": max(int(parcel.value_vnd), 0),
            "transport": "road",
            "deliver_option": "none",
        }
        data = self._answer(self.send("GET", "/services/shipment/fee", params=params))
        fee = data.get("fee")
        if not isinstance(fee, dict):
            raise CarrierError(_("GHTK gave an answer we cannot read. Try again in a moment."), retry=True)
        if fee.get("delivery") is False:
            raise CarrierError(_("GHTK does not deliver to this address."))
        amount = whole_vnd(fee.get("fee"))
        if amount is None or amount < 0:
            raise CarrierError(_("GHTK gave an answer we cannot read. Try again in a moment."), retry=True)
        insurance = whole_vnd(fee.get("insurance_fee"), 0) or 0
        return Quote(fee_vnd=amount + max(insurance, 0), service=str(fee.get("name") or ""))

    def order_payload(self, *, pick: Address, to: Address, parcel: Parcel) -> dict:
        if parcel.items:
            products = [
                {"name": name[:120], "weight": _kg(weight), "quantity": max(int(quantity), 1)}
                for name, quantity, weight in parcel.items
            ]
        else:
            products = [
                {
                    "name": parcel.content[:120] or parcel.order_code,
                    "weight": _kg(parcel.weight_g),
                    "quantity": 1,
                }
            ]
        order = {
            "id": parcel.order_code,
            "pick_name": pick.name,
            "pick_tel": pick.phone,
            "pick_address": pick.street,
            "pick_province": pick.province,
            "pick_district": pick.district,
            "pick_ward": pick.ward,
            "name": to.name,
            "tel": to.phone,
            "address": to.street,
            "province": to.province,
            "district": to.district,
            "ward": to.ward,
            "hamlet": "Khác",  # GHTK's "other" when the street holds the village
            "is_freeship": "1",  # the buyer pays pick_money only: our COD includes delivery
            "pick_money": max(int(parcel.cod_vnd), 0),
            "value": max(int(parcel.value_vnd), 0),
            "total_weight": _kg(parcel.weight_g),
            "transport": "road",
            "note": parcel.note[:120],
        }
        return {"products": products, "order": order}

    def create(self, *, pick: Address, to: Address, parcel: Parcel) -> Created:
        payload = self.order_payload(pick=pick, to=to, parcel=parcel)
        response = self.send("POST", "/services/shipment/order/", params={"ver": "1.5"}, json_body=payload)
        data = self.read_json(response)
        if data.get("success") is not True:
            error = data.get("error") if isinstance(data.get("error"), dict) else {}
            if error.get("code") == "ORDER_ID_EXIST" and error.get("ghtk_label"):
                # Created before (our first answer was lost): the same parcel, not a second.
                return Created(
                    tracking_code=str(error["ghtk_label"]),
                    fee_vnd=0,
                    label_ref=str(error["ghtk_label"]),
                    raw=data,
                )
            raise self.refused(data.get("message"), response)
        order = data.get("order")
        if not isinstance(order, dict) or not order.get("label"):
            raise CarrierError(_("GHTK gave an answer we cannot read. Try again in a moment."), retry=True)
        label = str(order["label"])
        fee = (whole_vnd(order.get("fee"), 0) or 0) + (whole_vnd(order.get("insurance_fee"), 0) or 0)
        return Created(
            tracking_code=label,
            fee_vnd=fee,
            label_ref=label,
            expected=parse_day(order.get("estimated_deliver_time")),
            raw=data,
        )

    def label(self, *, tracking_code: str, label_ref: str = "") -> tuple[bytes, str]:
        code = _path_part(label_ref or tracking_code)
        response = self.send(
            "GET", f"/services/label/{code}", params={"original": "portrait", "paper_size": "A6"}
        )
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if response.status_code == 200 and (
            content_type == "application/pdf" or response.content[:5] == b"%PDF-"
        ):
            return response.content, "application/pdf"
        data = self.read_json(response)
        raise self.refused(data.get("message"), response)

    def cancel(self, *, tracking_code: str) -> None:
        code = _path_part(tracking_code)
        self._answer(self.send("POST", f"/services/shipment/cancel/{code}"))

    def track(self, *, tracking_code: str) -> StatusUpdate:
        code = _path_part(tracking_code)
        data = self._answer(self.send("GET", f"/services/shipment/v2/{code}"))
        order = data.get("order")
        if not isinstance(order, dict):
            raise CarrierError(_("GHTK gave an answer we cannot read. Try again in a moment."), retry=True)
        try:
            return _update(
                tracking=str(order.get("label_id") or tracking_code),
                order_code=str(order.get("partner_id") or ""),
                status_id=order.get("status"),
                at=order.get("modified") or order.get("created"),
                cod=order.get("pick_money"),
                fee=order.get("ship_money"),
                note=str(order.get("status_text") or ""),
                raw=order,
            )
        except ValueError:
            raise CarrierError(
                _("GHTK gave an answer we cannot read. Try again in a moment."), retry=True
            ) from None

    # --- callbacks ------------------------------------------------------------------------

    @staticmethod
    def read_callback(
        *, headers: Mapping[str, str], body: bytes, secret: str, query: Mapping[str, str] | None = None
    ) -> list[StatusUpdate]:
        """Check the secret (header ``X-Hoptac-Token`` or GHTK's ``?hash=``) and read the
        webhook. Raises :class:`BadSignature`, or ``ValueError`` for a body we cannot read."""
        presented = lower_headers(headers).get(CALLBACK_HEADER.lower()) or (query or {}).get(
            CALLBACK_QUERY_PARAM
        )
        check_secret(presented, secret)
        data = callback_payload(headers, body)
        tracking = str(data.get("label_id") or "").strip()
        if not tracking or data.get("status_id") in (None, ""):
            raise ValueError("label_id and status_id are required")
        reason = str(data.get("reason") or "").strip()
        return [
            _update(
                tracking=tracking,
                order_code=str(data.get("partner_id") or "").strip(),
                status_id=data.get("status_id"),
                at=data.get("action_time"),
                cod=data.get("pick_money"),
                fee=data.get("fee"),
                note=reason,
                raw=data,
            )
        ]


def _update(*, tracking, order_code, status_id, at, cod, fee, note, raw) -> StatusUpdate:
    try:
        number = int(str(status_id).strip())
    except ValueError:
        raise ValueError("status_id is not a number") from None
    when = parse_time(at)
    word = str(number)
    text = note or STATUS_WORDS.get(number, "")
    return StatusUpdate(
        tracking_code=tracking,
        order_code=order_code,
        status=STATUS_MAP.get(number),
        carrier_status=word,
        at=when,
        dedupe_key=dedupe_key(NAME, tracking, word, when),
        cod_vnd=whole_vnd(cod),
        fee_vnd=whole_vnd(fee),
        note=text[:300],
        raw={
            k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v))
            for k, v in dict(raw).items()
        },
    )


def _path_part(code: str) -> str:
    """A tracking code as one URL path segment: GHTK's labels are letters, digits, dots."""
    text = str(code or "").strip()
    if not text or not all(ch.isalnum() or ch in ".-_:" for ch in text) or len(text) > 60:
        raise CarrierError(_("This tracking code is not one GHTK gave."))
    return text


__all__ = ["BASE_URL", "NAME", "STATUS_MAP", "BadSignature", "GhtkClient", "status_for"]
