"""The API of products, lots, stock and trace data (/api/v1/c/{slug}/products, lots, stock):
contents built from the catalog and inventory selectors, stock movements through
``inventory.services.stock_move`` (never below zero, nothing stored when refused), the
permissions stock.view / stock.sell / stock.edit, and other cooperatives kept out.

The route walk of tests/test_api.py covers these routes too (401, 403, 404 everywhere).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

import hoptac.trace
from hoptac.accounts.services import membership_set
from hoptac.api import services as api_services
from hoptac.api.access import ROUTES
from hoptac.catalog.models import Certificate, Product
from hoptac.core.roles import Perm, Role
from hoptac.core.tenancy import tenant
from hoptac.inventory import services as inventory
from hoptac.inventory.models import Lot, StockMovement
from hoptac.offtake import services as offtake
from hoptac.trace.selectors import trace_data
from tests.conftest import make_user

PREFIX = "/api/v1"
GTIN = "4006381333931"


@pytest.fixture
def token_for(db):
    def _make(user) -> Client:
        secret = api_services.token_create(user=user, name="test").secret
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    return _make


@pytest.fixture
def sales_a(coop_a):
    user = make_user("0911000105", "Bán hàng A")
    membership_set(user=user, cooperative=coop_a, role=Role.SALES)
    return user


@pytest.fixture
def stock_a(coop_a, member_a, member_a2, collector_a):
    """coop_a's honey (jars of 500 ml, a GTIN, a valid and an expired certificate), a raw lot
    of 10 l from two households' receipts with a filtering step, and a finished lot of 20
    jars made from 6 l of it; plus tea without lots."""
    today = timezone.localdate()
    with tenant(coop_a):
        honey = Product.objects.create(
            cooperative=coop_a,
            name="Mật ong bạc hà",
            name_en="Mint honey",
            code="MAT",
            base_unit="l",
            sale_unit="hũ",
            pack_size=Decimal(500),
            pack_unit="ml",
            gtin=GTIN,
        )
        tea = Product.objects.create(cooperative=coop_a, name="Chè Shan tuyết", code="CHE", base_unit="kg")
        valid = Certificate.objects.create(
            cooperative=coop_a,
            product=honey,
            kind="ocop",
            stars=4,
            number="OCOP-2024-17",
            issuer="UBND tỉnh Tuyên Quang",
            issued_on=today - dt.timedelta(days=100),
            expires_on=today + dt.timedelta(days=900),
        )
        expired = Certificate.objects.create(
            cooperative=coop_a,
            product=honey,
            kind="vietgap",
            number="VG-01",
            issuer="Trung tâm chứng nhận",
            issued_on=today - dt.timedelta(days=1200),
            expires_on=today - dt.timedelta(days=1),
        )
        offtake.price_set(
            product=honey, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
        receipts = [
            offtake.receipt_record(
                member=member,
                collected_at=timezone.now() - dt.timedelta(days=days),
                collector=collector_a,
                lines=[offtake.LineInput(product=honey, quantity=Decimal(quantity), unit="l")],
                actor=collector_a,
            )
            for member, quantity, days in ((member_a, 4, 3), (member_a2, 6, 2))
        ]
        raw = inventory.raw_lot_create(
            product=honey,
            receipt_line_ids=[line.pk for receipt in receipts for line in receipt.lines.all()],
            actor=collector_a,
        )
        step = inventory.step_add(
            lot=raw,
            kind="filtering",
            done_on=today,
            operator_name="Lò Văn Sáng",
            quantity_in=Decimal(10),
            quantity_out=Decimal("9.5"),
        )
        finished = inventory.finished_lot_create(
            product=honey,
            inputs=[(raw, Decimal(6))],
            pack_count=20,
            production_date=today,
            best_before=today + dt.timedelta(days=730),
        )
    return {
        "honey": honey,
        "tea": tea,
        "valid": valid,
        "expired": expired,
        "raw": raw,
        "finished": finished,
        "step": step,
        "today": today,
    }


def url(path: str, slug: str = "coop-a") -> str:
    return f"{PREFIX}/c/{slug}/{path}"


def post(client: Client, path: str, body: dict, slug: str = "coop-a"):
    """POST ``body`` as JSON; a stock movement gets a new client key unless it has one."""
    if path.endswith("/movements"):
        body = {"client_key": str(uuid.uuid4()), **body}
    return client.post(url(path, slug), json.dumps(body), content_type="application/json")


def movement_count() -> int:
    return StockMovement.unscoped.count()


# --- products -------------------------------------------------------------------------------------


def test_products_list_with_certificates(member_user_a, token_for, stock_a):
    # Any role of the cooperative reads the catalog, as on the web page: even a member.
    response = token_for(member_user_a).get(url("products"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["count"], data["page"], data["pages"]) == (2, 1, 1)
    assert [p["code"] for p in data["items"]] == ["CHE", "MAT"]  # by name
    tea, honey = data["items"]
    assert tea["gtin"] is None and tea["pack_size"] is None and tea["certificates"] == []
    assert honey["name"] == "Mật ong bạc hà" and honey["name_en"] == "Mint honey"
    assert honey["ocop_group"] == "food" and honey["base_unit"] == "l"
    assert (honey["sale_unit"], honey["pack_size"], honey["pack_unit"]) == ("hũ", "500.000", "ml")
    assert honey["gtin"] == GTIN and honey["is_active"] is True
    today = stock_a["today"]
    assert honey["certificates"] == [
        {
            "id": stock_a["valid"].pk,
            "kind": "ocop",
            "kind_label": "OCOP",
            "stars": 4,
            "number": "OCOP-2024-17",
            "issuer": "UBND tỉnh Tuyên Quang",
            "issued_on": (today - dt.timedelta(days=100)).isoformat(),
            "expires_on": (today + dt.timedelta(days=900)).isoformat(),
            "valid_today": True,
        },
        {
            "id": stock_a["expired"].pk,
            "kind": "vietgap",
            "kind_label": "VietGAP",
            "stars": None,
            "number": "VG-01",
            "issuer": "Trung tâm chứng nhận",
            "issued_on": (today - dt.timedelta(days=1200)).isoformat(),
            "expires_on": (today - dt.timedelta(days=1)).isoformat(),
            "valid_today": False,
        },
    ]


def test_products_filter_active_and_other_cooperative(chair_a, chair_b, token_for, stock_a):
    Product.unscoped.filter(pk=stock_a["tea"].pk).update(is_active=False)
    client = token_for(chair_a)
    assert [p["code"] for p in client.get(url("products") + "?active=true").json()["items"]] == ["MAT"]
    assert [p["code"] for p in client.get(url("products") + "?active=false").json()["items"]] == ["CHE"]
    # coop_b's chair: coop_a is not disclosed, and coop_b has no products.
    other = token_for(chair_b)
    assert other.get(url("products")).status_code == 404
    answer = other.get(url("products", "coop-b"))
    assert answer.status_code == 200 and answer.json()["count"] == 0


# --- lots ------------------------------------------------------------------------------------------


def test_lot_list_content_and_filters(collector_a, token_for, stock_a):
    client = token_for(collector_a)  # stock.view
    response = client.get(url("lots"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 2 and data["page_size"] == 50
    finished, raw = data["items"]  # newest first
    today = stock_a["today"].isoformat()
    assert finished == {
        "uuid": str(stock_a["finished"].uuid),
        "code": stock_a["finished"].code,
        "public_code": stock_a["finished"].public_code,
        "product": {"id": stock_a["honey"].pk, "code": "MAT", "name": "Mật ong bạc hà"},
        "kind": "finished",
        "unit": "pack",
        "quantity": "20.000",
        "on_hand": "20.000",
        "harvest_from": stock_a["raw"].harvest_from.isoformat(),
        "harvest_to": stock_a["raw"].harvest_to.isoformat(),
        "production_date": today,
        "best_before": (stock_a["today"] + dt.timedelta(days=730)).isoformat(),
        "pack_count": 20,
        "created_at": finished["created_at"],
    }
    assert finished["created_at"].endswith("+07:00")
    assert raw["code"].startswith("CA-MAT-") and raw["kind"] == "raw" and raw["unit"] == "l"
    assert (raw["quantity"], raw["on_hand"]) == ("10.000", "4.000")  # 6 l went into the jars
    assert raw["production_date"] is None and raw["pack_count"] is None
    assert [i["kind"] for i in client.get(url("lots") + "?kind=raw").json()["items"]] == ["raw"]
    assert client.get(url(f"lots?product={stock_a['tea'].pk}")).json()["count"] == 0
    assert client.get(url(f"lots?product={stock_a['honey'].pk}")).json()["count"] == 2
    assert client.get(url("lots?page=2")).json()["items"] == []
    unknown = client.get(url("lots?product=999999"), HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 422 and unknown.json()["detail"] == ["Unknown product."]
    assert client.get(url("lots?kind=other")).status_code == 422


def test_lot_detail_with_steps(accountant_a, token_for, stock_a):
    client = token_for(accountant_a)
    response = client.get(url(f"lots/{stock_a['finished'].uuid}"))
    assert response.status_code == 200, response.content
    lot = response.json()
    assert lot["code"] == stock_a["finished"].code and lot["on_hand"] == "20.000"
    assert lot["notes"] == ""
    # The finished lot lists the steps of the raw lot it was made from.
    assert lot["steps"] == [
        {
            "id": stock_a["step"].pk,
            "lot_code": stock_a["raw"].code,
            "kind": "filtering",
            "kind_label": lot["steps"][0]["kind_label"],
            "description": "",
            "done_on": stock_a["today"].isoformat(),
            "operator_name": "Lò Văn Sáng",
            "quantity_in": "10.000",
            "quantity_out": "9.500",
            "loss": "0.500",
        }
    ]
    assert lot["steps"][0]["kind_label"]  # translated label, not empty
    raw = client.get(url(f"lots/{stock_a['raw'].uuid}")).json()
    assert raw["on_hand"] == "4.000" and len(raw["steps"]) == 1
    assert client.get(url("lots/00000000-0000-4000-8000-000000000000")).status_code == 404
    assert client.get(url("lots/not-a-uuid")).status_code == 422


def test_stock_per_product(sales_a, token_for, stock_a):
    response = token_for(sales_a).get(url("stock"))
    assert response.status_code == 200, response.content
    assert response.json() == [
        {
            "product_id": stock_a["honey"].pk,
            "product_name": "Mật ong bạc hà",
            "kind": "finished",
            "unit": "pack",
            "on_hand": "20.000",
        },
        {
            "product_id": stock_a["honey"].pk,
            "product_name": "Mật ong bạc hà",
            "kind": "raw",
            "unit": "l",
            "on_hand": "4.000",
        },
    ]


def test_trace_data_is_the_trace_export(chair_a, token_for, stock_a, coop_a):
    """The API answers exactly trace.selectors.trace_data, so the API and the export never
    disagree, and the answer fits the export's JSON Schema."""
    import jsonschema

    lot = stock_a["finished"]
    response = token_for(chair_a).get(url(f"lots/{lot.uuid}/trace"))
    assert response.status_code == 200, response.content
    trace = response.json()
    expected = json.loads(
        json.dumps(trace_data(Lot.unscoped.select_related("product", "cooperative").get(pk=lot.pk)))
    )
    assert trace == expected
    schema = json.loads(
        (Path(hoptac.trace.__file__).parent / "schema" / "trace-export.schema.json").read_text()
    )
    jsonschema.Draft202012Validator(schema).validate(trace)
    # And it is about this lot: its households, raw lot, step and certificates.
    assert trace["lot"]["code"] == lot.code and trace["lot"]["pack_count"] == 20
    assert trace["origin"]["households"] == 2
    assert [r["code"] for r in trace["raw_lots"]] == [stock_a["raw"].code]
    assert [(s["kind"], s["operator"]) for s in trace["steps"]] == [("filtering", "Lò Văn Sáng")]
    assert {c["number"] for c in trace["certificates"]} == {"OCOP-2024-17", "VG-01"}
    assert trace["producer"]["name"] == coop_a.name


