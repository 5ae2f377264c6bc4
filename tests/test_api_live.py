"""The live-selling API: lives with their products and counts, going on air and off,
comments (one or a batch of 500) read into claims idempotently, the claims and buyers with
phones shown or masked, releasing a claim; the gates (token, role, cooperative). The route
walk of tests/test_api.py also covers every route's gate."""

from __future__ import annotations

import time
import uuid

import pytest
from django.test import Client

from hoptac.accounts.services import membership_set
from hoptac.api import services as api_services
from hoptac.api.models import IdempotencyRecord
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.live.models import Claim, ClaimState, LiveBuyer, LiveComment, LiveItem, LiveSession, LiveStatus
from hoptac.live.services.claims import buyer_confirm
from hoptac.shop.services.orders import Buyer
from tests.conftest import make_user
from tests.live_fixtures import on_air, planned
from tests.shop_fixtures import BUYER, hanoi_commune, open_shop, stocked

API = "/api/v1/c"


@pytest.fixture
def token_for(db):
    def _make(user) -> Client:
        secret = api_services.token_create(user=user, name="live").secret
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")

    return _make


@pytest.fixture
def api_a(chair_a, token_for):
    return token_for(chair_a)


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def send(client, live, *comments, slug="coop-a"):
    body = {"comments": [c if isinstance(c, dict) else {"text": c[1], "author_name": c[0]} for c in comments]}
    return post(client, f"{API}/{slug}/lives/{live.code}/comments", body)


# --- lives -----------------------------------------------------------------------------------


def test_lives_with_items_and_counts(api_a, coop_a, live_a):
    answer = send(
        api_a,
        live_a,
        ("Lò Thị Mai", "chốt M1 x6 0912345678"),
        ("Vàng Seo Pao", "m1 5 0987654321"),  # 4 left: waits
        ("Vàng Seo Pao", "M1  5 0987654321"),  # the same words again: a duplicate
        ("Giàng A Lử", "C2 2"),  # no phone: needs a look
        ("Sùng Thị Dợ", "mật ong còn không ạ?"),  # a question
    )
    assert answer.status_code == 200, answer.content
    got = api_a.get(f"{API}/coop-a/lives/{live_a.code}").json()
    assert got["status"] == "live" and got["platform"] == "facebook"
    items = {i["code"]: i for i in got["items"]}
    assert (items["M1"]["quantity"], items["M1"]["held"], items["M1"]["waiting"], items["M1"]["left"]) == (
        10,
        6,
        5,
        4,
    )
    assert (items["C2"]["held"], items["C2"]["left"], items["C2"]["price_vnd"]) == (2, 3, 150_000)
    counts = got["counts"]
    assert counts["comments"] == 5 and counts["order_comments"] == 3 and counts["duplicates"] == 1
    assert counts["needs_look"] == 1 and counts["buyers"] == 3
    assert counts["claims"] == {"held": 2, "waiting": 1, "ordered": 0, "released": 0, "expired": 0}
    assert counts["held_vnd"] == 6 * 200_000 + 2 * 150_000

    listed = api_a.get(f"{API}/coop-a/lives").json()
    assert listed["count"] == 1 and listed["items"][0] == got
    assert api_a.get(f"{API}/coop-a/lives?status=planned").json()["count"] == 0


