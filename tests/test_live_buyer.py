"""A live buyer's link and page: sending the link through the outbox (once), the page
``/mua/<token>/`` end to end with Django's test client (GET, POST with errors, POST ok,
double POST and Back-and-resubmit making one order), expired and unknown links, the
expiry task, and the token kept out of logs and Referer headers."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from hoptac.core.redact import redact
from hoptac.core.tenancy import tenant
from hoptac.lib.sms import sms_length
from hoptac.live.models import Claim, ClaimState, LiveBuyer
from hoptac.live.services import links
from hoptac.live.services.claims import claim_release, comment_add
from hoptac.live.tasks import expire_all
from hoptac.outbox.models import Message
from hoptac.shop.models import Channel, Order, PaymentMethod
from tests.shop_fixtures import hanoi_commune

pytestmark = pytest.mark.django_db


def _buyer(coop, session, text="chốt M1 x2 0912345678", name="Lò Thị Mai"):
    with tenant(coop):
        result = comment_add(session=session, author_name=name, text=text)
        return LiveBuyer.objects.get(pk=result.comment.buyer_id)


def _form(**extra):
    data = {
        "form_key": str(uuid.uuid4()),
        "name": "Lò Thị Mai",
        "phone": "",
        "message_channel": "sms",
        "province_code": "1",
        "commune_code": str(hanoi_commune()),
        "street": "12 Hàng Bạc",
        "payment_{coop}": "bank",
        "delivery_{coop}": "post",
        "place": "1",
    }
    data.update(extra)
    return data


def _post_data(coop, **extra):
    return {k.format(coop=coop.pk): v for k, v in _form(**extra).items()}


# --- the link and its message ------------------------------------------------------------------


def test_link_goes_once_by_sms_with_the_items_and_the_address(coop_a, live_a, settings):
    settings.PUBLIC_URL = "https://hoptac.test"
    buyer = _buyer(coop_a, live_a, text="chốt M1 x2 C2 x1 0912345678")
    with tenant(coop_a), translation.override("en"):
        message = links.link_send(buyer=buyer)
        again = links.link_send(buyer=buyer)
        buyer.refresh_from_db()
        assert again is None  # a second click queues nothing
        assert Message.objects.filter(source_type="live_buyer", source_id=str(buyer.pk)).count() == 1
    assert buyer.link_sent_at is not None
    assert message.to_phone == "0912345678"
    assert message.channel == "sms"
    assert f"https://hoptac.test/mua/{buyer.token}/" in message.text
    assert "M1 x2" in message.text and "C2 x1" in message.text
    assert message.body.isascii()  # the SMS goes out unaccented (GSM-7)
    assert sms_length(message.body).segments <= 2


def test_link_by_zalo_falls_back_to_sms_and_needs_a_phone(coop_a, live_a):
    with_phone = _buyer(coop_a, live_a)
    no_phone = _buyer(coop_a, live_a, text="chốt C2 x1", name="Vàng Seo Pao")
    with tenant(coop_a):
        message = links.link_send(buyer=with_phone, channel="zalo")
        assert "sms" in message.fallbacks.split(",") or message.channel == "sms"
        with pytest.raises(ValidationError) as refused:
            links.link_send(buyer=no_phone)
        assert refused.value.code == "no_phone"


def test_send_all_unsent_links_skips_the_sent_and_counts_those_without_phone(coop_a, live_a):
    first = _buyer(coop_a, live_a)
    _buyer(coop_a, live_a, text="M1 1 0987654321", name="Giàng A Lử")
    _buyer(coop_a, live_a, text="chốt C2 x1", name="Vàng Seo Pao")  # no phone
    with tenant(coop_a):
        links.link_send(buyer=first)
        result = links.links_send_unsent(session=live_a)
        assert (result.sent, result.no_phone) == (1, 1)
        assert links.links_send_unsent(session=live_a).sent == 0  # twice: nothing twice
        assert Message.objects.filter(source_type="live_buyer").count() == 2


# --- the page ------------------------------------------------------------------------------------


def test_page_shows_the_held_items_at_live_prices_and_masks_the_phone(client, coop_a, live_a):
    buyer = _buyer(coop_a, live_a, text="chốt M1 x2 C2 x1 0912345678")
    with translation.override("en"):
        response = client.get(f"/mua/{buyer.token}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert coop_a.name in page
    assert "550.000" in page  # 2 × 200.000 + 150.000 at the live prices
    assert "0912345678" not in page and "•••••••678" in page  # masked
    assert 'value="Lò Thị Mai"' in page
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]
    assert "<script" not in page


def test_waiting_claims_show_their_place_in_line(settings, client, coop_a, live_a):
    settings.LANGUAGE_CODE = "en"
    _buyer(coop_a, live_a, text="chốt M1 x9 0912345678")
    _buyer(coop_a, live_a, text="M1 x3 0987654321", name="Giàng A Lử")
    late = _buyer(coop_a, live_a, text="M1 x1 C2 x1 0977111222", name="Vàng Seo Pao")
    with translation.override("en"):
        page = client.get(f"/mua/{late.token}/").content.decode()
    assert "number 2 in line" in page  # M1: after Giàng A Lử's 3
    assert 'data-state="held"' in page  # C2 is held


def test_unknown_or_malformed_token_is_404(client, coop_a, live_a):
    assert client.get("/mua/NoSuchToken123/").status_code == 404
    assert client.get("/mua/a/").status_code == 404
    assert client.post("/mua/NoSuchToken123/", {}).status_code == 404


def test_post_with_errors_keeps_the_claims_and_names_the_fields(client, coop_a, live_a):
    buyer = _buyer(coop_a, live_a)
    with translation.override("en"):
        response = client.post(f"/mua/{buyer.token}/", _post_data(coop_a, street="", name=""))
    assert response.status_code == 400
    assert response.context["form"].errors.keys() >= {"name"}
    with tenant(coop_a):
        assert not Order.objects.exists()
        assert Claim.objects.get(buyer=buyer).state == ClaimState.HELD


def test_damaged_form_key_orders_nothing(client, coop_a, live_a):
    buyer = _buyer(coop_a, live_a)
    response = client.post(f"/mua/{buyer.token}/", _post_data(coop_a, form_key="x"))
    assert response.status_code == 400
    with tenant(coop_a):
        assert not Order.objects.exists()


def test_confirm_makes_one_order_at_live_prices_and_goes_to_the_order_page(client, coop_a, live_a):
    buyer = _buyer(coop_a, live_a)
    data = _post_data(coop_a)
    response = client.post(f"/mua/{buyer.token}/", data)
    with tenant(coop_a):
        order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/don/{order.code}/"
    assert order.channel == Channel.LIVE and order.channel_ref == live_a.code
    assert order.subtotal_vnd == 400_000 and order.payment_method == PaymentMethod.BANK
    assert order.buyer_phone == "0912345678"  # the phone left empty: the comment's
    assert order.street == "12 Hàng Bạc"
    # The order page opens (VietQR for a bank transfer) in the same browser.
    page = client.get(response["Location"])
    assert page.status_code == 200 and order.code in page.content.decode()
    # Double submit, and Back + send again: the same order, nothing twice.
    again = client.post(f"/mua/{buyer.token}/", data)
    back = client.post(f"/mua/{buyer.token}/", _post_data(coop_a))
    assert again["Location"] == back["Location"] == f"/don/{order.code}/"
    # The link, opened later, goes to the order too.
    assert client.get(f"/mua/{buyer.token}/")["Location"] == f"/don/{order.code}/"
    with tenant(coop_a):
        assert Order.objects.count() == 1
        assert LiveBuyer.objects.get(pk=buyer.pk).order_id == order.pk


def test_cash_on_delivery_and_a_typed_phone(client, coop_a, live_a):
    buyer = _buyer(coop_a, live_a, text="chốt C2 x2", name="Vàng Seo Pao")  # no phone in the comment
    response = client.post(
        f"/mua/{buyer.token}/", _post_data(coop_a, phone="", **{f"payment_{coop_a.pk}": "cod"})
    )
    assert response.status_code == 400  # the phone is needed: none known
    response = client.post(
        f"/mua/{buyer.token}/", _post_data(coop_a, phone="0977 111 222", **{f"payment_{coop_a.pk}": "cod"})
    )
    assert response.status_code == 302
    with tenant(coop_a):
        order = Order.objects.get()
    assert (order.payment_method, order.buyer_phone, order.subtotal_vnd) == ("cod", "0977111222", 300_000)


def test_refresh_shows_communes_without_complaining(client, coop_a, live_a):
    buyer = _buyer(coop_a, live_a)
    response = client.post(
        f"/mua/{buyer.token}/", {"form_key": str(uuid.uuid4()), "province_code": "1", "refresh": "1"}
    )
    assert response.status_code == 200
    assert response.context["has_communes"] and not response.context["form"].errors


def test_held_but_past_its_time_is_expired_on_the_page_and_orders_nothing(client, coop_a, live_a):
    buyer = _buyer(coop_a, live_a)
    with tenant(coop_a):
        Claim.objects.filter(buyer=buyer).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    with translation.override("en"):
        page = client.get(f"/mua/{buyer.token}/")
        posted = client.post(f"/mua/{buyer.token}/", _post_data(coop_a))
    assert page.status_code == 200
    assert 'id="nothing-held"' in page.content.decode()
    assert 'data-state="expired"' in page.content.decode()
    assert posted.status_code == 200 and b"live-confirm" not in posted.content
    with tenant(coop_a):
        assert not Order.objects.exists()


def test_released_claims_leave_a_clear_page(settings, client, coop_a, live_a):
    settings.LANGUAGE_CODE = "en"
    buyer = _buyer(coop_a, live_a)
    with tenant(coop_a):
        claim_release(claim=Claim.objects.get(buyer=buyer))
    with translation.override("en"):
        response = client.get(f"/mua/{buyer.token}/")
    assert response.status_code == 200
    assert "Nothing is held for you any more" in response.content.decode()


def test_too_many_confirmations_from_one_address_are_refused(client, coop_a, live_a):
    from hoptac.live.views.buyer import CONFIRM_LIMIT

    buyer = _buyer(coop_a, live_a)
    for _attempt in range(CONFIRM_LIMIT):  # counted, refused for the missing street
        assert client.post(f"/mua/{buyer.token}/", _post_data(coop_a, street="")).status_code == 400
    assert client.post(f"/mua/{buyer.token}/", _post_data(coop_a)).status_code == 429
    with tenant(coop_a):
        assert not Order.objects.exists()


def test_the_token_is_masked_in_logs():
    assert redact('"GET /mua/AbC_12-xyz9/ HTTP/1.1" 200') == '"GET /mua/***/ HTTP/1.1" 200'


# --- expiry --------------------------------------------------------------------------------------


def test_expiry_task_expires_past_claims_in_every_cooperative_and_moves_the_line(coop_a, live_a):
    first = _buyer(coop_a, live_a, text="chốt M1 x10 0912345678")
    second = _buyer(coop_a, live_a, text="M1 x4 0987654321", name="Giàng A Lử")
    later = timezone.now() + dt.timedelta(minutes=live_a.hold_minutes + 1)
    assert expire_all(now=timezone.now()) == 0
    assert expire_all(now=later) == 1
    with tenant(coop_a):
        assert Claim.objects.get(buyer=first).state == ClaimState.EXPIRED
        assert Claim.objects.get(buyer=second).state == ClaimState.HELD
        assert LiveBuyer.objects.get(pk=first.pk).state == LiveBuyer.State.LAPSED
