"""Money in, end to end: SePay and Casso webhooks (signed as the providers sign), the
resolution queue and its actions, statement import with preview, the cash book (and its
xlsx), the reminder/expiry task, ``bank_pull`` against the fake providers, and the VietQR
of an order read back from a QR image by zxing-cpp."""

from __future__ import annotations

import datetime as dt
import html
import io
import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from hoptac.core.tenancy import tenant
from hoptac.lib import vietqr, xlsx
from hoptac.shop.models import (
    BankTransaction,
    CashEntry,
    Order,
    OrderStatus,
    PaymentState,
    Shop,
    TxState,
)
from hoptac.shop.services import orders as order_services
from hoptac.shop.services.orders import Buyer, Choice
from hoptac.shop.tasks import remind_and_expire_all
from tests.conftest import keyed
from tests.fakes import banks
from tests.fakes.banks import casso_delivery, casso_record, sepay_delivery, sepay_payload

from .shop_fixtures import BUYER, hanoi_commune

sepay_server = banks.sepay_server  # fixtures
casso_server = banks.casso_server


def vi(msgid: str) -> str:
    """A message as the (Vietnamese) pages show it, whether or not the catalogue has it yet."""
    with translation.override("vi"):
        return translation.gettext(msgid)


SEPAY_KEY = "sepay-key-0123456789abcdef"
CASSO_KEY = "casso-key-0123456789abcdef"


def place(listing, packs=2, *, payment="bank") -> Order:
    (order,) = order_services.order_place(
        items=[(listing.pk, packs)],
        buyer=Buyer(**{**BUYER, "commune_code": hanoi_commune()}),
        choices={listing.cooperative_id: Choice(delivery="post", payment=payment)},
    )
    return order


def set_keys(coop, sepay=SEPAY_KEY, casso=CASSO_KEY):
    with tenant(coop):
        Shop.objects.filter(cooperative=coop).update(sepay_api_key=sepay, casso_secret=casso)


def hook(provider, coop):
    return reverse("shop_hooks:bank_hook", args=[provider, coop.slug])


def post_hook(client, url, headers, body):
    return client.post(url, data=body, content_type="application/json", headers=headers)


def txs(coop):
    with tenant(coop):
        return list(BankTransaction.objects.order_by("pk"))


def reload(order) -> Order:
    with tenant(order.cooperative):
        return Order.objects.get(pk=order.pk)


@pytest.fixture
def shop_a(honey_shop_a):
    set_keys(honey_shop_a.cooperative)
    return honey_shop_a


# --- SePay ------------------------------------------------------------------------------------------


def test_a_sepay_delivery_pays_the_order_and_three_deliveries_make_one_payment(client, shop_a):
    order = place(shop_a)
    payload = sepay_payload(id=777, amount=order.total_vnd, content=f"{order.code} chuyen tien mua mat ong")
    for _ in range(3):
        headers, body = sepay_delivery(payload, api_key=SEPAY_KEY)
        response = post_hook(client, hook("sepay", order.cooperative), headers, body)
        assert response.status_code == 200
        assert response.json() == {"success": True}
    (tx,) = txs(order.cooperative)
    assert (tx.source, tx.provider_id, tx.state, tx.order_id) == ("sepay", "777", TxState.MATCHED, order.pk)
    order = reload(order)
    assert order.paid_vnd == order.total_vnd and order.payment_state == PaymentState.PAID
    with tenant(order.cooperative):
        assert CashEntry.objects.filter(order=order).count() == 1


def test_a_signed_sepay_delivery_is_accepted_and_a_partial_payment_is_partial(client, shop_a):
    order = place(shop_a)
    payload = sepay_payload(id=778, amount=100_000, content=order.code)
    headers, body = sepay_delivery(payload, hmac_secret=SEPAY_KEY)
    assert "Authorization" not in headers
    response = post_hook(client, hook("sepay", order.cooperative), headers, body)
    assert response.status_code == 200
    (tx,) = txs(order.cooperative)
    assert tx.state == TxState.PARTIAL
    assert reload(order).payment_state == PaymentState.PARTIAL