def test_the_list_costs_the_same_queries_for_more_lives(api_a, coop_a, live_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(100) as one:
        api_a.get(f"{API}/coop-a/lives")
    planned(coop_a, items=(("M1", 5, 2, 100_000), ("C1", 5, 2, 90_000)), title="Live tuần sau")
    planned(coop_a, items=(("M2", 5, 2, 100_000),), title="Live tháng sau")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = api_a.get(f"{API}/coop-a/lives").json()
    assert page["count"] == 3 and sum(len(live["items"]) for live in page["items"]) == 5


def test_start_and_end_a_live(api_a, coop_a):
    live = planned(coop_a, items=(("M1", 20, 8, 200_000),))
    refused = post(api_a, f"{API}/coop-a/lives/{live.code}/end")
    assert refused.status_code == 422 and "not on air" in refused.json()["detail"][0]
    started = post(api_a, f"{API}/coop-a/lives/{live.code}/start")
    assert started.status_code == 200 and started.json()["status"] == "live"
    assert started.json()["started_at"].endswith("+07:00")
    again = post(api_a, f"{API}/coop-a/lives/{live.code}/start")  # a retry changes nothing
    assert again.status_code == 200 and again.json()["started_at"] == started.json()["started_at"]
    send(api_a, live, ("Lò Thị Mai", "chốt M1 x3 0912345678"))
    ended = post(api_a, f"{API}/coop-a/lives/{live.code}/end")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert ended.json()["items"][0]["held"] == 3
    assert post(api_a, f"{API}/coop-a/lives/{live.code}/end").status_code == 200
    restart = post(api_a, f"{API}/coop-a/lives/{live.code}/start")
    assert restart.status_code == 422 and restart.json()["detail"] == ["This live has already started."]
    assert LiveSession.unscoped.get(pk=live.pk).status == LiveStatus.ENDED


def test_going_on_air_short_of_stock_is_refused_whole(api_a, coop_a):
    live = planned(coop_a, items=(("M1", 20, 8, 200_000), ("C1", 3, 5, 90_000)))
    answer = post(api_a, f"{API}/coop-a/lives/{live.code}/start")
    assert answer.status_code == 422
    assert "C1" in answer.json()["detail"][0]
    assert LiveSession.unscoped.get(pk=live.pk).status == LiveStatus.PLANNED


def live_body(listings, **more) -> dict:
    return {
        "client_key": str(uuid.uuid4()),
        "title": "Live mật ong tối thứ Sáu",
        "platform": "facebook",
        "starts_at": "2026-12-11T20:00:00+07:00",
        "hold_minutes": 90,
        "items": [
            {"listing": listing.pk, "code": code, "price_vnd": price, "quantity": quantity}
            for listing, code, price, quantity in listings
        ],
        **more,
    }


def test_plan_a_live_with_its_products_once(api_a, coop_a, coop_b):
    open_shop(coop_a)
    honey = stocked(coop_a, code="MAT", packs=30, price=250_000)
    tea = stocked(coop_a, name="Chè Shan tuyết", code="CHE", packs=10, price=180_000)
    body = live_body([(honey, "m 1", 199_000, 12), (tea, "", None, 4)])
    made = post(api_a, f"{API}/coop-a/lives", body)
    assert made.status_code == 201, made.content
    live = made.json()
    assert (live["status"], live["hold_minutes"], live["starts_at"]) == (
        "planned",
        90,
        "2026-12-11T20:00:00+07:00",
    )
    items = [(i["code"], i["listing"], i["price_vnd"], i["quantity"], i["left"]) for i in live["items"]]
    assert items == [("M1", honey.pk, 199_000, 12, 12), ("C1", tea.pk, 180_000, 4, 4)]  # code suggested
    again = post(api_a, f"{API}/coop-a/lives", {**body, "starts_at": "2026-12-11T13:00:00Z"})  # same moment
    assert again.status_code == 200 and again.json() == live
    other = post(api_a, f"{API}/coop-a/lives", {**body, "title": "Live khác"})
    assert other.status_code == 422 and "client_key" in other.json()["detail"][0]
    with tenant(coop_a):
        assert LiveSession.objects.count() == 1 and LiveItem.objects.count() == 2
    started = post(api_a, f"{API}/coop-a/lives/{live['code']}/start")
    assert started.status_code == 200 and started.json()["status"] == "live"


def test_a_refused_product_refuses_the_live_and_is_named(api_a, coop_a, coop_b):
    open_shop(coop_a)
    honey = stocked(coop_a, code="MAT", packs=30)
    tea = stocked(coop_a, name="Chè Shan tuyết", code="CHE", packs=3)
    open_shop(coop_b)
    theirs = stocked(coop_b, name="Chè Tây Côn Lĩnh", code="CHEK", packs=50)
    body = live_body(
        [(honey, "M1", None, 5), (tea, "C1", None, 4), (theirs, "C2", None, 1), (honey, "M2", None, 1)]
    )
    answer = post(api_a, f"{API}/coop-a/lives", body)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert [(d["index"], d["listing"]) for d in detail] == [(1, tea.pk), (2, theirs.pk), (3, honey.pk)]
    assert detail[0]["messages"] == ["Only 3 packs are in stock."]
    assert detail[1]["messages"] == ["Choose a product on sale in the shop."]  # another cooperative's
    assert detail[2]["messages"] == ["This product is already in the live."]
    for bad in (
        {"items": []},
        {"platform": "myspace"},
        {"title": ""},
        {"hold_minutes": 5},
        {"items": [{"listing": honey.pk, "quantity": 0}]},
        {"items": [{"listing": honey.pk, "quantity": 1, "price_vnd": 999}]},
        {"items": [{"listing": honey.pk, "quantity": 1, "code": "MẬT ONG"}]},
    ):
        refused = post(api_a, f"{API}/coop-a/lives", {**body, **bad, "client_key": str(uuid.uuid4())})
        assert refused.status_code == 422, (bad, refused.content)
    with tenant(coop_a):
        assert not LiveSession.objects.exists() and not LiveItem.objects.exists()
    assert not IdempotencyRecord.unscoped.exists()


# --- comments --------------------------------------------------------------------------------


def test_comments_make_claims_and_buyers_with_their_links(api_a, coop_a, live_a):
    answer = send(
        api_a,
        live_a,
        {
            "text": "chốt M1 x2 0912 345 678",
            "author_name": "Lò Thị Mai",
            "external_id": "fb_1",
            "author_id": "u1",
        },
        {
            "text": "C2 1 nữa",
            "author_name": "Lò Thị Mai",
            "author_id": "u1",
            "at": "2026-12-01T20:05:00+07:00",
        },
        {"text": "M1 x2 0912345678", "author_name": "lo thi mai"},  # the same buyer by phone
        {"text": "đẹp quá", "author_name": "Khách"},
    )
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["new"], data["seen"], data["duplicates"], data["claims"]) == (4, 0, 0, 3)
    first, second, third, fourth = data["comments"]
    assert first["result"] == "new" and first["external_id"] == "fb_1" and first["is_order"]
    assert first["claims"] == [{"id": first["claims"][0]["id"], "item": "M1", "quantity": 2, "state": "held"}]
    assert first["buyer"]["phone"] == "0912345678"
    with tenant(coop_a):
        buyer = LiveBuyer.objects.get()
    assert first["buyer"]["link"] == f"http://testserver/mua/{buyer.token}/"
    assert second["buyer"]["id"] == buyer.pk == third["buyer"]["id"]  # one buyer: same account, same phone
    assert second["claims"][0]["item"] == "C2" and second["look_reasons"] == ["phone"]
    assert fourth["is_order"] is False and fourth["buyer"] is None and fourth["claims"] == []
    with tenant(coop_a):
        assert LiveComment.objects.get(external_id="fb_1").source == "api"
        assert str(LiveComment.objects.get(text="C2 1 nữa").at.isoformat()).startswith("2026-12-01T13:05")


