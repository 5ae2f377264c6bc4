"""COD remittances: a carrier's report (CSV or xlsx, read by ``lib.remittance``) imported
once, each line matched to its order (tracking code, else order code); matched lines paid
into the cash book (kind COD, account bank); one wrong amount, an unknown parcel, a paid
order and a parcel remitted twice listed as differences, each resolvable with a note."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from hoptac.core.tenancy import tenant
from hoptac.lib import xlsx
from hoptac.shop.models import (
    CashEntry,
    CashKind,
    Order,
    OrderStatus,
    PaymentState,
    Remittance,
    RemittanceLine,
    RemittanceState,
    Shipment,
)
from hoptac.shop.services import orders as order_services
from hoptac.shop.services import remittances as services
from hoptac.shop.services.orders import Buyer, Choice

from .shop_fixtures import BUYER, hanoi_commune


def place(listing, packs=1, *, payment="cod") -> Order:
    (order,) = order_services.order_place(
        items=[(listing.pk, packs)],
        buyer=Buyer(**{**BUYER, "commune_code": hanoi_commune()}),
        choices={listing.cooperative_id: Choice(delivery="post", payment=payment)},
    )
    return order


def shipped(listing, tracking: str, *, payment="cod") -> Order:
    """An order given to GHTK under ``tracking`` and delivered."""
    order = place(listing, payment=payment)
    with tenant(order.cooperative):
        for to in (OrderStatus.CONFIRMED, OrderStatus.PACKED):
            order_services.order_move(order=order, to=to)
        Shipment.objects.create(
            cooperative=order.cooperative,
            order=order,
            carrier="ghtk",
            tracking_code=tracking,
            partner_ref=order.code,
            cod_vnd=order.total_vnd if payment == "cod" else 0,
        )
        order_services.order_move(order=order, to=OrderStatus.SHIPPED, carrier="GHTK", tracking_code=tracking)
        order_services.order_move(order=order, to=OrderStatus.DELIVERED)
        return Order.objects.get(pk=order.pk)


def vn(amount: int) -> str:
    """Money written the Vietnamese way: 530.000."""
    return f"{amount:,}".replace(",", ".")


def report_csv(rows, *, reference="DS-2026-1202") -> bytes:
    """A GHTK-like report: two lines of meta, a header, the rows, a total line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"Mã đối soát: {reference}"])
    writer.writerow(["Ngày thanh toán: 02/12/2026"])
    writer.writerow(["Mã đơn hàng", "Mã đơn KH", "Tiền thu hộ", "Tổng phí"])
    for tracking, code, cod, fee in rows:
        writer.writerow([tracking, code, vn(cod), vn(fee)])
    writer.writerow(["Tổng cộng", "", vn(sum(r[2] for r in rows)), ""])
    return out.getvalue().encode("utf-8")


@pytest.fixture
def delivered(coop_a, honey_shop_a):
    """Four delivered orders of coop_a: three COD, one paid by transfer."""
    return [
        shipped(honey_shop_a, "S1.A1.1001"),
        shipped(honey_shop_a, "S1.A1.1002"),
        shipped(honey_shop_a, "S1.A1.1003"),
        shipped(honey_shop_a, "S1.A1.1004", payment="bank"),
    ]


def lines_of(remittance) -> dict[int, RemittanceLine]:
    with tenant(remittance.cooperative):
        return {line.row: line for line in RemittanceLine.objects.filter(remittance=remittance)}


def reload(order):
    with tenant(order.cooperative):
        return Order.objects.get(pk=order.pk)


def test_report_with_one_wrong_amount_lists_it(coop_a, delivered, chair_a):
    one, two, three, paid = delivered
    data = report_csv(
        [
            ("S1.A1.1001", one.code, one.total_vnd, 22_000),  # matches
            ("", two.code, two.total_vnd - 50_000, 22_000),  # by order code, 50.000 short
            ("S1.A1.1003", "", three.total_vnd, 22_000),  # matches by tracking code
            ("S1.A1.1004", paid.code, paid.total_vnd, 22_000),  # not a COD order
            ("S1.A1.9999", "", 120_000, 22_000),  # no such parcel
        ]
    )
    with tenant(coop_a):
        remittance = services.remittance_import(
            data=data, filename="doisoat.csv", carrier="ghtk", actor=chair_a
        )
    lines = lines_of(remittance)
    states = [lines[row].state for row in sorted(lines)]
    assert states == [
        RemittanceState.MATCHED,
        RemittanceState.AMOUNT,
        RemittanceState.MATCHED,
        RemittanceState.NOT_COD,
        RemittanceState.UNKNOWN,
    ]
    short = [line for line in lines.values() if line.state == RemittanceState.AMOUNT][0]
    assert short.order_id == two.pk
    assert short.expected_cod_vnd == two.total_vnd and short.cod_vnd == two.total_vnd - 50_000
    assert remittance.reference == "DS-2026-1202"
    assert remittance.problems_count == 3 and remittance.lines_count == 5
    assert (
        remittance.total_cod_vnd
        == one.total_vnd + two.total_vnd - 50_000 + three.total_vnd + paid.total_vnd + 120_000
    )
    assert remittance.total_fee_vnd == 5 * 22_000
    assert remittance.total_paid_vnd == remittance.total_cod_vnd - remittance.total_fee_vnd
    # Matched: paid, in the cash book as COD into the bank; the others untouched.
    assert reload(one).payment_state == PaymentState.PAID and reload(three).payment_state == PaymentState.PAID
    assert reload(two).payment_state == PaymentState.UNPAID
    with tenant(coop_a):
        cod = list(CashEntry.objects.filter(kind=CashKind.COD).order_by("number"))
    assert [(e.order_id, e.amount_vnd, e.account) for e in cod] == [
        (one.pk, one.total_vnd, "bank"),
        (three.pk, three.total_vnd, "bank"),
    ]