# --- stock movements -------------------------------------------------------------------------------


def test_a_sale_reduces_the_stock(sales_a, token_for, stock_a):
    before = movement_count()
    lot = stock_a["finished"]
    response = post(
        token_for(sales_a),
        f"lots/{lot.uuid}/movements",
        {"kind": "sale", "quantity": "3", "reference": "HĐ-7"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["on_hand"] == "17.000" and data["unit"] == "pack"
    movement = data["movement"]
    assert movement["kind"] == "sale" and movement["quantity"] == "-3.000"
    assert movement["reference"] == "HĐ-7" and movement["lot_uuid"] == str(lot.uuid)
    assert movement["at"].endswith("+07:00")
    assert movement_count() == before + 1
    stored = StockMovement.unscoped.get(pk=movement["id"])
    assert stored.created_by == sales_a and stored.quantity == Decimal(-3)
    lots = token_for(sales_a).get(url(f"lots/{lot.uuid}")).json()
    assert lots["on_hand"] == "17.000"


def test_an_oversell_is_refused_and_stores_nothing(sales_a, token_for, stock_a):
    before = movement_count()
    client = token_for(sales_a)
    lot = stock_a["finished"]
    for body in (
        {"kind": "sale", "quantity": "21"},
        {"kind": "sale", "quantity": "-21"},
        {"kind": "sale", "quantity": "0"},
        {"kind": "sale", "quantity": "1.5"},  # whole packs only
    ):
        response = post(client, f"lots/{lot.uuid}/movements", body)
        assert response.status_code == 422, (body, response.content)
        assert isinstance(response.json()["detail"], list) and response.json()["detail"]
    oversell = post(client, f"lots/{lot.uuid}/movements", {"kind": "sale", "quantity": "21"}, slug="coop-a")
    assert "20" in oversell.json()["detail"][0]  # "Only 20 in stock…" in the caller's language
    english = client.post(
        url(f"lots/{lot.uuid}/movements"),
        json.dumps({"client_key": str(uuid.uuid4()), "kind": "sale", "quantity": "21"}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.json()["detail"] == ["Only 20 in stock: stock cannot go below zero."]
    assert movement_count() == before
    assert client.get(url(f"lots/{lot.uuid}")).json()["on_hand"] == "20.000"


def test_loss_and_adjust_need_stock_edit_and_a_reason(accountant_a, sales_a, token_for, stock_a):
    before = movement_count()
    raw = stock_a["raw"]
    # sales has stock.sell but not stock.edit
    assert (
        post(
            token_for(sales_a),
            f"lots/{raw.uuid}/movements",
            {"kind": "loss", "quantity": "1", "reason": "Đổ vỡ"},
        ).status_code
        == 403
    )
    client = token_for(accountant_a)
    assert post(client, f"lots/{raw.uuid}/movements", {"kind": "loss", "quantity": "1"}).status_code == 422
    assert movement_count() == before
    loss = post(client, f"lots/{raw.uuid}/movements", {"kind": "loss", "quantity": "0.5", "reason": "Đổ vỡ"})
    assert loss.status_code == 201 and loss.json()["on_hand"] == "3.500"
    adjust = post(
        client, f"lots/{raw.uuid}/movements", {"kind": "adjust", "quantity": "0,25", "reason": "Cân lại"}
    )
    assert adjust.status_code == 201 and adjust.json()["on_hand"] == "3.750"
    assert adjust.json()["movement"]["quantity"] == "0.250"
    assert movement_count() == before + 2


def test_a_collector_may_not_sell(collector_a, token_for, stock_a):
    before = movement_count()
    client = token_for(collector_a)
    lot = stock_a["finished"]
    response = post(client, f"lots/{lot.uuid}/movements", {"kind": "sale", "quantity": "1"})
    assert response.status_code == 403
    assert movement_count() == before
    assert client.get(url(f"lots/{lot.uuid}")).status_code == 200  # but reads the stock


def test_another_cooperative_gets_404(chair_b, token_for, stock_a):
    before = movement_count()
    client = token_for(chair_b)
    lot = stock_a["finished"]
    for slug in ("coop-a", "coop-b"):  # coop_a's slug, and coop_a's lot under coop_b's own slug
        assert client.get(url(f"lots/{lot.uuid}", slug)).status_code == 404
        assert client.get(url(f"lots/{lot.uuid}/trace", slug)).status_code == 404
        response = post(client, f"lots/{lot.uuid}/movements", {"kind": "sale", "quantity": "1"}, slug=slug)
        assert response.status_code == 404
    assert client.get(url("lots")).status_code == 404
    assert client.get(url("stock")).status_code == 404
    own = client.get(url("lots", "coop-b"))
    assert own.status_code == 200 and own.json()["count"] == 0
    assert client.get(url("stock", "coop-b")).json() == []
    assert movement_count() == before


def test_schema_lists_the_new_routes(db):
    schema = json.loads(Client().get(f"{PREFIX}/openapi.json").content)
    listed = {(m.upper(), p.removeprefix(PREFIX)) for p, item in schema["paths"].items() for m in item}
    assert {
        ("GET", "/c/{slug}/products"),
        ("GET", "/c/{slug}/lots"),
        ("GET", "/c/{slug}/lots/{lot_id}"),
        ("POST", "/c/{slug}/lots/{lot_id}/movements"),
        ("GET", "/c/{slug}/lots/{lot_id}/trace"),
        ("GET", "/c/{slug}/stock"),
    } <= listed
    assert ROUTES["product_list"].perm == Perm.COOP_VIEW
    for name in ("lot_list", "lot_get", "lot_movement_create", "lot_trace", "stock_list"):
        assert ROUTES[name].perm == Perm.STOCK_VIEW
    body = schema["paths"][f"{PREFIX}/c/{{slug}}/lots/{{lot_id}}/movements"]["post"]
    assert set(body["responses"]) >= {"201", "401", "403", "404", "422"}


# --- a movement sent twice ------------------------------------------------------------------------------


def test_a_movement_retried_with_its_key_is_stored_once(sales_a, token_for, stock_a):
    client = token_for(sales_a)
    lot = stock_a["finished"]
    before = movement_count()
    body = {"client_key": str(uuid.uuid4()), "kind": "sale", "quantity": "3", "reference": "HĐ-8"}
    first = post(client, f"lots/{lot.uuid}/movements", body)
    assert first.status_code == 201, first.content
    again = post(client, f"lots/{lot.uuid}/movements", {**body, "quantity": "3.0"})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert movement_count() == before + 1
    other = post(client, f"lots/{lot.uuid}/movements", {**body, "quantity": "4"})
    assert other.status_code == 422
    assert movement_count() == before + 1
    assert token_for(sales_a).get(url(f"lots/{lot.uuid}")).json()["on_hand"] == "17.000"


def test_a_movement_without_a_key_is_refused(sales_a, token_for, stock_a):
    lot = stock_a["finished"]
    before = movement_count()
    response = token_for(sales_a).post(
        url(f"lots/{lot.uuid}/movements"),
        json.dumps({"kind": "sale", "quantity": "1"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert movement_count() == before