def test_comments_are_idempotent_by_external_id(api_a, coop_a, live_a):
    comments = [
        {"text": f"M1 x1 09123456{n:02d}", "author_name": f"Người mua {n}", "external_id": f"fb_{n}"}
        for n in range(12)
    ]
    first = send(api_a, live_a, *comments).json()
    assert first["new"] == 12 and first["claims"] == 12
    again = send(api_a, live_a, *comments[:3], {"text": "C2 1 0988000111", "external_id": "fb_99"}).json()
    assert (again["new"], again["seen"], again["claims"]) == (1, 3, 1)
    # A retry is answered with what the first request claimed, in its state now.
    assert [c["claims"] for c in again["comments"][:3]] == [c["claims"] for c in first["comments"][:3]]
    assert [c["comment_id"] for c in again["comments"][:3]] == [
        c["comment_id"] for c in first["comments"][:3]
    ]
    with tenant(coop_a):
        assert LiveComment.objects.count() == 13 and Claim.objects.count() == 13
        assert Claim.objects.filter(state=ClaimState.WAITING).count() == 2  # 10 set aside for M1


def test_a_batch_of_500_comments(api_a, coop_a):
    live = on_air(coop_a, items=(("M1", 200, 100, 200_000), ("C2", 200, 100, 150_000)))
    comments = [
        {
            "text": f"chốt {'M1' if n % 2 else 'c2'} x{1 + n % 3} 09{n:08d}",
            "author_name": f"Khách {n}",
            "external_id": f"yt_{n}",
        }
        for n in range(500)
    ]
    started = time.perf_counter()
    answer = send(api_a, live, *comments)
    took = time.perf_counter() - started
    assert answer.status_code == 200, answer.content[:300]
    data = answer.json()
    assert data["new"] == 500 and data["claims"] == 500
    print(f"\n500 comments in one request: {took:.1f} s ({took * 2:.1f} ms per comment)")
    with tenant(coop_a):
        for item in LiveItem.objects.filter(session=live):
            taken = sum(c.quantity for c in Claim.objects.filter(item=item, state=ClaimState.HELD))
            assert taken <= item.quantity
            assert Claim.objects.filter(item=item, state=ClaimState.WAITING).exists()
    assert send(api_a, live, *comments[:1], *([{"text": "M1"}] * 500)).status_code == 422  # 501