@pytest.mark.parametrize(
    "how",
    [
        "wrong_key",
        "no_key",
        "wrong_signature",
        "old_timestamp",
        "unknown_coop",
        "shop_without_key",
        "no_shop",
    ],
)
def test_sepay_deliveries_not_from_sepay_are_refused_and_nothing_is_stored(client, shop_a, coop_b, how):
    coop = shop_a.cooperative
    order = place(shop_a)
    payload = sepay_payload(id=900, amount=order.total_vnd, content=order.code)
    url = hook("sepay", coop)
    if how == "wrong_key":
        headers, body = sepay_delivery(payload, api_key="not-the-key")
    elif how == "no_key":
        headers, body = sepay_delivery(payload)
    elif how == "wrong_signature":
        headers, body = sepay_delivery(payload, hmac_secret="another-secret")
    elif how == "old_timestamp":
        headers, body = sepay_delivery(payload, hmac_secret=SEPAY_KEY, timestamp=int(time.time()) - 600)
    elif how == "unknown_coop":
        headers, body = sepay_delivery(payload, api_key=SEPAY_KEY)
        url = reverse("shop_hooks:bank_hook", args=["sepay", "no-such-coop"])
    elif how == "shop_without_key":
        set_keys(coop, sepay="", casso="")
        headers, body = sepay_delivery(payload, api_key="")
        headers["Authorization"] = "Apikey "
    else:  # coop_b has no shop at all
        headers, body = sepay_delivery(payload, api_key=SEPAY_KEY)
        url = hook("sepay", coop_b)
    response = post_hook(client, url, headers, body)
    assert response.status_code == 401
    assert response.json() == {"success": False}
    assert BankTransaction.unscoped.count() == 0
    assert reload(order).paid_vnd == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        b'{"id": 1}',
    ],
)
def test_a_body_that_cannot_be_read_is_400_never_500(client, shop_a, body):
    headers = {"Authorization": f"Apikey {SEPAY_KEY}"}
    response = client.post(
        hook("sepay", shop_a.cooperative), data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert BankTransaction.unscoped.count() == 0


def test_a_body_over_the_limit_is_refused(client, shop_a):
    headers, _body = sepay_delivery(sepay_payload(), api_key=SEPAY_KEY)
    body = b'{"x": "' + b"a" * 300_000 + b'"}'
    response = post_hook(client, hook("sepay", shop_a.cooperative), headers, body)
    assert response.status_code == 400
    assert BankTransaction.unscoped.count() == 0


def test_a_money_out_line_is_kept_as_ignored(client, shop_a):
    payload = sepay_payload(id=901, amount=50_000, content="Phi SMS Banking", transfer_type="out")
    headers, body = sepay_delivery(payload, api_key=SEPAY_KEY)
    assert post_hook(client, hook("sepay", shop_a.cooperative), headers, body).status_code == 200
    (tx,) = txs(shop_a.cooperative)
    assert tx.state == TxState.IGNORED and tx.amount_vnd == -50_000
    with tenant(shop_a.cooperative):
        assert CashEntry.objects.count() == 0


def test_a_get_is_not_a_delivery(client, shop_a):
    assert client.get(hook("sepay", shop_a.cooperative)).status_code == 405


# --- Casso --------------------------------------------------------------------------------------------


def test_casso_pays_two_orders_in_one_delivery_idempotently(client, shop_a):
    first, second = place(shop_a, 1), place(shop_a, 2)
    data = [
        casso_record(5001, amount=first.total_vnd, description=f"{first.code} ck"),
        casso_record(5002, amount=second.total_vnd, description=f"MBVCB.123 {second.code.lower()}"),
    ]
    for _ in range(3):
        headers, body = casso_delivery(data, secret=CASSO_KEY)
        response = post_hook(client, hook("casso", shop_a.cooperative), headers, body)
        assert response.status_code == 200 and response.json() == {"success": True}
    assert [(t.provider_id, t.state) for t in txs(shop_a.cooperative)] == [
        ("5001", TxState.MATCHED),
        ("5002", TxState.MATCHED),
    ]
    assert reload(first).payment_state == reload(second).payment_state == PaymentState.PAID


@pytest.mark.parametrize("how", ["wrong_secret", "old_timestamp", "unsigned"])
def test_casso_deliveries_not_from_casso_are_refused(client, shop_a, how):
    order = place(shop_a)
    data = casso_record(5003, amount=order.total_vnd, description=order.code)
    if how == "wrong_secret":
        headers, body = casso_delivery(data, secret="wrong")
    elif how == "old_timestamp":
        headers, body = casso_delivery(data, secret=CASSO_KEY, timestamp_ms=int(time.time() * 1000) - 600_000)
    else:
        headers, body = casso_delivery(data, secret=CASSO_KEY)
        del headers["X-Casso-Signature"]
    response = post_hook(client, hook("casso", shop_a.cooperative), headers, body)
    assert response.status_code == 401
    assert BankTransaction.unscoped.count() == 0


# --- the queue -------------------------------------------------------------------------------------------


def test_a_payment_for_a_cancelled_order_lands_in_the_queue_and_staff_resolve_it(
    client, login, shop_a, chair_a
):
    coop = shop_a.cooperative
    cancelled = place(shop_a)
    with tenant(coop):
        order_services.order_move(
            order=cancelled, to=OrderStatus.CANCELLED, actor=chair_a, note="buyer asked"
        )
    other = place(shop_a, 1)
    headers, body = sepay_delivery(
        sepay_payload(id=950, amount=cancelled.total_vnd, content=cancelled.code), api_key=SEPAY_KEY
    )
    assert post_hook(client, hook("sepay", coop), headers, body).status_code == 200
    headers, body = sepay_delivery(sepay_payload(id=951, amount=10_000, content="ung ho"), api_key=SEPAY_KEY)
    assert post_hook(client, hook("sepay", coop), headers, body).status_code == 200
    tx_cancelled, tx_gift = txs(coop)
    assert tx_cancelled.state == TxState.UNMATCHED and tx_cancelled.order_id == cancelled.pk
    assert reload(cancelled).paid_vnd == 0

    login(chair_a)
    slug = coop.slug
    page = client.get(reverse("shop_money:transaction_list", args=[slug]) + "?state=queue")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("/money/tx/") == 2
    # The cancelled order cannot be paid by hand either: a clear message, nothing changed.
    url = reverse("shop_money:transaction_assign", args=[slug, tx_cancelled.pk])
    refused = client.post(url, {"assign-order": cancelled.code})
    assert refused.status_code == 422
    assert reload(cancelled).paid_vnd == 0
    # Staff pay the other order with it (it is the same buyer's), found by phone.
    search = client.get(
        reverse("shop_money:transaction_detail", args=[slug, tx_cancelled.pk]), {"q": BUYER["phone"]}
    )
    assert other.code in search.content.decode()
    done = client.post(url, {"assign-order": other.code.lower(), "assign-note": "same buyer"})
    assert done.status_code == 302
    assert reload(other).paid_vnd == cancelled.total_vnd
    with tenant(coop):
        tx_cancelled.refresh_from_db()
    assert tx_cancelled.state == TxState.RESOLVED and tx_cancelled.resolved_by == chair_a
    # A second POST changes nothing.
    assert client.post(url, {"assign-order": other.code}).status_code == 422
    assert reload(other).paid_vnd == cancelled.total_vnd
    # The gift: not an order payment, with a reason (none given: refused).
    ignore = reverse("shop_money:transaction_ignore", args=[slug, tx_gift.pk])
    assert client.post(ignore, {"ignore-note": ""}).status_code == 422
    assert client.post(ignore, {"ignore-note": "a donation"}).status_code == 302
    with tenant(coop):
        tx_gift.refresh_from_db()
    assert tx_gift.state == TxState.IGNORED and tx_gift.note == "a donation"


def test_an_overpayment_is_refunded_from_its_page(client, login, shop_a, accountant_a):
    coop = shop_a.cooperative
    order = place(shop_a)
    headers, body = sepay_delivery(
        sepay_payload(id=960, amount=order.total_vnd + 30_000, content=order.code), api_key=SEPAY_KEY
    )
    post_hook(client, hook("sepay", coop), headers, body)
    (tx,) = txs(coop)
    assert tx.state == TxState.OVERPAID
    login(accountant_a)
    url = reverse("shop_money:transaction_refund", args=[coop.slug, tx.pk])
    assert client.post(url, {"refund-amount": "40000"}).status_code == 422  # more than overpaid
    assert client.post(url, {"refund-amount": "30000", "refund-note": "tra lai"}).status_code == 302
    order = reload(order)
    assert order.paid_vnd == order.total_vnd and order.payment_state == PaymentState.PAID
    with tenant(coop):
        assert list(CashEntry.objects.values_list("amount_vnd", flat=True)) == [
            order.total_vnd + 30_000,
            -30_000,
        ]
    assert client.post(url, {"refund-amount": "30000"}).status_code == 422


def test_other_cooperatives_transactions_are_not_found(client, login, shop_a, chair_b, tea_shop_b):
    headers, body = sepay_delivery(sepay_payload(id=970, amount=10_000, content="x"), api_key=SEPAY_KEY)
    post_hook(client, hook("sepay", shop_a.cooperative), headers, body)
    (tx,) = txs(shop_a.cooperative)
    login(chair_b)
    slug_b = tea_shop_b.cooperative.slug
    assert client.get(reverse("shop_money:transaction_detail", args=[slug_b, tx.pk])).status_code == 404
    assert (
        client.post(
            reverse("shop_money:transaction_ignore", args=[slug_b, tx.pk]), {"ignore-note": "x"}
        ).status_code
        == 404
    )


# --- statements -------------------------------------------------------------------------------------------


def statement_csv(order) -> bytes:
    lines = [
        "STT,Ngày giao dịch,Số bút toán,Số tiền ghi nợ,Số tiền ghi có,Nội dung giao dịch",
        f'1,01/12/2026 08:15:02,FT26335001,,"{order.total_vnd:,}",{order.code} chuyen tien mua mat ong',
        '2,01/12/2026 10:40:11,FT26335002,"50,000",,Phi quan ly tai khoan',
        '3,02/12/2026 19:03:45,FT26336007,,"420,000",chuyen tien khong ro',
    ]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def upload(client, slug, content, name="sao-ke.csv", **mapping):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("shop_money:statement_upload", args=[slug]), {"file": file, **mapping})


