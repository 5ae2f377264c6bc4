"""Giao Hàng Nhanh (GHN): fee, order, label, cancel, detail and webhook.

Documentation read (December 2026), base ``https://online-gateway.ghn.vn`` (staging
``https://dev-online-gateway.ghn.vn``), headers ``Token`` and ``ShopId``, JSON answers
``{"code": 200, "message", "data"}`` (an error: another ``code``, often with HTTP 400):

- fee: https://api.ghn.vn/home/docs/detail?id=76 — ``POST /shiip/public-api/v2/shipping-order/fee``
  (``from_district_id``, ``from_ward_code``, ``to_district_id``, ``to_ward_code``, ``weight``,
  ``length``/``width``/``height``, ``insurance_value``, ``cod_value``, ``service_type_id``);
  ``data.total``.
- create: https://api.ghn.vn/home/docs/detail?id=123 (and id=63) —
  ``POST /shiip/public-api/v2/shipping-order/create`` (``payment_type_id``, ``required_note``,
  ``client_order_code``, ``to_name``, ``to_phone``, ``to_address``, ``to_ward_code``,
  ``to_district_id`` or the ``*_name`` fields, ``cod_amount``, ``content``, ``weight``,
  sizes, ``insurance_value``, ``service_type_id``, ``items``); ``data.order_code``,
  ``data.total_fee``, ``data.expected_delivery_time``.
- label: https://api.ghn.vn/home/docs/detail?id=67 — ``POST /shiip/public-api/v2/a5/gen-token``
  (``order_codes``) gives a print token valid 30 minutes, then
  ``GET /a5/public-api/printA5?token=…`` is GHN's printable page (HTML).
- cancel: ``POST /shiip/public-api/v2/switch-status/cancel`` (``order_codes``);
  ``data[i].result``.
- detail: ``POST /shiip/public-api/v2/shipping-order/detail`` (``order_code``).
- places: https://api.ghn.vn/home/docs/detail?id=78 and id=61 —
  ``/shiip/public-api/master-data/province``, ``…/district`` (``province_id``),
  ``…/ward`` (``district_id``): GHN's own ids (``ProvinceID``, ``DistrictID``,
  ``WardCode``) with names and ``NameExtension`` spellings; :meth:`GhnClient.find_refs`
  matches names to them, once per address, for the caller to store.
- webhook: https://api.ghn.vn/home/docs/detail?id=47 — GHN POSTs JSON (``Type``: create,
  switch_status, update_weight, update_cod, update_fee) with ``OrderCode``,
  ``ClientOrderCode``, ``Status``, ``Time`` (ISO 8601, UTC ``Z``), ``CODAmount``,
  ``TotalFee``, ``Reason``, ``ShopID``…; anything but HTTP 200 is sent again (10 times, 5 s
  apart). The webhook is set up by GHN from a client id and a URL; GHN's documentation
  names no signature and no header of ours.

**Callback authenticity**, as for GHTK (see :mod:`.ghtk`): the account's
``callback_secret`` in the ``X-Hoptac-Token`` header, or in the ``hash`` query parameter of
the URL given to GHN (``/hooks/carrier/ghn/<coop-slug>/?hash=<secret>``), compared in
constant time; otherwise :class:`BadSignature`.

**Statuses** (GHN's status list): ready_to_pick, picking, money_collect_picking, picked,
storing, transporting, sorting, delivering, money_collect_delivering, delivered,
delivery_fail, waiting_to_return, return, return_transporting, return_sorting, returning,
return_fail, returned, cancel, exception, damage, lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _

from hoptac.lib.text import fold

from .base import (
    CALLBACK_HEADER,
    VN_TZ,
    Address,
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
    parse_time,
    whole_vnd,
)

NAME = "ghn"
BASE_URL = "https://online-gateway.ghn.vn"
API = "/shiip/public-api"
CALLBACK_QUERY_PARAM = "hash"

STATUS_MAP: dict[str, Status | None] = {
    "ready_to_pick": Status.CREATED,
    "picking": Status.CREATED,
    "money_collect_picking": Status.CREATED,
    "picked": Status.PICKED,
    "storing": Status.IN_TRANSIT,
    "transporting": Status.IN_TRANSIT,
    "sorting": Status.IN_TRANSIT,
    "delivering": Status.IN_TRANSIT,
    "money_collect_delivering": Status.IN_TRANSIT,
    "delivered": Status.DELIVERED,
    "delivery_fail": Status.FAILED,
    "waiting_to_return": Status.RETURNING,
    "return": Status.RETURNING,
    "return_transporting": Status.RETURNING,
    "return_sorting": Status.RETURNING,
    "returning": Status.RETURNING,
    "return_fail": None,  # could not give it back yet: GHN tries again
    "returned": Status.RETURNED,
    "cancel": Status.CANCELLED,
    "exception": None,
    "damage": None,
    "lost": None,
}

# Payment: 1 the shop pays the fee (our COD already includes delivery), 2 the buyer does.
PAYMENT_SHOP = 1
SERVICE_STANDARD = 2  # "E-commerce delivery"
REQUIRED_NOTE = "CHOXEMHANGKHONGTHU"  # the buyer may look, not try: usual for food


def status_for(word) -> Status | None:
    return STATUS_MAP.get(str(word or "").strip().lower())


class GhnClient(HttpApi, CarrierClient):
    name = NAME
    carrier_label = "GHN"

    def __init__(self, *, token: str, shop_id: str = "", base_url: str | None = None, timeout: float = 15.0):
        super().__init__(base_url=base_url or BASE_URL, timeout=timeout)
        if not token or not str(shop_id).strip():
            raise CarrierError(
                _("The GHN API token or shop id is missing. Add them in the carrier account settings.")
            )
        self.token = token
        self.shop_id = str(shop_id).strip()

    def headers(self) -> dict[str, str]:
        return {"Token": self.token, "ShopId": self.shop_id, "Accept": "application/json"}

    def _call(self, path: str, payload: dict):
        response = self.send("POST", API + path, json_body=payload)
        data = self.read_json(response)
        if whole_vnd(data.get("code")) != 200:
            raise self.refused(data.get("message") or data.get("code_message"), response)
        return data.get("data")

    @staticmethod
    def _refs(address: Address) -> tuple[int, str]:
        try:
            district = int(address.carrier_district_ref)
        except (TypeError, ValueError):
            district = 0
        if not district or not address.carrier_ward_ref:
            raise CarrierError(
                _("GHN needs its own district and ward codes for %(place)s. Set them for this address first.")
                % {"place": ", ".join(p for p in (address.ward, address.province) if p) or "?"}
            )
        return district, str(address.carrier_ward_ref)

    def quote(self, *, pick: Address, to: Address, parcel: Parcel) -> Quote:
        to_district, to_ward = self._refs(to)
        payload = {
            "service_type_id": SERVICE_STANDARD,
            "to_district_id": to_district,
            "to_ward_code": to_ward,
            "weight": max(int(parcel.weight_g), 1),
            "length": parcel.length_cm,
            "width": parcel.width_cm,
            "height": parcel.height_cm,
            "insurance_value": max(int(parcel.value_vnd), 0),
            "cod_value": max(int(parcel.cod_vnd), 0),
        }
        if pick.carrier_district_ref and pick.carrier_ward_ref:
            payload["from_district_id"], payload["from_ward_code"] = self._refs(pick)
        data = self._call("/v2/shipping-order/fee", payload)
        total = whole_vnd(data.get("total")) if isinstance(data, dict) else None
        if total is None or total < 0:
            raise CarrierError(_("GHN gave an answer we cannot read. Try again in a moment."), retry=True)
        return Quote(fee_vnd=total, service=str(SERVICE_STANDARD))

    def order_payload(self, *, pick: Address, to: Address, parcel: Parcel) -> dict:
        to_district, to_ward = self._refs(to)
        items = [
            {"name": name[:120], "quantity": max(int(quantity), 1), "weight": max(int(weight), 1)}
            for name, quantity, weight in parcel.items
        ] or [
            {
                "name": (parcel.content or parcel.order_code)[:120],
                "quantity": 1,
                "weight": max(parcel.weight_g, 1),
            }
        ]
        return {
            "payment_type_id": PAYMENT_SHOP,
            "required_note": REQUIRED_NOTE,
            "client_order_code": parcel.order_code,
            "note": parcel.note[:500],
            "from_name": pick.name,
            "from_phone": pick.phone,
            "from_address": pick.street,
            "from_ward_name": pick.ward,
            "from_district_name": pick.district,
            "from_province_name": pick.province,
            "return_phone": pick.phone,
            "return_address": pick.street,
            "to_name": to.name,
            "to_phone": to.phone,
            "to_address": ", ".join(p for p in (to.street, to.ward, to.province) if p),
            "to_ward_code": to_ward,
            "to_district_id": to_district,
            "cod_amount": max(int(parcel.cod_vnd), 0),
            "content": parcel.content[:2000],
            "weight": max(int(parcel.weight_g), 1),
            "length": parcel.length_cm,
            "width": parcel.width_cm,
            "height": parcel.height_cm,
            "insurance_value": max(int(parcel.value_vnd), 0),
            "service_type_id": SERVICE_STANDARD,
            "items": items,
        }

    def create(self, *, pick: Address, to: Address, parcel: Parcel) -> Created:
        try:
            data = self._call(
                "/v2/shipping-order/create", self.order_payload(pick=pick, to=to, parcel=parcel)
            )
        except CarrierError as refused:
            if refused.retry or refused.status in (401, 403):
                raise
            # Created before (our first answer was lost)? GHN refuses a client order code twice.
            existing = self._existing(parcel.order_code)
            if existing is None:
                raise
            return existing
        if not isinstance(data, dict) or not data.get("order_code"):
            raise CarrierError(_("GHN gave an answer we cannot read. Try again in a moment."), retry=True)
        expected = None
        if data.get("expected_delivery_time"):
            try:
                expected = parse_time(data["expected_delivery_time"]).astimezone(VN_TZ).date()
            except ValueError:
                expected = None
        code = str(data["order_code"])
        return Created(
            tracking_code=code,
            fee_vnd=whole_vnd(data.get("total_fee"), 0) or 0,
            label_ref=code,
            expected=expected,
            raw={"code": 200, "data": data},
        )

    def _existing(self, order_code: str) -> Created | None:
        try:
            data = self._call("/v2/shipping-order/detail-by-client-code", {"client_order_code": order_code})
        except CarrierError:
            return None
        if not isinstance(data, dict) or not data.get("order_code") or data.get("status") == "cancel":
            return None
        code = str(data["order_code"])
        return Created(tracking_code=code, fee_vnd=0, label_ref=code, raw={"code": 200, "data": data})

    # --- GHN's own place ids -------------------------------------------------------------

    def _places(self, path: str, payload: dict) -> list[dict]:
        data = self._call(path, payload)
        if not isinstance(data, list):
            raise CarrierError(_("GHN gave an answer we cannot read. Try again in a moment."), retry=True)
        return [item for item in data if isinstance(item, dict)]

    def provinces(self) -> list[dict]:
        return self._places("/master-data/province", {})

    def districts(self, province_id: int) -> list[dict]:
        return self._places("/master-data/district", {"province_id": int(province_id)})

    def wards(self, district_id: int) -> list[dict]:
        return self._places("/master-data/ward", {"district_id": int(district_id)})

    def find_refs(self, *, province: str, district: str, ward: str) -> tuple[int, str]:
        """GHN's (district id, ward code) for names (pre-2025 district needed: GHN still
        has three levels). Raises :class:`CarrierError` naming what was not found."""
        found_province = _pick(self.provinces(), "ProvinceName", province)
        if found_province is None:
            raise CarrierError(_("GHN does not know the province “%(name)s”.") % {"name": province})
        found_district = _pick(self.districts(found_province["ProvinceID"]), "DistrictName", district)
        if found_district is None:
            raise CarrierError(_("GHN does not know the district “%(name)s”.") % {"name": district})
        found_ward = _pick(self.wards(found_district["DistrictID"]), "WardName", ward)
        if found_ward is None:
            raise CarrierError(_("GHN does not know the commune or ward “%(name)s”.") % {"name": ward})
        return int(found_district["DistrictID"]), str(found_ward["WardCode"])

    def print_token(self, *, tracking_code: str) -> str:
        data = self._call("/v2/a5/gen-token", {"order_codes": [_code(tracking_code)]})
        token = data.get("token") if isinstance(data, dict) else None
        if not token:
            raise CarrierError(_("GHN gave an answer we cannot read. Try again in a moment."), retry=True)
        return str(token)

    def print_url(self, *, tracking_code: str) -> str:
        """GHN's own A5 print page for the parcel (its print token lasts 30 minutes; it is
        not our API token)."""
        return f"{self.base_url}/a5/public-api/printA5?token={self.print_token(tracking_code=tracking_code)}"

    def label(self, *, tracking_code: str, label_ref: str = "") -> tuple[bytes, str]:
        """GHN's printable A5 page (HTML, as GHN serves it)."""
        token = self.print_token(tracking_code=label_ref or tracking_code)
        response = self.send("GET", "/a5/public-api/printA5", params={"token": token})
        content_type = response.headers.get("content-type", "text/html").split(";")[0].strip().lower()
        if response.status_code != 200 or content_type == "application/json" or not response.content:
            data = self.read_json(response)
            raise self.refused(data.get("message"), response)
        return response.content, content_type

    def cancel(self, *, tracking_code: str) -> None:
        data = self._call("/v2/switch-status/cancel", {"order_codes": [_code(tracking_code)]})
        results = data if isinstance(data, list) else []
        mine = [r for r in results if isinstance(r, dict) and str(r.get("order_code")) == tracking_code]
        if not mine:
            raise CarrierError(_("GHN gave an answer we cannot read. Try again in a moment."), retry=True)
        if mine[0].get("result") is not True:
            raise self.refused(mine[0].get("message"))

    def track(self, *, tracking_code: str) -> StatusUpdate:
        data = self._call("/v2/shipping-order/detail", {"order_code": _code(tracking_code)})
        if not isinstance(data, dict):
            raise CarrierError(_("GHN gave an answer we cannot read. Try again in a moment."), retry=True)
        try:
            return _update(
                tracking=str(data.get("order_code") or tracking_code),
                order_code=str(data.get("client_order_code") or ""),
                word=data.get("status"),
                at=data.get("updated_date") or data.get("created_date"),
                cod=data.get("cod_amount"),
                fee=None,
                note="",
                raw=data,
            )
        except ValueError:
            raise CarrierError(
                _("GHN gave an answer we cannot read. Try again in a moment."), retry=True
            ) from None

    @staticmethod
    def read_callback(
        *, headers: Mapping[str, str], body: bytes, secret: str, query: Mapping[str, str] | None = None
    ) -> list[StatusUpdate]:
        presented = lower_headers(headers).get(CALLBACK_HEADER.lower()) or (query or {}).get(
            CALLBACK_QUERY_PARAM
        )
        check_secret(presented, secret)
        data = callback_payload(headers, body)
        tracking = str(data.get("OrderCode") or "").strip()
        if not tracking or not str(data.get("Status") or "").strip():
            raise ValueError("OrderCode and Status are required")
        kind = str(data.get("Type") or "").strip().lower()
        note = str(data.get("Reason") or data.get("Description") or "").strip()
        return [
            _update(
                tracking=tracking,
                order_code=str(data.get("ClientOrderCode") or "").strip(),
                word=data.get("Status"),
                at=data.get("Time"),
                cod=data.get("CODAmount"),
                fee=data.get("TotalFee"),
                note=note,
                raw=data,
                kind=kind,
            )
        ]


