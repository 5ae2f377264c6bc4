"""Purchase receipts: recording, prices, units, voids, numbering, printing and SMS text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.coops import services as coop_services
from hoptac.core.tenancy import tenant
from hoptac.ledger.models import Entry, EntryKind
from hoptac.ledger.selectors import member_balance
from hoptac.lib.sms import sms_length
from hoptac.lib.text import unaccent
from hoptac.offtake import selectors, services
from hoptac.offtake.models import Receipt, ReceiptLine, ReceiptStatus
from hoptac.offtake.receipt_forms import active_products
from hoptac.offtake.sms import SMS_LIMIT, receipt_sms_text
from tests.conftest import keyed


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        services.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
        services.price_set(
            product=product, grade=2, price_vnd=420_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
    return product


@pytest.fixture
def tea(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Chè búp tươi", code="CHE", base_unit="kg")
        services.price_set(
            product=product, grade=1, price_vnd=25_000, effective_from=timezone.now() - dt.timedelta(days=30)
        )
    return product


def record(coop, member, *lines, **kwargs):
    with tenant(coop):
        return services.receipt_record(
            member=member, collected_at=kwargs.pop("at", timezone.now()), lines=list(lines), **kwargs
        )


def test_amounts_units_and_rounding(coop_a, member_a, honey, tea):
    coop_a.kg_per_ta = 60
    coop_a.save()
    receipt = record(
        coop_a,
        member_a,
        services.LineInput(product=honey, quantity=Decimal("3.5"), unit="l", deduction_pct=Decimal("2")),
        services.LineInput(product=tea, quantity=Decimal("1.5"), unit="ta"),  # 1.5 tạ of 60 kg = 90 kg
        services.LineInput(product=tea, quantity=Decimal("7"), unit="lang"),  # 0.7 kg
        services.LineInput(product=tea, quantity=Decimal("0.333"), unit="yen", deduction_pct=Decimal("1.5")),
    )
    with tenant(coop_a):
        lines = list(receipt.lines.order_by("id"))
    assert [line.base_quantity for line in lines] == [
        Decimal("3.5"),
        Decimal("90"),
        Decimal("0.7"),
        Decimal("3.33"),
    ]
    # 3.33 kg less 1.5% = 3.28005 -> 3.280 kg; x 25,000 = 82,000
    assert [line.amount_vnd for line in lines] == [1_715_000, 2_250_000, 17_500, 82_000]
    assert receipt.total_vnd == sum(line.amount_vnd for line in lines)
    with tenant(coop_a):
        assert member_balance(member_a).payable == receipt.total_vnd


def test_half_up_rounding_of_amount(coop_a, member_a, tea):
    with tenant(coop_a):
        services.price_set(product=tea, grade=1, price_vnd=33_333)
    receipt = record(coop_a, member_a, services.LineInput(product=tea, quantity=Decimal("0.015"), unit="kg"))
    # 0.015 x 33,333 = 499.995 -> 500 (ROUND_HALF_UP to a whole dong)
    assert receipt.total_vnd == 500


def test_price_in_force_at_the_receipt_time(coop_a, member_a, tea):
    with tenant(coop_a):
        services.price_set(
            product=tea, grade=1, price_vnd=30_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
    old = record(
        coop_a,
        member_a,
        services.LineInput(product=tea, quantity=Decimal(1), unit="kg"),
        at=timezone.now() - dt.timedelta(days=3),
    )
    new = record(coop_a, member_a, services.LineInput(product=tea, quantity=Decimal(1), unit="kg"))
    assert (old.total_vnd, new.total_vnd) == (25_000, 30_000)


def test_price_override_needs_role_and_reason(coop_a, member_a, tea):
    line = services.LineInput(product=tea, quantity=Decimal(10), unit="kg", unit_price_vnd=28_000)
    with pytest.raises(ValidationError) as error:
        record(coop_a, member_a, line)
    assert error.value.error_list[0].code == "override"
    with pytest.raises(ValidationError) as error:
        record(coop_a, member_a, line, may_override_price=True)
    assert error.value.error_list[0].code == "override_reason"
    line.override_reason = "Búp đẹp, hái đúng tiêu chuẩn"
    receipt = record(coop_a, member_a, line, may_override_price=True)
    with tenant(coop_a):
        stored = receipt.lines.get()
    assert (stored.unit_price_vnd, stored.list_price_vnd, stored.price_override_reason) == (
        28_000,
        25_000,
        "Búp đẹp, hái đúng tiêu chuẩn",
    )
    assert receipt.total_vnd == 280_000


@pytest.mark.parametrize(
    ("quantity", "unit", "price", "code"),
    [
        (Decimal(0), "kg", None, "quantity"),
        (Decimal(-3), "kg", None, "quantity"),
        (Decimal(5), "l", None, "unit"),  # tea is sold by weight
        (Decimal(5), "bao", None, "unit"),
        (Decimal(5), "kg", 0, "price"),
    ],
)
def test_bad_lines_store_nothing(coop_a, member_a, tea, quantity, unit, price, code):
    line = services.LineInput(
        product=tea, quantity=quantity, unit=unit, unit_price_vnd=price, override_reason="x"
    )
    with pytest.raises(ValidationError) as error:
        record(coop_a, member_a, line, may_override_price=True)
    assert error.value.error_list[0].code == code
    assert Receipt.unscoped.count() == 0 and Entry.unscoped.count() == 0 and ReceiptLine.unscoped.count() == 0


def test_member_who_left_and_future_dates_are_refused(coop_a, member_a, tea):
    line = services.LineInput(product=tea, quantity=Decimal(5), unit="kg")
    with pytest.raises(ValidationError) as error:
        record(coop_a, member_a, line, at=timezone.now() + dt.timedelta(days=1))
    assert error.value.error_list[0].code == "future"
    with tenant(coop_a):
        coop_services.member_leave(member=member_a, left_on=timezone.localdate(), reason="Chuyển đi")
    with pytest.raises(ValidationError) as error:
        record(coop_a, member_a, line)
    assert error.value.error_list[0].code == "member_left"
    assert Receipt.unscoped.count() == 0


def test_no_price_is_a_clear_error(coop_a, member_a, tea):
    with pytest.raises(ValidationError) as error:
        record(coop_a, member_a, services.LineInput(product=tea, quantity=Decimal(5), unit="kg", grade=3))
    assert error.value.error_list[0].code == "no_price"


def test_numbers_are_gapless_even_after_a_failure(coop_a, member_a, member_a2, tea):
    ok = services.LineInput(product=tea, quantity=Decimal(1), unit="kg")
    first = record(coop_a, member_a, ok)
    with pytest.raises(ValidationError):
        record(coop_a, member_a, services.LineInput(product=tea, quantity=Decimal(1), unit="l"))
    second = record(coop_a, member_a2, ok)
    assert (first.number, second.number) == (1, 2)
    assert second.code == "PTM-000002"


def test_void_reverses_the_ledger_once(coop_a, member_a, tea):
    receipt = record(coop_a, member_a, services.LineInput(product=tea, quantity=Decimal(40), unit="kg"))
    with tenant(coop_a):
        assert member_balance(member_a).net == 1_000_000
        with pytest.raises(ValidationError):
            services.receipt_void(receipt=receipt, reason="  ")
        voided = services.receipt_void(receipt=receipt, reason="Ghi nhầm người bán")
        assert voided.status == ReceiptStatus.VOIDED
        assert member_balance(member_a).net == 0
        reversal = Entry.objects.get(kind=EntryKind.REVERSAL)
        assert reversal.reverses.source_id == str(receipt.pk)
        with pytest.raises(ValidationError) as error:
            services.receipt_void(receipt=receipt, reason="again")
        assert error.value.error_list[0].code == "already_voided"
        assert Entry.objects.count() == 2
        assert list(receipt.events.values_list("action", flat=True)) == ["record", "void"]


def test_agreement_price_rules(coop_a, member_a, member_a2, tea):
    with tenant(coop_a):
        season = services.season_create(
            product=tea,
            name="Chè xuân 2026",
            starts_on=timezone.localdate() - dt.timedelta(days=10),
            ends_on=timezone.localdate() + dt.timedelta(days=60),
        )
        services.agreement_create(
            member=member_a,
            season=season,
            committed_quantity=Decimal(2),
            committed_unit="ta",
            price_rule="list",
            floor_price_vnd=27_000,
            signed_on=timezone.localdate(),
            advance_vnd=1_000_000,
        )
        services.agreement_create(
            member=member_a2,
            season=season,
            committed_quantity=Decimal(100),
            committed_unit="kg",
            price_rule="fixed",
            fixed_price_vnd=26_000,
            signed_on=timezone.localdate(),
        )
    floor = record(coop_a, member_a, services.LineInput(product=tea, quantity=Decimal(10), unit="kg"))
    fixed = record(coop_a, member_a2, services.LineInput(product=tea, quantity=Decimal(10), unit="kg"))
    assert (floor.total_vnd, fixed.total_vnd) == (270_000, 260_000)
    assert floor.agreement is not None and floor.agreement.member_id == member_a.pk
    with tenant(coop_a):
        # the advance on the agreement is owed by the member
        assert member_balance(member_a).receivable == 1_000_000
        from hoptac.offtake.selectors import agreements_with_fulfilment

        fulfilment = {f.agreement.member_id: f for f in agreements_with_fulfilment(season)}
    assert fulfilment[member_a.pk].delivered_base == Decimal(10)
    assert fulfilment[member_a.pk].percent == 5  # 10 of 200 kg


def test_terms_read_with_the_products_price_as_each_line_would(coop_a, member_a, member_a2, honey, tea):
    """The receipt form and the field app read the products with their prices and the
    member's agreement in one statement (``products_with_terms``): the same prices as the
    per-line reads, at any moment, for each kind of agreement; terms of another member or
    another moment are not used."""
    with tenant(coop_a):
        season = services.season_create(
            product=tea,
            name="Chè xuân 2026",
            starts_on=timezone.localdate() - dt.timedelta(days=10),
            ends_on=timezone.localdate() + dt.timedelta(days=60),
        )
        for member, rule, price in (
            (member_a, "list", {"floor_price_vnd": 27_000}),
            (member_a2, "fixed", {}),
        ):
            services.agreement_create(
                member=member,
                season=season,
                committed_quantity=Decimal(100),
                committed_unit="kg",
                price_rule=rule,
                fixed_price_vnd=26_000 if rule == "fixed" else None,
                signed_on=timezone.localdate(),
                **price,
            )
        services.price_set(
            product=tea, grade=1, price_vnd=28_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
        lines = [
            services.LineInput(product=tea, quantity=Decimal(10), unit="kg"),
            services.LineInput(product=honey, grade=2, quantity=Decimal("1.5"), unit="l"),
        ]
        seen = set()
        for member in (member_a, member_a2):
            for at in (timezone.now() - dt.timedelta(days=5), timezone.now()):
                products, terms = selectors.products_with_terms(member=member, at=at)
                assert [p.pk for p in products] == [p.pk for p in active_products()]
                for product in products:
                    for grade in (1, 2, 3):
                        found = selectors.price_in_force(product=product, grade=grade, at=at)
                        assert terms.prices[(product.pk, grade)] == (found.price_vnd if found else None)
                    expected = selectors.agreement_for(
                        member=member, product=product, on=timezone.localdate(at)
                    )
                    got = terms.agreements[product.pk]
                    assert (got is None) == (expected is None)
                    if got is not None:
                        assert (got.pk, got.price_rule, got.fixed_price_vnd, got.floor_price_vnd) == (
                            expected.pk,
                            expected.price_rule,
                            expected.fixed_price_vnd,
                            expected.floor_price_vnd,
                        )
                with_terms = services.receipt_check(member=member, collected_at=at, lines=lines, terms=terms)
                alone = services.receipt_check(member=member, collected_at=at, lines=lines)
                assert [item[1:6] for item in with_terms.priced] == [item[1:6] for item in alone.priced]
                assert [getattr(item[6], "pk", None) for item in with_terms.priced] == [
                    getattr(item[6], "pk", None) for item in alone.priced
                ]
                seen.add(with_terms.priced[0][3])
        assert seen == {27_000, 28_000, 26_000}  # the floor, the list price above it, the fixed price
        # Terms of member_a handed with member_a2's receipt: member_a2's fixed price all the same.
        _products, of_a = selectors.products_with_terms(member=member_a, at=timezone.now())
        other = services.receipt_check(
            member=member_a2, collected_at=timezone.now(), lines=lines[:1], terms=of_a
        )
        assert other.priced[0][3] == 26_000
        receipt = services.receipt_record(member=member_a2, collected_at=of_a.at, lines=lines[:1], terms=of_a)
        assert receipt.total_vnd == 260_000 and receipt.agreement.price_rule == "fixed"


def test_sms_text_is_unaccented_and_short(coop_a, member_a, honey, tea):
    lines = [services.LineInput(product=tea, quantity=Decimal(i + 1), unit="kg") for i in range(8)]
    lines.append(services.LineInput(product=honey, quantity=Decimal("2.5"), unit="l"))
    receipt = record(coop_a, member_a, *lines)
    with tenant(coop_a):
        text = receipt_sms_text(receipt, coop_name=coop_a.name, balance_net=member_balance(member_a).net)
    assert len(text) <= SMS_LIMIT
    assert text == unaccent(text) and text.isascii()
    assert sms_length(text).encoding == "GSM-7" and sms_length(text).segments == 1
    assert receipt.code in text


def test_views_record_print_and_void(login, coop_a, chair_a, collector_a, member_a, tea):
    client = login(collector_a)
    url = f"/c/{coop_a.slug}/buying/receipts/new/"
    assert client.get(url).status_code == 200
    data = {
        "member": member_a.pk,
        "collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "point": "",
        "note": "",
        "line-TOTAL_FORMS": "3",
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "20",
        "line-0-product": tea.pk,
        "line-0-grade": "1",
        "line-0-quantity": "12,5",
        "line-0-unit": "kg",
        "line-0-deduction_pct": "",
        "line-1-grade": "1",
        "line-1-unit": "kg",
        "line-2-grade": "1",
        "line-2-unit": "kg",
    }
    check = client.post(url, keyed(data))
    assert check.status_code == 200  # "Check before saving": nothing recorded yet
    assert "ba trăm mười hai nghìn năm trăm đồng" in check.content.decode()
    assert not Receipt.unscoped.exists()
    response = client.post(url, keyed(data, confirm="1", checked_total="312500"))
    assert response.status_code == 302
    receipt = Receipt.unscoped.get()
    assert receipt.total_vnd == 312_500 and receipt.collector == collector_a
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and receipt.code.encode() in detail.content
    printed = client.get(f"/c/{coop_a.slug}/buying/receipts/{receipt.uuid}/print/?paper=a5")
    assert printed.status_code == 200 and b"<svg" in printed.content and b"receipt-a5.css" in printed.content
    # a collector cannot void; the accountant/chair can, with a reason
    void_url = f"/c/{coop_a.slug}/buying/receipts/{receipt.uuid}/void/"
    assert client.post(void_url, {"reason": "nhầm"}).status_code == 403
    client = login(chair_a)
    client.post(void_url, {"reason": "Nhầm người bán"})
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.VOIDED


def test_view_bad_input_is_a_message_not_a_500(login, coop_a, collector_a, member_a, tea):
    client = login(collector_a)
    url = f"/c/{coop_a.slug}/buying/receipts/new/"
    base = {
        "member": member_a.pk,
        "collected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "20",
        "line-0-product": tea.pk,
        "line-0-grade": "1",
        "line-0-unit": "kg",
    }
    for quantity in ["-2", "0", "abc", ""]:
        response = client.post(url, keyed({**base, "line-0-quantity": quantity}))
        assert response.status_code == 422
    future = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, keyed({**base, "line-0-quantity": "5", "collected_at": future}))
    assert response.status_code == 422
    assert Receipt.unscoped.count() == 0


def test_an_advance_already_deducted_cannot_be_reversed(coop_a, member_a, tea):
    from hoptac.ledger import services as ledger

    with tenant(coop_a):
        advance = ledger.advance_give(member=member_a, amount=100_000)
    record(coop_a, member_a, services.LineInput(product=tea, quantity=Decimal(20), unit="kg"))  # 500,000
    with tenant(coop_a):
        ledger.payout_make(member=member_a, amount=0, deduct=100_000)
        with pytest.raises(ValidationError) as error:
            ledger.entry_reverse(entry=advance, reason="nhầm")
        assert error.value.error_list[0].code == "already_deducted"
        balance = member_balance(member_a)
    assert (balance.payable, balance.receivable) == (400_000, 0)


def test_seasons_of_one_product_do_not_overlap_and_prices_are_bounded(coop_a, tea):
    today = timezone.localdate()
    with tenant(coop_a):
        services.season_create(
            product=tea, name="Vụ xuân", starts_on=today, ends_on=today + dt.timedelta(days=60)
        )
        with pytest.raises(ValidationError) as error:
            services.season_create(
                product=tea,
                name="Vụ hè",
                starts_on=today + dt.timedelta(days=60),
                ends_on=today + dt.timedelta(days=90),
            )
        assert error.value.error_list[0].code == "overlap"
        services.season_create(
            product=tea,
            name="Vụ hè",
            starts_on=today + dt.timedelta(days=61),
            ends_on=today + dt.timedelta(days=90),
        )
        with pytest.raises(ValidationError):
            services.price_set(product=tea, grade=1, price_vnd=10**12)


def test_agreement_bad_input_stores_nothing(coop_a, member_a, member_b, tea):
    from hoptac.offtake.models import Agreement

    today = timezone.localdate()
    with tenant(coop_a):
        season = services.season_create(
            product=tea, name="Vụ", starts_on=today, ends_on=today + dt.timedelta(days=30)
        )
        cases = [
            {"member": member_b},  # another cooperative's household
            {"committed_quantity": Decimal(10**9)},
            {"advance_vnd": -5},
            {"committed_unit": "l"},
        ]
        for case in cases:
            kwargs = {
                "member": member_a,
                "season": season,
                "committed_quantity": Decimal(100),
                "committed_unit": "kg",
                "price_rule": "list",
                "signed_on": today,
                **case,
            }
            with pytest.raises(ValidationError):
                services.agreement_create(**kwargs)
        assert Agreement.objects.count() == 0 and Entry.objects.count() == 0


def test_printed_receipt_says_who_owes_whom_without_a_minus(login, coop_a, collector_a, member_a, tea):
    """A member with an advance larger than the delivery reads "still owes the cooperative"
    and the amount, never "-1.500.000 ₫" (issue 16: farmers do not read the minus)."""
    from django.utils.translation import gettext as _

    from hoptac.ledger import services as ledger

    with tenant(coop_a):
        ledger.advance_give(member=member_a, amount=2_000_000)
    receipt = record(coop_a, member_a, services.LineInput(product=tea, quantity=Decimal(20), unit="kg"))  # 500,000
    page = login(collector_a).get(f"/c/coop-a/buying/receipts/{receipt.uuid}/print/").content.decode()
    assert _("After this receipt the member still owes the cooperative") in page
    assert "1.500.000" in page and "-1.500.000" not in page