def confirm(client, slug, preview):
    text = preview.content.decode()
    token = text.split('name="token" value="', 1)[1].split('"', 1)[0]
    return client.post(reverse("shop_money:statement_confirm", args=[slug]), keyed(token=token))


def test_a_statement_is_previewed_then_imported_and_a_second_import_is_all_duplicates(
    client, login, shop_a, accountant_a
):
    coop = shop_a.cooperative
    order = place(shop_a)
    login(accountant_a)
    preview = upload(client, coop.slug, statement_csv(order))
    assert preview.status_code == 200
    text = preview.content.decode()
    assert order.code in text and "FT26335001" not in text
    assert BankTransaction.unscoped.count() == 0  # a preview writes nothing
    assert confirm(client, coop.slug, preview).status_code == 302
    states = sorted((t.amount_vnd, t.state) for t in txs(coop))
    assert states == [
        (-50_000, TxState.IGNORED),
        (420_000, TxState.UNMATCHED),
        (order.total_vnd, TxState.MATCHED),
    ]
    assert reload(order).payment_state == PaymentState.PAID
    # The same statement again: three more rows kept, the money ones duplicates, nothing paid twice.
    again = upload(client, coop.slug, statement_csv(order))
    assert again.content.decode().count(html.escape(vi("Already received: kept as a duplicate"))) == 2
    assert confirm(client, coop.slug, again).status_code == 302
    new = txs(coop)[3:]
    assert sorted(t.state for t in new) == sorted([TxState.DUPLICATE, TxState.DUPLICATE, TxState.IGNORED])
    assert reload(order).paid_vnd == order.total_vnd