def test_a_refused_comment_refuses_the_batch_and_names_it(api_a, coop_a, live_a):
    answer = send(
        api_a,
        live_a,
        {"text": "chốt M1 x2 0912345678", "external_id": "fb_1"},
        {"text": "   ", "external_id": "fb_2"},
        {"text": "M1 5000 0987654321", "external_id": "fb_3"},
    )
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert [(d["index"], d["external_id"]) for d in detail] == [(1, "fb_2")]
    assert detail[0]["messages"] == ["The comment is empty."]
    with tenant(coop_a):
        assert (
            not LiveComment.objects.exists() and not Claim.objects.exists() and not LiveBuyer.objects.exists()
        )


def test_bad_comment_requests_are_refused(api_a, coop_a, live_a):
    url = f"{API}/coop-a/lives/{live_a.code}/comments"
    for body in (
        {},
        {"comments": []},
        {"comments": [{"author_name": "Mai"}]},
        {"comments": [{"text": "M1 2\x00"}]},
        {"comments": [{"text": "x" * 1001}]},
        {"comments": [{"text": "M1 2", "at": "1999-12-31T00:00:00+07:00"}]},
        {"comments": [{"text": "M1 2", "external_id": "x" * 81}]},
        {"comments": "M1 2"},
    ):
        answer = post(api_a, url, body)
        assert answer.status_code == 422, (body, answer.content)
    not_json = api_a.post(url, "{", content_type="application/json")
    assert not_json.status_code == 422
    planned_live = planned(coop_a, items=(("M1", 5, 2, 100_000),), title="Live tuần sau")
    refused = send(api_a, planned_live, ("Mai", "M1 2 0912345678"), ("Pao", "M1 1 0987654321"))
    assert refused.status_code == 422 and refused.json()["detail"] == [
        "Start the live before taking comments."
    ]
    assert (
        post(api_a, f"{API}/coop-a/lives/LNOPE1/comments", {"comments": [{"text": "M1"}]}).status_code == 404
    )
    with tenant(coop_a):
        assert not LiveComment.objects.exists()


# --- claims, buyers, phones ---------------------------------------------------------------------


def test_claims_and_buyers_show_phones_masked_on_request(api_a, coop_a, live_a):
    send(
        api_a,
        live_a,
        ("Lò Thị Mai", "chốt M1 x6 0912345678"),
        ("Vàng Seo Pao", "M1 5 gọi 0987 654 321"),
        ("Giàng A Lử", "c2 1"),
    )
    page = api_a.get(f"{API}/coop-a/lives/{live_a.code}/claims").json()
    assert page["count"] == 3
    first, second, third = page["items"]
    assert first["buyer"]["phone"] == "0912345678" and first["comment"]["text"] == "chốt M1 x6 0912345678"
    assert (first["state"], first["amount_vnd"], first["waiting_place"]) == ("held", 1_200_000, None)
    assert (second["state"], second["waiting_place"]) == ("waiting", 1)
    assert third["needs_look"] and third["buyer"]["phone"] == ""

    masked = api_a.get(f"{API}/coop-a/lives/{live_a.code}/claims?masked=true").json()["items"]
    assert masked[0]["buyer"]["phone"] == "•••••••678"
    assert masked[1]["comment"]["text"] == "M1 5 gọi •••••••321"
    assert "0912345678" not in str(masked) and "654 321" not in str(masked)

    waiting = api_a.get(f"{API}/coop-a/lives/{live_a.code}/claims?state=waiting&item=m1").json()
    assert [c["id"] for c in waiting["items"]] == [second["id"]]
    assert api_a.get(f"{API}/coop-a/lives/{live_a.code}/claims?needs_look=true").json()["count"] == 1

    buyers = api_a.get(f"{API}/coop-a/lives/{live_a.code}/buyers").json()
    mai = buyers["items"][0]
    assert (mai["name"], mai["phone"], mai["held"], mai["held_vnd"]) == (
        "Lò Thị Mai",
        "0912345678",
        6,
        1_200_000,
    )
    assert mai["link"].endswith(f"/mua/{LiveBuyer.unscoped.get(pk=mai['id']).token}/")
    hidden = api_a.get(f"{API}/coop-a/lives/{live_a.code}/buyers?masked=true").json()["items"]
    assert hidden[0]["phone"] == "•••••••678" and all(b["link"] is None for b in hidden)
    assert "/mua/" not in str(hidden)