def test_the_same_report_twice_is_refused_and_a_second_remittance_of_a_parcel_is_listed(coop_a, delivered):
    one = delivered[0]
    data = report_csv([("S1.A1.1001", one.code, one.total_vnd, 22_000)])
    with tenant(coop_a):
        services.remittance_import(data=data, filename="a.csv", carrier="ghtk")
        with pytest.raises(ValidationError) as twice, translation.override("en"):
            services.remittance_import(data=data, filename="a.csv", carrier="ghtk")
        assert "imported already" in str(twice.value)
        assert Remittance.objects.count() == 1
        # Another report naming the same parcel: already remitted, nothing paid twice.
        other = services.remittance_import(
            data=report_csv([("S1.A1.1001", one.code, one.total_vnd, 22_000)], reference="DS-2"),
            filename="b.csv",
            carrier="ghtk",
        )
        assert [line.state for line in lines_of(other).values()] == [RemittanceState.TWICE]
        assert CashEntry.objects.filter(kind=CashKind.COD).count() == 1
    assert reload(one).paid_vnd == one.total_vnd


def test_a_file_that_is_not_a_report_is_refused_with_nothing_written(coop_a, delivered):
    with tenant(coop_a):
        with pytest.raises(ValidationError):
            services.remittance_import(data=b"hello,world\n1,2\n", filename="x.csv", carrier="ghtk")
        with pytest.raises(ValidationError):
            services.remittance_import(data=b"\x00\x01PK garbage", filename="x.xlsx", carrier="ghtk")
        assert not Remittance.objects.exists() and not RemittanceLine.objects.exists()


def test_pages_upload_list_the_differences_and_resolve(client, login, coop_a, chair_a, delivered):
    one, two = delivered[0], delivered[1]
    book = xlsx.workbook()
    sheet = book.active
    for column, title in enumerate(["Mã đơn GHN", "Mã đơn khách hàng", "Tiền thu hộ", "Tổng phí"], start=1):
        sheet.cell(row=1, column=column, value=title)
    sheet.append(["S1.A1.1001", one.code, one.total_vnd, 22_000])
    sheet.append(["S1.A1.1002", two.code, two.total_vnd + 10_000, 22_000])
    content = xlsx.save(book)
    client = login(chair_a)
    url = reverse("shop_shipping:remittance_list", args=[coop_a.slug])
    response = client.post(url, {"carrier": "ghtk", "file": SimpleUploadedFile("doisoat.xlsx", content)})
    assert response.status_code == 302
    remittance = Remittance.unscoped.get(cooperative=coop_a)
    page = client.get(response["Location"] + "?show=problems")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="line-3"' in text and 'id="line-2"' not in text  # only the difference
    line = RemittanceLine.unscoped.get(remittance=remittance, state=RemittanceState.AMOUNT)
    resolve = reverse("shop_shipping:remittance_line_resolve", args=[coop_a.slug, line.pk])
    assert client.post(resolve, {"note": ""}).status_code == 422  # a note is needed
    response = client.post(resolve, {"note": "GHTK thu thừa phí, đã gọi", "record_payment": "on"})
    assert response.status_code == 302
    line.refresh_from_db()
    remittance.refresh_from_db()
    assert line.state == RemittanceState.RESOLVED and "đã gọi" in line.note
    assert remittance.problems_count == 0
    assert reload(two).paid_vnd == two.total_vnd + 10_000  # the money received, recorded
    # Resolved once only.
    client.post(resolve, {"note": "again", "record_payment": "on"})
    assert reload(two).paid_vnd == two.total_vnd + 10_000
    # The same file again: refused on the page, with a message.
    again = client.post(url, {"carrier": "ghtk", "file": SimpleUploadedFile("doisoat.xlsx", content)})
    assert again.status_code == 422
    assert Remittance.unscoped.filter(cooperative=coop_a).count() == 1