def test_a_file_that_is_not_a_statement_gives_a_message_and_stores_nothing(client, login, shop_a, chair_a):
    login(chair_a)
    response = upload(client, shop_a.cooperative.slug, b"name,phone\nLan,0987654321\n", name="members.csv")
    assert response.status_code == 422
    with translation.override("vi"):
        expected = translation.gettext(
            "This file does not look like a bank statement: no header row with a date "
            "column and a credit (or amount) column was found."
        )
    assert html.escape(expected) in response.content.decode()
    assert BankTransaction.unscoped.count() == 0


def test_a_damaged_preview_token_imports_nothing(client, login, shop_a, chair_a):
    login(chair_a)
    slug = shop_a.cooperative.slug
    response = client.post(reverse("shop_money:statement_confirm", args=[slug]), keyed(token="abc:def"))
    assert response.status_code == 302
    assert BankTransaction.unscoped.count() == 0


def test_a_changed_column_mapping_is_saved_for_next_time(client, login, shop_a, chair_a):
    coop = shop_a.cooperative
    order = place(shop_a)
    login(chair_a)
    mapping = {"header_row": "1", "date": "1", "credit": "4", "debit": "3", "memo": "5", "reference": "2"}
    preview = upload(client, coop.slug, statement_csv(order), **mapping)
    assert preview.status_code == 200
    assert confirm(client, coop.slug, preview).status_code == 302
    with tenant(coop):
        saved = Shop.objects.get(cooperative=coop).statement_mapping
    assert saved == {
        "header_row": 1,
        "date": 1,
        "credit": 4,
        "debit": 3,
        "amount": None,
        "memo": 5,
        "reference": 2,
    }
    page = client.get(reverse("shop_money:statement_upload", args=[coop.slug])).content.decode()
    assert 'name="header_row" value="1"' in page


