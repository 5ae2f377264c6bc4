"""A person's accident is not a second record (issue 9, deliverables 1 and 2).

The walk finds every page under ``/c/<slug>/`` that takes POST from the URL configuration
(like the tenancy walk) and requires each to say what kind of form it is: ``@creates``
(one-time key), ``@edits`` (conflict check) or ``@repeat_safe("why")``. For every create
view, the same POST sent twice makes exactly one record: the table ``PAYLOADS`` gives a
valid body per URL name, and the walk fails, naming the view, when a create view has none.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import threading
import uuid
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from hoptac.core import formkeys
from hoptac.core.models import FormKey
from hoptac.core.tenancy import tenant
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Receipt
from tests.conftest import MEO_VAC, keyed, make_member, opened
from tests.test_tenancy import buying_a, catalog_a, coop_routes, messages_a, offers_a  # noqa: F401 (fixtures)

# POST views that need no declaration, each with the reason. Keep it short: prefer a
# decorator on the view, which records the decision where the code is.
ALLOWLIST: dict[str, str] = {}

HOW_TO = (
    "Say what kind of form it is, right under @coop_view(...), with a decorator from "
    "hoptac.core.formkeys: @creates if it creates something (and put {% form_key %} inside its "
    "<form>, then add a valid body for it to PAYLOADS in tests/test_form_safety.py), @edits if it "
    "changes a record (and check core.conflicts.EditGuard before saving, with "
    '{% include "_conflict.html" %} in its form), or @repeat_safe("why") if sending it twice '
    "cannot make a second record (a refused transition, a delete, a POST that writes nothing)."
)


def _accepts_post(callback) -> bool:
    """Whether a view takes POST: a method decorator allowing it, or code reading it."""
    function = callback
    while function is not None:
        for cell in getattr(function, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, list | tuple) and "POST" in value:
                return True
        function = getattr(function, "__wrapped__", None)
    return "POST" in inspect.getsource(inspect.unwrap(callback))


def post_routes():
    return [r for r in coop_routes() if _accepts_post(r.pattern.callback)]


def create_routes():
    return [r for r in post_routes() if getattr(r.pattern.callback, "form_kind", None) == formkeys.CREATE]


# --- the walk ------------------------------------------------------------------------------------


def test_the_walk_finds_the_forms():
    names = {r.name for r in post_routes()}
    assert {"offtake:receipt_create", "ledger:payout", "coops:member_edit", "offtake:receipt_void"} <= names
    assert "coops:member_list" not in names  # GET only


def test_every_post_view_says_what_kind_of_form_it_is():
    undeclared = [
        f"{r.name} ({r.route})"
        for r in post_routes()
        if getattr(r.pattern.callback, "form_kind", None)
        not in (formkeys.CREATE, formkeys.EDIT, formkeys.REPEAT_SAFE)
        and r.name not in ALLOWLIST
    ]
    assert not undeclared, f"POST views of no declared kind: {undeclared}. {HOW_TO}"


def test_repeat_safe_views_say_why():
    silent = [
        r.name
        for r in post_routes()
        if getattr(r.pattern.callback, "form_kind", None) == formkeys.REPEAT_SAFE
        and len(getattr(r.pattern.callback, "form_kind_why", "")) < 10
    ]
    assert not silent


def test_every_create_view_has_a_payload():
    missing = [r.name for r in create_routes() if r.name not in PAYLOADS]
    assert not missing, (
        f"Create views with no valid body in PAYLOADS of tests/test_form_safety.py: {missing}. Add one "
        "(a function of the `world` fixture returning the URL and a valid POST body), so the test "
        "proves that sending it twice makes one record."
    )
    stale = sorted(set(PAYLOADS) - {r.name for r in create_routes()})
    assert not stale, f"PAYLOADS names views that are not (or no longer) @creates: {stale}"


# --- valid bodies of every create view --------------------------------------------------------------


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 150, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def _xlsx() -> bytes:
    from tests.test_excel import row, xlsx

    return xlsx([row(full_name="Thào Mí Dính"), row(full_name="Sùng Thị Mai", gender="Nữ")])


def _url(name: str, **kwargs) -> str:
    return reverse(name, kwargs={"coop_slug": "coop-a", **kwargs})


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _receipt_body(world) -> dict:
    return {
        "member": world["member"].pk,
        "collected_at": _now_local(),
        "point": "",
        "note": "",
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "20",
        "line-0-product": world["product_id"],
        "line-0-grade": "1",
        "line-0-quantity": "12,5",
        "line-0-unit": "l",
        "line-0-deduction_pct": "",
        "confirm": "1",  # the Save button of the "Check before saving" step
    }


TODAY = dt.date.today


def _invitation_id(world) -> int:
    from hoptac.coops.services import invitation_create

    with tenant(world["member"].cooperative):
        invitation, _token = invitation_create(phone="0977000333", full_name="Lò Văn Hạnh", role="sales")
    return invitation.pk


def _statement_confirm(world) -> tuple[str, dict]:
    from hoptac.lib.banknotify import BankLine
    from hoptac.shop.views.money import statement_token

    line = BankLine(
        source="statement", provider_id="", at=timezone.now(), amount=120_000, memo="DH chuyen tien"
    )
    token = statement_token(world["member"].cooperative, [line], {}, False)
    return _url("shop_money:statement_confirm"), {"token": token}


def _live(world, *, on_air: bool):
    """A live sale of coop_a with M1 (planned with a second listed product to add, or on air)."""
    from tests import live_fixtures
    from tests.shop_fixtures import stocked

    coop = world["member"].cooperative
    if on_air:
        return live_fixtures.on_air(coop), None
    session = live_fixtures.planned(coop)
    return session, stocked(coop, name="Chè Shan tuyết", code="CHE", packs=10, price=120_000)


def _live_item_add(world) -> tuple[str, dict]:
    session, listing = _live(world, on_air=False)
    return _url("live_staff:item_add", live_code=session.code), {"listing": listing.pk, "quantity": "5"}


def _live_paste(world) -> tuple[str, dict]:
    session, _listing = _live(world, on_air=True)
    return _url("live_staff:comments_paste", live_code=session.code), {"text": "Lan: chốt M1 x2 0912345678"}


def _live_upload(world) -> tuple[str, dict]:
    session, _listing = _live(world, on_air=True)
    data = "Name,Comment\nLan,chốt M1 x2 0912345678\n".encode()
    return _url("live_staff:comments_upload", live_code=session.code), {"file": data}


def _live_claim_add(world) -> tuple[str, dict]:
    session, _listing = _live(world, on_air=True)
    with tenant(session.cooperative):
        item_id = session.items.get().pk
    body = {"item": item_id, "buyer_name": "Lan", "phone": "0912345678", "quantity": "2"}
    return _url("live_staff:claim_add", live_code=session.code), body


PAYLOADS = {
    "live_staff:session_create": lambda w: (
        _url("live_staff:session_create"),
        {
            "title": "Live mật ong",
            "platform": "facebook",
            "starts_at": "2026-12-04T20:00",
            "hold_minutes": "120",
        },
    ),
    "live_staff:item_add": _live_item_add,
    "live_staff:comments_paste": _live_paste,
    "live_staff:comments_upload": _live_upload,
    "live_staff:claim_add": _live_claim_add,
    "shop_money:statement_confirm": _statement_confirm,
    "coops:member_create": lambda w: (
        _url("coops:member_create"),
        {
            "full_name": "Lò Thị Hoa",
            "gender": "female",
            "ethnicity": "hmong",
            "phone": "0912000555",
            "commune_code": str(MEO_VAC),
            "member_type": "official",
            "joined_on": "2023-05-01",
        },
    ),
    "coops:member_import": lambda w: (_url("coops:member_import"), {"file": _xlsx()}),
    "coops:group_list": lambda w: (_url("coops:group_list"), {"name": "Tổ chè", "kind": "product"}),
    "invitations:invite": lambda w: (
        _url("invitations:invite"),
        {"phone": "0977000111", "full_name": "Giàng Thị Súa", "role": "collector"},
    ),
    "invitations:resend": lambda w: (_url("invitations:resend", invitation_id=_invitation_id(w)), {}),
    "offtake:receipt_create": lambda w: (_url("offtake:receipt_create"), _receipt_body(w)),
    "offtake:product_list": lambda w: (
        _url("offtake:product_list"),
        {"name": "Chè", "code": "CHE", "base_unit": "kg", "ocop_group": "drinks"},
    ),
    "offtake:season_list": lambda w: (
        _url("offtake:season_list"),
        {
            "product": w["product_id"],
            "name": "Vụ chè",
            "starts_on": (TODAY() + dt.timedelta(days=200)).isoformat(),
            "ends_on": (TODAY() + dt.timedelta(days=230)).isoformat(),
        },
    ),
    "offtake:point_list": lambda w: (
        _url("offtake:point_list"),
        {"name": "Điểm mới", "commune_code": MEO_VAC},
    ),
    "offtake:price_list": lambda w: (
        _url("offtake:price_list"),
        {"product": w["product_id"], "grade": 1, "price_vnd": "600.000", "effective_from": _now_local()},
    ),
    "offtake:agreement_create": lambda w: (
        _url("offtake:agreement_create"),
        {
            "member": w["member2"].pk,
            "season": w["season_id"],
            "committed_quantity": "10",
            "committed_unit": "l",
            "price_rule": "list",
            "signed_on": TODAY().isoformat(),
        },
    ),
    "ledger:advance": lambda w: (
        _url("ledger:advance", member_id=w["member"].uuid),
        {"amount": "1.500.000", "day": TODAY().isoformat(), "memo": "Tạm ứng", "confirm": "1"},
    ),
    "ledger:loan": lambda w: (
        _url("ledger:loan", member_id=w["member"].uuid),
        {
            "item": "Phân NPK",
            "quantity": "2,5",
            "unit": "bao",
            "value": "750000",
            "day": TODAY().isoformat(),
            "confirm": "1",
        },
    ),
    "ledger:payout": lambda w: (
        _url("ledger:payout", member_id=w["member"].uuid),
        {"amount": "1.000", "deduct": "0", "method": "cash", "memo": "Trả tiền", "confirm": "1"},
    ),
    "ledger:run_create": lambda w: (
        _url("ledger:run_create"),
        {"member": [w["banked_uuid"]], "note": "Đợt chuyển khoản tháng này"},
    ),
    "ledger:statement_send": lambda w: (
        _url("ledger:statement_send", member_id=w["member"].uuid),
        {
            "start": (TODAY() - dt.timedelta(days=60)).isoformat(),
            "end": (TODAY() - dt.timedelta(days=1)).isoformat(),
            "how": "handed",
        },
    ),
    "catalog:photo_add": lambda w: (
        _url("catalog:photo_add", product_id=w["product_id"]),
        {"photo": _jpeg(), "alt": "Hũ mật ong"},
    ),
    "catalog:certificate_add": lambda w: (
        _url("catalog:certificate_add", product_id=w["product_id"]),
        {"kind": "ocop", "stars": "4", "number": "OCOP-1", "issuer": "UBND", "issued_on": "2024-01-10"},
    ),
    "inventory:lot_raw_create": lambda w: (
        _url("inventory:lot_raw_create"),
        {"product": w["product_id"], "lines": [w["free_line_id"]]},
    ),
    "inventory:lot_finished_create": lambda w: (
        _url("inventory:lot_finished_create"),
        {
            "product": w["product_id"],
            "pack_count": "4",
            "production_date": TODAY().isoformat(),
            "best_before": (TODAY() + dt.timedelta(days=700)).isoformat(),
            "source_0": w["lot_pk"],
            "used_0": "1",
        },
    ),
    "inventory:step_create": lambda w: (
        _url("inventory:step_create", lot_id=w["lot_id"]),
        {
            "step-kind": "filtering",
            "step-done_on": TODAY().isoformat(),
            "step-operator_name": "A",
            "step-quantity_in": "4",
            "step-quantity_out": "3",
        },
    ),
    "inventory:movement_create": lambda w: (
        _url("inventory:movement_create", lot_id=w["lot_id"]),
        {"move-kind": "sale", "move-quantity": "1", "move-reason": "Chị Hoa"},
    ),
    "inventory:receipt_take_out": lambda w: (
        _url("inventory:receipt_take_out", lot_id=w["lot_id"]),
        {"receipt": w["lot_receipt_uuid"], "reason": "Ghi nhầm hộ"},
    ),
    "notify:announcement_create": lambda w: (
        _url("notify:announcement_create"),
        {"title": "Họp", "body": "Mời {ten} họp", "audience": "all", "channel_mode": "preferred"},
    ),
    "notify:template_list": lambda w: (
        _url("notify:template_list"),
        {"name": "Mẫu mới", "body": "Thu mua mật ong"},
    ),
    "notify:offer_detail": lambda w: (
        _url("notify:offer_detail", offer_id=w["offer_id"]),
        {"text": "HTX nhận mua 20 lít.", "unaccented": "on", "action": "send"},
    ),
    "shop_staff:rate_add": lambda w: (
        _url("shop_staff:rate_add"),
        {"method": "post", "zone": "north", "up_to_g": "3000", "fee_vnd": "40.000"},
    ),
    "shop_staff:tier_add": lambda w: (
        _url("shop_staff:tier_add", product_id=w["product_id"]),
        {"min_quantity": "20", "price_vnd": "200.000"},
    ),
    "shop_staff:order_cash": lambda w: (
        _url("shop_staff:order_cash", order_code=w["order_code"]),
        {"amount": "10.000", "seen_paid": "0"},
    ),
}


def _shop_order(coop) -> str:
    """An open shop of ``coop`` selling the product of buying_a (code MAT), and a
    cash-on-delivery order of it picked up at the cooperative."""
    from hoptac.shop.services.orders import Buyer, Choice, order_place
    from tests.shop_fixtures import open_shop, stocked

    open_shop(coop)
    listing = stocked(coop)
    (order,) = order_place(
        items=[(listing.pk, 1)],
        buyer=Buyer(name="Lê Thị Thu", phone="0355111222"),
        choices={coop.pk: Choice(delivery="pickup", payment="cod")},
    )
    return order.code


@pytest.fixture
def world(coop_a, member_a, member_a2, buying_a, catalog_a, messages_a, offers_a):  # noqa: F811
    """Objects of coop_a every create form can refer to."""
    from hoptac.catalog.models import Product

    with tenant(coop_a):
        product = Product.objects.get(pk=buying_a["product_id"])
        receipt = offtake.receipt_record(
            member=member_a,
            collected_at=timezone.now(),
            lines=[offtake.LineInput(product=product, quantity=Decimal(3), unit="l")],
        )
        from hoptac.inventory.models import Lot

        lot = Lot.objects.get(uuid=buying_a["lot_id"])
        free_line_id = receipt.lines.get().pk
        banked = make_member(coop_a, full_name="Sùng A Lử", bank_bin="970405", bank_account="100200300")
        offtake.receipt_record(
            member=banked,
            collected_at=timezone.now(),
            lines=[offtake.LineInput(product=product, quantity=Decimal(2), unit="l")],
        )
        lot_receipt_uuid = str(
            lot.sources.select_related("receipt_line__receipt").first().receipt_line.receipt.uuid
        )
    order_code = _shop_order(coop_a)
    return {
        "order_code": order_code,
        "banked_uuid": str(banked.uuid),
        "lot_receipt_uuid": lot_receipt_uuid,
        **buying_a,
        "member": member_a,
        "member2": member_a2,
        "free_line_id": free_line_id,
        "lot_pk": lot.pk,
        **offers_a,
    }


def _counts() -> dict[str, int]:
    """Rows of every model of the project (sessions and the form keys apart)."""
    counts = {}
    for model in apps.get_models():
        if model.__module__.startswith("hoptac.") and model is not FormKey:
            counts[model._meta.label] = model._base_manager.count()
    return counts


def _body(data: dict) -> dict:
    body = {}
    for name, value in data.items():
        if isinstance(value, bytes):
            ext = "xlsx" if value[:2] == b"PK" else "jpg"
            value = SimpleUploadedFile(f"upload.{ext}", value)
        body[name] = value
    return body


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_the_same_post_twice_makes_one_record(login, chair_a, world, name):
    url, data = PAYLOADS[name](world)
    client = login(chair_a)
    key = str(uuid.uuid4())
    before = _counts()
    first = client.post(url, _body({**data, "form_key": key}))
    assert first.status_code == 302, (name, first.status_code, first.content.decode()[:3000])
    after_first = _counts()
    grown = {label for label, n in after_first.items() if n != before[label]}
    assert grown, f"{name}: the first POST made nothing"
    again = client.post(url, _body({**data, "form_key": key}), follow=True)
    assert _counts() == after_first, f"{name}: the second POST of the same key wrote again"
    assert again.redirect_chain[0][0] == first.url
    label = FormKey.unscoped.get(key=key).label
    assert label, f"{name}: the key does not say what was made"
    with translation.override("vi"):
        expected = translation.gettext("Already recorded: %(what)s — nothing was recorded twice.") % {
            "what": label
        }
    assert expected in [str(m) for m in again.context["messages"]]


# --- the one-time key itself -------------------------------------------------------------------------


def _receipts(coop) -> int:
    with tenant(coop):
        return Receipt.objects.count()


def test_back_and_send_again_shows_the_first_receipt(login, collector_a, coop_a, world):
    """The defect: receipt, Back, send again recorded PTM-000230 and PTM-000231."""
    client = login(collector_a)
    url = _url("offtake:receipt_create")
    page = client.get(url).content.decode()
    key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    before = _receipts(coop_a)
    first = client.post(url, {**_receipt_body(world), "form_key": key})
    assert first.status_code == 302
    with tenant(coop_a):
        receipt = Receipt.objects.latest("id")
    again = client.post(url, {**_receipt_body(world), "form_key": key}, follow=True)
    assert _receipts(coop_a) == before + 1
    assert again.redirect_chain[0][0] == first.url
    text = again.content.decode()
    assert receipt.code in text
    messages = [str(m) for m in again.context["messages"]]
    assert any(receipt.code in m for m in messages), messages


def test_a_new_page_gets_a_new_key(login, chair_a, world):
    client = login(chair_a)
    url = _url("offtake:receipt_create")
    keys = {
        re.search(r'name="form_key" value="([^"]+)"', client.get(url).content.decode()).group(1) for _ in "ab"
    }
    assert len(keys) == 2


@pytest.mark.parametrize("key", [None, "", "not-a-uuid", "1" * 500])
def test_a_missing_or_garbled_key_saves_nothing(login, chair_a, coop_a, world, key):
    client = login(chair_a)
    data = _receipt_body(world)
    if key is not None:
        data["form_key"] = key
    before = _counts()
    response = client.post(_url("offtake:receipt_create"), data)
    assert response.status_code == 400
    assert _counts() == before
    text = response.content.decode()
    assert 'name="form_key"' in text  # the form again, with a new key
    assert "12,5" in text  # what was typed is still there
    assert not FormKey.unscoped.exists()


def test_a_post_only_form_without_key_answers_a_page_not_a_500(login, chair_a, world):
    client = login(chair_a)
    url = _url("inventory:movement_create", lot_id=world["lot_id"])
    before = _counts()
    response = client.post(
        url, {"move-kind": "sale", "move-quantity": "1"}, HTTP_REFERER="http://testserver/x/"
    )
    assert response.status_code == 400
    assert 'href="http://testserver/x/"' in response.content.decode()
    assert _counts() == before


def test_errors_keep_the_key_and_the_corrected_form_is_saved(login, chair_a, coop_a, world):
    client = login(chair_a)
    url = _url("offtake:receipt_create")
    key = str(uuid.uuid4())
    bad = client.post(url, {**_receipt_body(world), "line-0-quantity": "-1", "form_key": key})
    assert bad.status_code == 422
    assert f'value="{key}"' in bad.content.decode()  # the corrected form is sent with the same key
    assert not FormKey.unscoped.filter(key=key).exists()  # the claim went with the failed save
    before = _receipts(coop_a)
    good = client.post(url, {**_receipt_body(world), "form_key": key})
    assert good.status_code == 302
    assert _receipts(coop_a) == before + 1
    assert FormKey.unscoped.get(key=key).label.startswith("PTM")


def test_a_key_used_by_someone_else_is_refused(login, chair_a, accountant_a, coop_a, world):
    url = _url("offtake:receipt_create")
    key = str(uuid.uuid4())
    assert login(chair_a).post(url, {**_receipt_body(world), "form_key": key}).status_code == 302
    before = _receipts(coop_a)
    client = login(accountant_a)
    response = client.post(url, {**_receipt_body(world), "form_key": key})
    assert response.status_code == 400
    assert _receipts(coop_a) == before
    assert f'value="{key}"' not in response.content.decode()  # a new key for this person


def test_a_key_of_another_form_is_refused(login, chair_a, coop_a, world):
    client = login(chair_a)
    key = str(uuid.uuid4())
    assert (
        client.post(_url("offtake:receipt_create"), {**_receipt_body(world), "form_key": key}).status_code
        == 302
    )
    response = client.post(_url("coops:group_list"), {"name": "Tổ mới", "kind": "product", "form_key": key})
    assert response.status_code == 400
    with tenant(coop_a):
        from hoptac.coops.models import MemberGroup

        assert not MemberGroup.objects.filter(name="Tổ mới").exists()


def test_old_keys_are_purged(login, chair_a, world):
    from django.core.management import call_command

    client = login(chair_a)
    for _ in range(2):
        client.post(_url("coops:group_list"), keyed(name=f"Tổ {uuid.uuid4().hex[:6]}", kind="product"))
    assert FormKey.unscoped.count() == 2
    FormKey.unscoped.filter(pk=FormKey.unscoped.order_by("id").first().pk).update(
        created_at=timezone.now() - dt.timedelta(days=formkeys.KEEP_DAYS + 1)
    )
    call_command("purge_form_keys")
    assert FormKey.unscoped.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_receipt_sent_twice_at_once_is_stored_once(collector_a, coop_a, world):
    """Two tabs (or a double tap) sending one form at the same moment, each on its own
    database connection: one receipt; the other answer is the first result."""
    body = {**_receipt_body(world), "form_key": str(uuid.uuid4())}
    url = _url("offtake:receipt_create")
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(collector_a)
        clients.append(client)
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            answers[index] = clients[index].post(url, body)
        finally:
            connection.close()

    before = _receipts(coop_a)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [302, 302], answers
    assert answers[0].url == answers[1].url
    assert _receipts(coop_a) == before + 1


# --- edits detect conflicts ---------------------------------------------------------------------------


def _member_edit_body(member, **changes) -> dict:
    from hoptac.coops.forms import MemberForm

    with tenant(member.cooperative):
        initial = MemberForm.initial_from(member)
    data = {k: ("" if v is None else v) for k, v in initial.items() if k != "groups"}
    data["joined_on"] = member.joined_on.isoformat()
    data["capital_vnd"] = str(member.capital_vnd)
    data.update(changes)
    return data


def test_two_tabs_editing_one_member_do_not_bring_back_the_old_phone(
    login, chair_a, accountant_a, coop_a, member_a
):
    """The defect: tab 1 changes the phone; tab 2, opened before, saves the notes and
    silently brought the old phone back."""
    url = _url("coops:member_edit", member_id=member_a.uuid)
    tab1, tab2 = Client(), Client()
    tab1.force_login(chair_a)
    tab2.force_login(accountant_a)
    old_phone = member_a.phone
    body1 = opened(tab1, url, _member_edit_body(member_a, phone="0911222333"))
    body2 = opened(tab2, url, _member_edit_body(member_a, notes="Có 30 đàn ong"))
    assert tab1.post(url, body1).status_code == 302
    response = tab2.post(url, body2)
    assert response.status_code == 200
    member_a.refresh_from_db()
    assert member_a.phone == "0911222333"  # not brought back
    assert member_a.notes != "Có 30 đàn ong"  # nothing of tab 2 was written
    changes = {c.name: c for c in response.context["guard"].changes}
    assert set(changes) == {"phone"}
    phone = changes["phone"]
    assert (phone.theirs, phone.base) == ("0911 222 333", f"{old_phone[:4]} {old_phone[4:7]} {old_phone[7:]}")
    assert phone.mine == phone.base
    text = response.content.decode()
    assert "0911 222 333" in text and 'id="conflict"' in text

    # The user decides: tab 2's form now carries the values of now; they put the new phone
    # in and send again, and their notes are saved.
    token = re.search(r'name="form_base" value="([^"]+)"', text).group(1).replace("&quot;", '"')
    again = tab2.post(url, {**body2, "phone": "0911222333", "form_base": token})
    assert again.status_code == 302
    member_a.refresh_from_db()
    assert (member_a.phone, member_a.notes) == ("0911222333", "Có 30 đàn ong")


def test_sending_the_conflicting_form_again_keeps_the_users_values(login, chair_a, coop_a, member_a):
    url = _url("coops:member_edit", member_id=member_a.uuid)
    client = login(chair_a)
    stale = opened(client, url, _member_edit_body(member_a, full_name="Vàng Seo Páo"))
    from hoptac.coops import services as coop_services

    with tenant(coop_a):
        coop_services.member_update(member=member_a, data=_member_input(member_a, full_name="Vàng A Pó"))
    refused = client.post(url, stale)
    assert refused.status_code == 200
    member_a.refresh_from_db()
    assert member_a.full_name == "Vàng A Pó"
    token = re.search(r'name="form_base" value="([^"]+)"', refused.content.decode()).group(1)
    kept = client.post(url, {**stale, "form_base": token.replace("&quot;", '"')})
    assert kept.status_code == 302
    member_a.refresh_from_db()
    assert member_a.full_name == "Vàng Seo Páo"


def _member_input(member, **changes):
    from dataclasses import fields

    from hoptac.coops.services import MemberInput

    with tenant(member.cooperative):
        group_ids = [g.pk for g in member.groups.all()]
    values = {}
    for field in fields(MemberInput):
        if field.name == "village_name":
            values[field.name] = member.village.name if member.village else ""
        elif field.name == "group_ids":
            values[field.name] = group_ids
        elif hasattr(member, field.name):
            values[field.name] = getattr(member, field.name)
    values.update(changes)
    return MemberInput(**{k: v for k, v in values.items() if k in {f.name for f in fields(MemberInput)}})


def test_an_edit_without_its_opening_values_is_not_saved(login, chair_a, member_a):
    url = _url("coops:member_edit", member_id=member_a.uuid)
    response = login(chair_a).post(url, _member_edit_body(member_a, notes="Mới"))
    assert response.status_code == 200
    member_a.refresh_from_db()
    assert member_a.notes != "Mới"
    assert [c.name for c in response.context["guard"].changes] == ["notes"]


def test_a_tampered_opening_value_is_not_trusted(login, chair_a, member_a):
    url = _url("coops:member_edit", member_id=member_a.uuid)
    client = login(chair_a)
    body = opened(client, url, _member_edit_body(member_a, notes="Mới"))
    body["form_base"] = body["form_base"][:-3] + "abc"
    assert client.post(url, body).status_code == 200
    member_a.refresh_from_db()
    assert member_a.notes != "Mới"


def test_cooperative_settings_detect_a_conflict(login, chair_a, coop_a):
    from hoptac.coops import services as coop_services
    from hoptac.coops.models import Cooperative

    url = _url("coops:settings")
    client = login(chair_a)
    page = client.get(url)
    form = page.context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name != "logo"}
    data["founded_on"] = coop_a.founded_on.isoformat() if coop_a.founded_on else ""
    data["sectors"] = list(coop_a.sectors or [])
    data["name"] = "HTX đổi tên ở tab 2"
    body = opened(client, url, data)
    with tenant(coop_a):
        coop_services.cooperative_update(
            cooperative=Cooperative.objects.get(pk=coop_a.pk), phone="0912345678"
        )
    response = client.post(url, body)
    assert response.status_code == 200
    assert [c.name for c in response.context["guard"].changes] == ["phone"]
    coop_a.refresh_from_db()
    assert coop_a.name != "HTX đổi tên ở tab 2"


def test_group_members_detect_a_conflict(login, chair_a, coop_a, member_a, member_a2):
    from hoptac.coops import services as coop_services

    with tenant(coop_a):
        group = coop_services.group_create(name="Tổ ong", kind="product")
    url = _url("coops:group_detail", group_id=group.pk)
    client = login(chair_a)
    body = opened(client, url, {"members": [member_a.pk]})
    with tenant(coop_a):
        coop_services.group_set_members(group=group, member_ids=[member_a2.pk])
    response = client.post(url, body)
    assert response.status_code == 200
    with tenant(coop_a):
        assert list(group.members.values_list("pk", flat=True)) == [member_a2.pk]
    assert response.context["guard"].changes[0].theirs == member_a2.full_name + " — " + (
        member_a2.village.name if member_a2.village else ""
    )