def _update(*, tracking, order_code, word, at, cod, fee, note, raw, kind: str = "") -> StatusUpdate:
    status_word = str(word or "").strip().lower()
    if not status_word or len(status_word) > 40:
        raise ValueError("no status")
    when = parse_time(at)
    # Fee, weight or COD updates repeat the current status: a distinct event, same status.
    carrier_status = status_word if kind in ("", "create", "switch_status") else f"{status_word}:{kind}"[:40]
    return StatusUpdate(
        tracking_code=tracking,
        order_code=order_code,
        status=STATUS_MAP.get(status_word),
        carrier_status=carrier_status,
        at=when,
        dedupe_key=dedupe_key(NAME, tracking, carrier_status, when),
        cod_vnd=whole_vnd(cod),
        fee_vnd=whole_vnd(fee),
        note=note[:300],
        raw={
            k: (v if isinstance(v, (str, int, float, bool, type(None))) else str(v))
            for k, v in dict(raw).items()
        },
    )


_UNIT_WORDS = re.compile(r"^(tinh|thanh pho|tp|quan|huyen|thi xa|tx|phuong|xa|thi tran|tt|p|q|h)\b\.? *")


def _place_key(name: str) -> str:
    text = re.sub(r"[^0-9a-z ]+", " ", fold(name or "")).strip()
    text = re.sub(r"\s+", " ", text)
    return _UNIT_WORDS.sub("", text).replace(" ", "") or text.replace(" ", "")


def _pick(items: list[dict], field: str, name: str) -> dict | None:
    """The one item whose name or a spelling of it matches ``name``; None if none or
    several."""
    wanted = _place_key(name)
    if not wanted:
        return None
    exact = [i for i in items if fold(str(i.get(field) or "")) == fold(name)]
    if len(exact) == 1:
        return exact[0]
    matches = []
    for item in items:
        spellings = [str(item.get(field) or "")] + [str(x) for x in item.get("NameExtension") or []]
        if any(_place_key(s) == wanted for s in spellings):
            matches.append(item)
    return matches[0] if len(matches) == 1 else None


def _code(code: str) -> str:
    text = str(code or "").strip()
    if not text or len(text) > 40 or not all(ch.isalnum() or ch in "-_." for ch in text):
        raise CarrierError(_("This tracking code is not one GHN gave."))
    return text


__all__ = ["BASE_URL", "NAME", "STATUS_MAP", "GhnClient", "status_for"]