# --- the cash book ---------------------------------------------------------------------------------------


def test_the_cash_book_numbers_lines_with_a_running_total_and_its_xlsx_keeps_memos_as_text(
    client, login, shop_a, chair_a
):
    coop = shop_a.cooperative
    order = place(shop_a, 1, payment="cod")
    with tenant(coop):
        from hoptac.shop.services.payments import order_cash_received

        order_cash_received(order=order, amount=100_000, actor=chair_a, note='=HYPERLINK("http://evil","x")')
        order_cash_received(order=order, amount=50_000, actor=chair_a, note="lan 2")
    login(chair_a)
    page = client.get(reverse("shop_money:cash_book", args=[coop.slug]))
    assert page.status_code == 200
    assert "150.000" in page.content.decode()
    response = client.get(reverse("shop_money:cash_book_xlsx", args=[coop.slug]))
    assert response.status_code == 200
    rows = [values for _n, values in xlsx.read_rows(response.content, xlsx.Limits())]
    assert rows[1][0] == 1 and rows[2][0] == 2
    assert rows[1][5] == '=HYPERLINK("http://evil","x")'
    assert (rows[1][6], rows[1][7], rows[2][7]) == (100_000, 100_000, 150_000)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=6).data_type == "s"


# --- settings ---------------------------------------------------------------------------------------------


