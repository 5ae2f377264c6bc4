"""Lots and stock: raw lots from purchase receipts, processing steps, finished lots,
append-only stock that never goes negative (not even with two sales at once), and the
pages under /c/<slug>/inventory/."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hoptac.accounts.services import membership_set
from hoptac.catalog.models import Product
from hoptac.coops.models import Member
from hoptac.core.roles import Role
from hoptac.core.tenancy import tenant
from hoptac.inventory import selectors, services
from hoptac.inventory.models import (
    AppendOnly,
    Lot,
    LotInput,
    LotKind,
    LotSource,
    MovementKind,
    ProcessingStep,
    StockMovement,
)
from hoptac.offtake import services as offtake
from tests.conftest import MEO_VAC, keyed, make_member, make_user

# --- fixtures ------------------------------------------------------------------------------------


@dataclass
class Honey:
    product: Product
    tea: Product
    lines: list  # confirmed honey lines: member_a 10 l (3 days ago), member_a2 6 l, member_c 4 l
    voided_line: object
    tea_line: object
    point: object
    other_point: object


def _line(receipt):
    return receipt.lines.select_related("receipt").get()


@pytest.fixture
def honey(coop_a, member_a, member_a2):
    now = timezone.now()
    member_c = make_member(coop_a, full_name="Sùng Thị Mai", village_name="Thôn Sủng Pả", phone="0966000111")
    with tenant(coop_a):
        Member.objects.filter(pk=member_a.pk).update(trace_consent=True)
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        tea = Product.objects.create(cooperative=coop_a, name="Chè Shan tuyết", code="CHE", base_unit="kg")
        for p, price in ((product, 400_000), (tea, 20_000)):
            offtake.price_set(product=p, grade=1, price_vnd=price, effective_from=now - dt.timedelta(days=30))
        point = offtake.point_create(name="Điểm Pả Vi", commune_code=coop_a.commune_code)
        other_point = offtake.point_create(name="Điểm Sủng Là", commune_code=coop_a.commune_code)

        def buy(member, quantity, days_ago, prod=product, at=point):
            return offtake.receipt_record(
                member=member,
                collected_at=now - dt.timedelta(days=days_ago),
                point=at,
                lines=[offtake.LineInput(product=prod, quantity=Decimal(quantity), unit=prod.base_unit)],
            )

        r1 = buy(member_a, 10, 3)
        r2 = buy(member_a2, 6, 1)
        r3 = buy(member_c, 4, 0, at=other_point)
        voided = buy(member_a, 3, 2)
        offtake.receipt_void(receipt=voided, reason="Ghi nhầm")
        tea_receipt = buy(member_a, 5, 1, prod=tea)
        return Honey(
            product=product,
            tea=tea,
            lines=[_line(r1), _line(r2), _line(r3)],
            voided_line=_line(voided),
            tea_line=_line(tea_receipt),
            point=point,
            other_point=other_point,
        )


@pytest.fixture
def raw_lot(coop_a, honey):
    """A raw lot of 16 l from member_a's 10 l and member_a2's 6 l."""
    with tenant(coop_a):
        return services.raw_lot_create(
            product=honey.product, receipt_line_ids=[honey.lines[0].pk, honey.lines[1].pk]
        )


@pytest.fixture
def sales_a(coop_a):
    user = make_user("0911000105", "Bán hàng A")
    membership_set(user=user, cooperative=coop_a, role=Role.SALES)
    return user


def _counts():
    return (
        Lot.unscoped.count(),
        LotSource.unscoped.count(),
        LotInput.unscoped.count(),
        ProcessingStep.unscoped.count(),
        StockMovement.unscoped.count(),
    )


def _on_hand(coop, lot) -> Decimal:
    with tenant(coop):
        return selectors.stock_on_hand(lot)


# --- raw lots -------------------------------------------------------------------------------------


def test_raw_lot_knows_its_households_villages_communes_and_harvest_dates(coop_a, honey, member_a, member_a2):
    with tenant(coop_a):
        lot = services.raw_lot_create(
            product=honey.product, receipt_line_ids=[line.pk for line in honey.lines], notes=" Đợt 1 "
        )
        origin = selectors.lot_origin(lot)
        movements = list(StockMovement.objects.filter(lot=lot))
    days = sorted(timezone.localdate(line.receipt.collected_at) for line in honey.lines)
    assert lot.kind == LotKind.RAW
    assert lot.quantity == Decimal("20.000")
    assert lot.code.startswith("CA-MAT-") and lot.code.endswith("-001")
    assert (lot.harvest_from, lot.harvest_to) == (days[0], days[-1])
    assert lot.notes == "Đợt 1"
    assert origin.households == 3
    assert origin.villages == ["Thôn Pả Vi Thượng", "Thôn Sủng Pả"]
    assert origin.commune_codes == [MEO_VAC]
    assert origin.named_households == [member_a.full_name]  # only with consent
    assert origin.quantity == Decimal("20.000")
    assert [(m.kind, m.quantity) for m in movements] == [(MovementKind.IN, Decimal("20.000"))]
    assert _on_hand(coop_a, lot) == Decimal("20.000")


@pytest.mark.parametrize(
    ("which", "code", "text"),
    [
        ("voided", "voided", "voided receipt"),
        ("used", "used", "already in another lot"),
        ("tea", "product", "of the lot's product"),
        ("none", "no_lines", "Choose the purchase receipts"),
    ],
)
def test_raw_lot_refuses_bad_lines_and_stores_nothing(coop_a, honey, raw_lot, which, code, text):
    ids = {
        "voided": [honey.lines[2].pk, honey.voided_line.pk],
        "used": [honey.lines[2].pk, honey.lines[0].pk],
        "tea": [honey.lines[2].pk, honey.tea_line.pk],
        "none": [],
    }[which]
    before = _counts()
    with tenant(coop_a), translation_en(), pytest.raises(ValidationError) as error:
        services.raw_lot_create(product=honey.product, receipt_line_ids=ids)
    assert error.value.code == code
    assert text in " ".join(error.value.messages)
    assert _counts() == before
    with tenant(coop_a):
        assert not LotSource.objects.filter(receipt_line=honey.lines[2]).exists()


def test_another_cooperatives_receipt_line_cannot_go_into_a_lot(coop_a, coop_b, honey):
    with tenant(coop_b):
        product_b = Product.objects.create(cooperative=coop_b, name="Chè", code="CHE", base_unit="kg")
        with pytest.raises(ValidationError) as error:
            services.raw_lot_create(product=product_b, receipt_line_ids=[honey.tea_line.pk])
    assert error.value.code == "unknown_line"
    assert Lot.unscoped.count() == 0


def translation_en():
    from django.utils import translation

    return translation.override("en")


# --- processing steps -----------------------------------------------------------------------------


def test_step_with_more_out_than_in_is_refused(coop_a, raw_lot):
    today = timezone.localdate()
    with tenant(coop_a):
        with pytest.raises(ValidationError) as error:
            services.step_add(
                lot=raw_lot,
                kind="filtering",
                done_on=today,
                operator_name="Giàng A Sử",
                quantity_in=Decimal(16),
                quantity_out=Decimal("16.5"),
            )
        assert error.value.code == "quantity_out"
        assert not ProcessingStep.objects.exists()
        step = services.step_add(
            lot=raw_lot,
            kind="filtering",
            done_on=today,
            operator_name="Giàng A Sử",
            quantity_in=Decimal(16),
            quantity_out=Decimal("15.2"),
        )
        assert step.loss == Decimal("0.8")
        assert [s.pk for s in selectors.lot_steps(raw_lot)] == [step.pk]


# --- finished lots and stock ------------------------------------------------------------------------


def test_finished_lot_takes_stock_out_of_the_raw_lot_and_puts_packs_in(coop_a, raw_lot):
    today = timezone.localdate()
    with tenant(coop_a):
        jar = Product.objects.create(cooperative=coop_a, name="Mật ong hũ 500 ml", code="MAT5", base_unit="l")
        lot = services.finished_lot_create(
            product=jar,
            inputs=[(raw_lot, Decimal(10))],
            pack_count=20,
            production_date=today,
            best_before=today + dt.timedelta(days=720),
        )
        origin = selectors.lot_origin(lot)
        used = StockMovement.objects.get(lot=raw_lot, kind=MovementKind.USED)
    assert lot.kind == LotKind.FINISHED and lot.pack_count == 20
    assert lot.code.startswith("CA-MAT5-")
    assert (lot.harvest_from, lot.harvest_to) == (raw_lot.harvest_from, raw_lot.harvest_to)
    assert _on_hand(coop_a, raw_lot) == Decimal(6)
    assert _on_hand(coop_a, lot) == Decimal(20)
    assert used.quantity == Decimal(-10) and used.reference == lot.code
    assert origin.households == 2 and [r.pk for r in origin.raw_lots] == [raw_lot.pk]


def test_finished_lot_cannot_use_more_than_the_raw_lot_holds(coop_a, raw_lot):
    before = _counts()
    with tenant(coop_a), pytest.raises(ValidationError) as error:
        services.finished_lot_create(
            product=raw_lot.product,
            inputs=[(raw_lot, Decimal(17))],
            pack_count=30,
            production_date=timezone.localdate(),
            best_before=None,
        )
    assert error.value.code == "not_enough"
    assert _counts() == before
    assert _on_hand(coop_a, raw_lot) == Decimal(16)


def test_stock_never_goes_negative(coop_a, raw_lot):
    with tenant(coop_a):
        with pytest.raises(ValidationError) as error:
            services.stock_move(lot=raw_lot, kind=MovementKind.SALE, quantity=Decimal("16.001"))
        assert error.value.code == "negative_stock"
        with pytest.raises(ValidationError) as error:
            services.stock_move(lot=raw_lot, kind=MovementKind.ADJUST, quantity=Decimal(-1))
        assert error.value.code == "reason"
        services.stock_move(lot=raw_lot, kind=MovementKind.LOSS, quantity=Decimal(1), reason="Đổ vỡ")
        services.stock_move(lot=raw_lot, kind=MovementKind.SALE, quantity=Decimal(15))
        assert selectors.stock_on_hand(raw_lot) == 0
        with pytest.raises(ValidationError) as error:
            services.stock_move(lot=raw_lot, kind=MovementKind.SALE, quantity=Decimal("0.001"))
        assert error.value.code == "negative_stock"
        kinds = list(StockMovement.objects.filter(lot=raw_lot).values_list("kind", "quantity"))
    assert kinds == [("in", Decimal(16)), ("loss", Decimal(-1)), ("sale", Decimal(-15))]


def test_stock_movements_are_append_only(coop_a, raw_lot):
    with tenant(coop_a):
        movement = StockMovement.objects.get(lot=raw_lot)
        movement.quantity = Decimal(1000)
        with pytest.raises(AppendOnly):
            movement.save()
        with pytest.raises(AppendOnly):
            movement.delete()
        for attempt in (
            lambda: StockMovement.objects.filter(lot=raw_lot).update(quantity=Decimal(1000)),
            lambda: StockMovement.objects.filter(lot=raw_lot).delete(),
            lambda: StockMovement.unscoped.filter(lot=raw_lot).update(quantity=Decimal(1000)),
            lambda: StockMovement.unscoped.all().delete(),
        ):
            with pytest.raises(AppendOnly), transaction.atomic():
                attempt()
        assert StockMovement.objects.get(lot=raw_lot).quantity == Decimal(16)


@pytest.mark.django_db(transaction=True)
def test_two_sales_at_the_same_moment_cannot_oversell(coop_a):
    """Two sales of 6 from a lot holding 10, started together in two threads: the lot row
    lock (PostgreSQL) or the IMMEDIATE transaction (SQLite) lets exactly one through."""
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong", code="MAT", base_unit="l")
    for number in range(3):
        with tenant(coop_a):
            lot = Lot.objects.create(
                cooperative=coop_a, code=f"T-{number}", product=product, kind=LotKind.RAW, quantity=10
            )
            StockMovement.objects.create(
                cooperative=coop_a, lot=lot, kind=MovementKind.IN, quantity=10, at=timezone.now()
            )
        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        lock = threading.Lock()

        def sell(lot=lot, barrier=barrier, outcomes=outcomes, lock=lock):
            try:
                with tenant(coop_a):
                    barrier.wait(timeout=30)
                    try:
                        services.stock_move(lot=lot, kind=MovementKind.SALE, quantity=Decimal(6))
                    except ValidationError as error:
                        outcome = error.code
                    else:
                        outcome = "sold"
                with lock:
                    outcomes.append(outcome)
            finally:
                connection.close()

        threads = [threading.Thread(target=sell) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert sorted(outcomes) == ["negative_stock", "sold"], outcomes
        with tenant(coop_a):
            assert selectors.stock_on_hand(lot) == Decimal(4)
            assert StockMovement.objects.filter(lot=lot, kind=MovementKind.SALE).count() == 1


# --- pages ------------------------------------------------------------------------------------------


def _url(name, *args, slug="coop-a"):
    from django.urls import reverse

    return reverse(f"inventory:{name}", args=[slug, *args])


def test_pages_render_for_the_chair(login, chair_a, coop_a, raw_lot, honey):
    client = login(chair_a)
    body = client.get(_url("lot_list")).content.decode()
    assert raw_lot.code in body and "16" in body
    detail = client.get(_url("lot_detail", raw_lot.uuid))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert honey.lines[0].receipt.code in text and "Thôn Pả Vi Thượng" in text
    assert f"?from={raw_lot.uuid}" in text  # link to make a finished lot
    assert 'name="step-quantity_in"' in text and 'name="move-quantity"' in text
    form = client.get(_url("lot_raw_create"), {"product": honey.product.pk})
    assert form.status_code == 200
    assert f'name="lines" value="{honey.lines[2].pk}"' in form.content.decode()
    assert f'name="lines" value="{honey.lines[0].pk}"' not in form.content.decode()  # already in a lot
    finished = client.get(_url("lot_finished_create"), {"from": str(raw_lot.uuid)})
    assert finished.status_code == 200 and raw_lot.code in finished.content.decode()
    stock = client.get(_url("stock")).content.decode()
    assert honey.product.name in stock and f"?product={honey.product.pk}&amp;kind=raw" in stock
    assert 'href="/c/coop-a/inventory/lots/"' in client.get("/c/coop-a/").content.decode()


def test_collector_reads_but_cannot_change_stock(login, collector_a, coop_a, raw_lot, honey):
    client = login(collector_a)
    assert client.get(_url("lot_list")).status_code == 200
    detail = client.get(_url("lot_detail", raw_lot.uuid))
    assert detail.status_code == 200 and 'name="move-quantity"' not in detail.content.decode()
    before = _counts()
    assert client.get(_url("lot_raw_create")).status_code == 403
    assert (
        client.post(
            _url("lot_raw_create"), keyed({"product": honey.product.pk, "lines": [honey.lines[2].pk]})
        ).status_code
        == 403
    )
    assert client.get(_url("lot_finished_create")).status_code == 403
    step = {
        "step-kind": "filtering",
        "step-done_on": timezone.localdate().isoformat(),
        "step-operator_name": "A",
        "step-quantity_in": "5",
        "step-quantity_out": "4",
    }
    assert client.post(_url("step_create", raw_lot.uuid), keyed(step)).status_code == 403
    sale = {"move-kind": "sale", "move-quantity": "1"}
    assert client.post(_url("movement_create", raw_lot.uuid), keyed(sale)).status_code == 403
    assert _counts() == before


def test_sales_may_sell_but_not_record_a_loss(login, sales_a, coop_a, raw_lot):
    client = login(sales_a)
    response = client.post(
        _url("movement_create", raw_lot.uuid),
        keyed({"move-kind": "sale", "move-quantity": "2,5", "move-reason": "Chị Hoa"}),
    )
    assert response.status_code == 302
    assert _on_hand(coop_a, raw_lot) == Decimal("13.5")
    response = client.post(
        _url("movement_create", raw_lot.uuid),
        keyed({"move-kind": "loss", "move-quantity": "1", "move-reason": "Vỡ"}),
    )
    assert response.status_code == 422
    assert _on_hand(coop_a, raw_lot) == Decimal("13.5")
    assert client.post(_url("step_create", raw_lot.uuid), keyed({})).status_code == 403


def test_other_cooperative_gets_404(login, chair_b, coop_b, raw_lot):
    client = login(chair_b)
    assert client.get(_url("lot_detail", raw_lot.uuid)).status_code == 404
    assert client.get(_url("lot_detail", raw_lot.uuid, slug="coop-b")).status_code == 404
    before = _counts()
    sale = {"move-kind": "sale", "move-quantity": "1"}
    assert client.post(_url("movement_create", raw_lot.uuid, slug="coop-b"), keyed(sale)).status_code == 404
    assert raw_lot.code not in client.get(_url("lot_list", slug="coop-b")).content.decode()
    assert _counts() == before


def test_raw_lot_form_select_all_and_make_the_lot(login, accountant_a, coop_a, honey):
    client = login(accountant_a)
    params = {"product": honey.product.pk, "point": honey.point.pk}
    shown = client.get(_url("lot_raw_create"), params).content.decode()
    assert f'name="lines" value="{honey.lines[0].pk}">' in shown  # not checked
    assert f'name="lines" value="{honey.lines[2].pk}"' not in shown  # other collection point
    assert (
        f'name="lines" value="{honey.voided_line.pk}"' not in shown
        and f'name="lines" value="{honey.tea_line.pk}"' not in shown
    )
    all_shown = client.get(_url("lot_raw_create"), {**params, "all": "1"}).content.decode()
    assert f'name="lines" value="{honey.lines[0].pk}" checked' in all_shown
    assert f'name="lines" value="{honey.lines[1].pk}" checked' in all_shown
    assert "all=1" in shown
    response = client.post(
        _url("lot_raw_create"),
        keyed(
            {"product": honey.product.pk, "lines": [honey.lines[0].pk, honey.lines[1].pk], "notes": "Vụ xuân"}
        ),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        lot = Lot.objects.get()
    assert response.url == _url("lot_detail", lot.uuid)
    assert lot.quantity == Decimal(16) and lot.notes == "Vụ xuân" and lot.created_by == accountant_a


@pytest.mark.parametrize(
    "post",
    [
        lambda h: {"product": h.product.pk, "lines": [h.lines[2].pk, h.voided_line.pk]},
        lambda h: {"product": h.product.pk, "lines": [h.tea_line.pk]},
        lambda h: {"product": h.product.pk},
        lambda h: {"product": h.product.pk, "lines": ["abc"]},
        lambda h: {"product": "999999", "lines": [h.lines[2].pk]},
    ],
    ids=["voided", "other-product", "nothing-ticked", "garbage", "unknown-product"],
)
def test_raw_lot_form_bad_input_stores_nothing(login, accountant_a, honey, post):
    client = login(accountant_a)
    before = _counts()
    response = client.post(_url("lot_raw_create"), keyed(post(honey)))
    assert response.status_code == 422
    assert 'class="alert"' in response.content.decode()
    assert _counts() == before


def test_step_and_movement_forms(login, accountant_a, coop_a, raw_lot):
    client = login(accountant_a)
    today = timezone.localdate().isoformat()
    step = {
        "step-kind": "filtering",
        "step-done_on": today,
        "step-operator_name": "Giàng A Sử",
        "step-quantity_in": "16",
        "step-quantity_out": "16,5",
    }
    before = _counts()
    response = client.post(_url("step_create", raw_lot.uuid), keyed(step))
    assert response.status_code == 422
    assert "step-quantity_out" in response.content.decode() and " open" in response.content.decode()
    sale = {"move-kind": "sale", "move-quantity": "17"}
    response = client.post(_url("movement_create", raw_lot.uuid), keyed(sale))
    assert response.status_code == 422
    assert "16" in response.content.decode()
    response = client.post(
        _url("movement_create", raw_lot.uuid), keyed({"move-kind": "adjust_out", "move-quantity": "1"})
    )
    assert response.status_code == 422
    assert _counts() == before
    response = client.post(_url("step_create", raw_lot.uuid), keyed({**step, "step-quantity_out": "15,5"}))
    assert response.status_code == 302
    response = client.post(
        _url("movement_create", raw_lot.uuid),
        keyed({"move-kind": "adjust_out", "move-quantity": "0,5", "move-reason": "Cân lại"}),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        assert ProcessingStep.objects.get().quantity_out == Decimal("15.5")
        assert StockMovement.objects.filter(kind="adjust").get().quantity == Decimal("-0.5")
    assert _on_hand(coop_a, raw_lot) == Decimal("15.5")


def test_finished_lot_form(login, accountant_a, coop_a, raw_lot):
    client = login(accountant_a)
    today = timezone.localdate()
    base = {
        "product": raw_lot.product_id,
        "pack_count": "20",
        "production_date": today.isoformat(),
        "best_before": (today + dt.timedelta(days=700)).isoformat(),
    }
    before = _counts()
    bad = [
        {**base, "source_0": raw_lot.pk, "used_0": "8", "source_1": raw_lot.pk, "used_1": "2"},  # twice
        {**base, "source_0": raw_lot.pk, "used_0": "17"},  # more than on hand
        {**base, "pack_count": "0", "source_0": raw_lot.pk, "used_0": "8"},
        {**base},  # no raw lot
        {**base, "source_0": raw_lot.pk, "used_0": "8", "best_before": today.isoformat()},
    ]
    for data in bad:
        response = client.post(_url("lot_finished_create"), keyed(data))
        assert response.status_code == 422, data
        assert 'class="alert"' in response.content.decode()
    assert _counts() == before
    response = client.post(
        _url("lot_finished_create"), keyed({**base, "source_0": raw_lot.pk, "used_0": "8"})
    )
    assert response.status_code == 302
    with tenant(coop_a):
        lot = Lot.objects.get(kind=LotKind.FINISHED)
    assert response.url == _url("lot_detail", lot.uuid)
    assert _on_hand(coop_a, raw_lot) == Decimal(8) and _on_hand(coop_a, lot) == Decimal(20)
    page = client.get(_url("lot_detail", lot.uuid)).content.decode()
    assert raw_lot.code in page and "Thôn Pả Vi Thượng" in page


def _lots(coop, product, n):
    with tenant(coop):
        for i in range(n):
            lot = Lot.objects.create(
                cooperative=coop,
                code=f"Q-{product.code}-{i:03d}",
                product=product,
                kind=LotKind.RAW,
                quantity=5,
            )
            StockMovement.objects.create(cooperative=coop, lot=lot, kind="in", quantity=5, at=timezone.now())


def test_lot_list_queries_do_not_grow_with_the_lots(login, chair_a, coop_a, honey):
    client = login(chair_a)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url("lot_list"))
        assert response.status_code == 200
        return len(queries), response.content.decode().count("/inventory/lots/")

    _lots(coop_a, honey.product, 3)
    few, links_few = count_queries()
    _lots(coop_a, honey.tea, 27)
    many, links_many = count_queries()
    assert links_many - links_few == 27
    assert few == many