def test_releasing_a_claim_moves_the_waiting_list_up(api_a, coop_a, live_a):
    made = send(
        api_a,
        live_a,
        ("Lò Thị Mai", "chốt M1 x6 0912345678"),
        ("Vàng Seo Pao", "M1 5 0987654321"),
    ).json()
    held_id = made["comments"][0]["claims"][0]["id"]
    waiting_id = made["comments"][1]["claims"][0]["id"]
    answer = post(api_a, f"{API}/coop-a/claims/{held_id}/release", {"note": "Khách báo hủy"})
    assert answer.status_code == 200, answer.content
    assert (answer.json()["state"], answer.json()["note"]) == ("released", "Khách báo hủy")
    with tenant(coop_a):
        assert Claim.objects.get(pk=waiting_id).state == ClaimState.HELD
    assert post(api_a, f"{API}/coop-a/claims/{held_id}/release").status_code == 200  # a retry
    # An ordered claim cannot be released.
    with tenant(coop_a):
        pao = LiveBuyer.objects.get(phone="0987654321")
        buyer_confirm(
            buyer=pao,
            details=Buyer(**{**BUYER, "commune_code": hanoi_commune()}),
            delivery="post",
            payment="bank",
        )
    refused = post(api_a, f"{API}/coop-a/claims/{waiting_id}/release")
    assert refused.status_code == 422 and refused.json()["detail"] == ["This claim is already closed."]
    buyers = api_a.get(f"{API}/coop-a/lives/{live_a.code}/buyers?state=ordered").json()["items"]
    assert [b["order_code"] for b in buyers] == [LiveBuyer.unscoped.get(pk=pao.pk).order.code]
    assert post(api_a, f"{API}/coop-a/claims/999999/release").status_code == 404


# --- who may call --------------------------------------------------------------------------------


def test_gates_token_role_and_cooperative(coop_a, coop_b, live_a, chair_b, collector_a, token_for, api_a):
    made = send(api_a, live_a, ("Lò Thị Mai", "chốt M1 x2 0912345678")).json()
    claim_id = made["comments"][0]["claims"][0]["id"]
    urls = [
        f"{API}/coop-a/lives",
        f"{API}/coop-a/lives/{live_a.code}",
        f"{API}/coop-a/lives/{live_a.code}/claims",
        f"{API}/coop-a/lives/{live_a.code}/buyers",
    ]
    assert all(Client().get(url).status_code == 401 for url in urls)
    other = token_for(chair_b)
    assert all(other.get(url).status_code == 404 for url in urls)
    # chair_b in their own cooperative, naming coop_a's live and claim: not there.
    assert other.get(f"{API}/coop-b/lives/{live_a.code}").status_code == 404
    assert other.get(f"{API}/coop-b/lives").json()["count"] == 0
    assert send(other, live_a, ("Khách", "M1 3 0987654321"), slug="coop-b").status_code == 404
    assert post(other, f"{API}/coop-b/claims/{claim_id}/release").status_code == 404
    assert post(other, f"{API}/coop-b/lives/{live_a.code}/end").status_code == 404
    collector = token_for(collector_a)  # no live.run
    assert collector.get(f"{API}/coop-a/lives").status_code == 403
    assert send(collector, live_a, ("Khách", "M1 3 0987654321")).status_code == 403
    sales = make_user("0911000199", "Bán hàng A")
    membership_set(user=sales, cooperative=coop_a, role=Role.SALES)
    assert token_for(sales).get(f"{API}/coop-a/lives/{live_a.code}/claims").status_code == 200
    with tenant(coop_a):
        assert Claim.objects.get(pk=claim_id).state == ClaimState.HELD
        assert LiveComment.objects.count() == 1
        assert LiveSession.objects.get(pk=live_a.pk).status == LiveStatus.LIVE


def test_schema_names_are_unique_across_the_api():
    """ninja names each schema of the OpenAPI document by its class name: two classes of
    one name in two routers would share one description (a live buyer described as an
    order's buyer)."""
    import inspect

    from ninja import Schema

    import hoptac.api.api  # noqa: F401 - loads every router
    from hoptac.api import live, lots, members, messages, prices, products, receipts, schemas, shop, tokens

    seen: dict[str, str] = {}
    twins = []
    for module in (live, lots, members, messages, prices, products, receipts, schemas, shop, tokens):
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Schema) and value.__module__ == module.__name__:
                if name in seen and seen[name] != module.__name__:
                    twins.append(f"{name}: {seen[name]} and {module.__name__}")
                seen[name] = module.__name__
    assert len(seen) > 40 and not twins, twins