def test_the_chair_makes_a_key_shown_once_and_the_old_one_stops_working(
    client, login, shop_a, chair_a, accountant_a
):
    coop = shop_a.cooperative
    login(accountant_a)
    page = client.get(reverse("shop_money:bank_settings", args=[coop.slug]))
    assert page.status_code == 200 and hook("sepay", coop) in page.content.decode()
    assert client.post(reverse("shop_money:bank_key_rotate", args=[coop.slug, "sepay"])).status_code == 403
    login(chair_a)
    response = client.post(
        reverse("shop_money:bank_key_rotate", args=[coop.slug, "sepay"]), {"action": "rotate"}
    )
    assert response.status_code == 200
    with tenant(coop):
        key = Shop.objects.get(cooperative=coop).sepay_api_key
    assert key != SEPAY_KEY and len(key) >= 40 and key in response.content.decode()
    assert key not in client.get(reverse("shop_money:bank_settings", args=[coop.slug])).content.decode()
    headers, body = sepay_delivery(sepay_payload(id=990, amount=1000, content="x"), api_key=SEPAY_KEY)
    assert post_hook(client, hook("sepay", coop), headers, body).status_code == 401
    headers, body = sepay_delivery(sepay_payload(id=990, amount=1000, content="x"), api_key=key)
    assert post_hook(client, hook("sepay", coop), headers, body).status_code == 200


# --- tasks and commands ------------------------------------------------------------------------------------


def test_the_periodic_task_reminds_then_cancels_unpaid_transfers(shop_a, tea_shop_b):
    order = place(shop_a, 3)
    tea = place(tea_shop_b, 1)
    start = order.created_at
    assert remind_and_expire_all(now=start + dt.timedelta(hours=1)) == (0, 0)
    assert remind_and_expire_all(now=start + dt.timedelta(hours=25)) == (2, 0)
    assert remind_and_expire_all(now=start + dt.timedelta(hours=49)) == (0, 2)
    assert reload(order).status == reload(tea).status == OrderStatus.CANCELLED


def test_bank_pull_receives_sepay_transactions_once(shop_a, sepay_server):
    order = place(shop_a)
    account = shop_a.cooperative.shop.bank_account
    sepay_server.add(amount_in=order.total_vnd, content=f"{order.code} ck", account_number=account)
    sepay_server.add(amount_out=20_000, content="phi", account_number=account)
    sepay_server.add(amount_in=999, content="another account", account_number="1111")
    args = ["--coop", shop_a.cooperative.slug, "--provider", "sepay", "--base-url", sepay_server.url]
    for _ in range(2):
        call_command("bank_pull", *args, "--token", sepay_server.token, stdout=io.StringIO())
    assert sorted(t.state for t in txs(shop_a.cooperative)) == sorted([TxState.MATCHED, TxState.IGNORED])
    assert reload(order).payment_state == PaymentState.PAID
    with pytest.raises(CommandError):
        call_command("bank_pull", *args, "--token", "wrong", stdout=io.StringIO())


def test_bank_pull_receives_casso_transactions_with_the_token_from_the_environment(
    shop_a, casso_server, monkeypatch
):
    order = place(shop_a)
    casso_server.add(amount=order.total_vnd, description=f"thanh toan {order.code}", when=timezone.now())
    monkeypatch.setenv("HOPTAC_CASSO_API_KEY", casso_server.api_key)
    out = io.StringIO()
    call_command(
        "bank_pull",
        "--coop",
        shop_a.cooperative.slug,
        "--provider",
        "casso",
        "--base-url",
        casso_server.url,
        stdout=out,
    )
    assert "1 new" in out.getvalue()
    assert reload(order).payment_state == PaymentState.PAID


# --- VietQR ---------------------------------------------------------------------------------------------------


def test_the_vietqr_of_an_order_decodes_with_the_right_crc_amount_and_memo(shop_a):
    import segno
    import zxingcpp
    from PIL import Image

    order = place(shop_a)
    shop = shop_a.cooperative.shop
    text = vietqr.payload(
        bank_bin=shop.bank_bin, account=shop.bank_account, amount=order.total_vnd, purpose=order.code
    )
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=6, border=4)
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(buffer.getvalue())))
    assert found.text == text
    parsed = vietqr.parse(found.text)  # checks the CRC
    assert int(parsed["amount"]) == order.total_vnd
    assert parsed["purpose"].startswith(order.code) and len(parsed["purpose"]) <= 25
    # CRC-16/CCITT-FALSE over everything up to and including "6304".
    import binascii

    crc = binascii.crc_hqx(found.text[:-4].encode(), 0xFFFF)
    assert found.text[-4:].upper() == f"{crc:04X}"
