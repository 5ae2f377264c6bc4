"""Staff pages for offers to sell and texts from members: lists, filters, answering by
SMS, closing without an answer, and who may do what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from hoptac.catalog.models import Product
from hoptac.core.models import AuditEvent
from hoptac.core.tenancy import tenant
from hoptac.notify import commands
from hoptac.notify import services as notify_services
from hoptac.notify.models import OfferStatus, SellOffer
from hoptac.offtake import services as offtake
from hoptac.outbox.models import Kind, Message, Status
from tests.conftest import keyed
from tests.test_sms_commands import URL, sms


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
        "HOOK_SECRETS": {"esms": "s3cret"},
    }


@pytest.fixture
def honey(coop_a):
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        offtake.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
    return product


@pytest.fixture
def tea(coop_a):
    with tenant(coop_a):
        return Product.objects.create(cooperative=coop_a, name="Chè búp tươi", code="CHE", base_unit="kg")


@pytest.fixture
def offer(client, coop_a, member_a, honey):
    """member_a texts BAN through the webhook."""
    assert sms(client, "0987654321", "Bán mật ong 20").status_code == 200
    with tenant(coop_a):
        return SellOffer.objects.get()


def vi(text: str) -> str:
    """A message as the pages show it (in Vietnamese once translated)."""
    with translation.override("vi"):
        return translation.gettext(text)


def offers_url(coop="coop-a"):
    return f"/c/{coop}/messages/offers/"


def detail_url(offer, coop="coop-a"):
    return f"/c/{coop}/messages/offers/{offer.pk}/"


def answers(offer) -> list[Message]:
    return list(Message.unscoped.filter(source_type="offer", source_id=str(offer.pk)))


# --- the list -----------------------------------------------------------------------------------------


def test_offer_list_shows_open_offers_first(login, coop_a, chair_a, member_a, member_a2, honey, tea, offer):
    with tenant(coop_a):
        closed = SellOffer.objects.create(
            cooperative=coop_a, member=member_a2, product=tea, quantity=5, unit="kg", raw_text="ban che 5"
        )
        notify_services.offer_close(offer=closed, actor=chair_a)
        newest = SellOffer.objects.create(
            cooperative=coop_a,
            member=member_a2,
            product=tea,
            quantity=7,
            unit="yen",
            raw_text="ban che 7 yen",
        )
    response = login(chair_a).get(offers_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert member_a.full_name in body and "0987 654 321" in body and "Thôn Pả Vi Thượng" in body
    assert "Bán mật ong 20" in body  # the raw text
    assert "Mật ong bạc hà" in body and "ban che 7 yen" in body
    rows = list(response.context["page"].object_list)
    assert rows == [newest, offer, closed]


def test_offer_list_filters(login, coop_a, chair_a, member_a2, honey, tea, offer):
    with tenant(coop_a):
        SellOffer.objects.create(
            cooperative=coop_a, member=member_a2, product=tea, quantity=5, unit="kg", raw_text="ban che 5"
        )
    client = login(chair_a)
    response = client.get(offers_url(), {"product": tea.pk})
    assert [o.product for o in response.context["page"].object_list] == [tea]
    response = client.get(offers_url(), {"status": "answered"})
    assert list(response.context["page"].object_list) == []
    assert vi("No offers for this choice.") in response.content.decode()
    response = client.get(offers_url(), {"status": "open", "product": honey.pk})
    assert list(response.context["page"].object_list) == [offer]


@pytest.mark.parametrize(
    "query", [{"status": "nonsense"}, {"product": "abc"}, {"product": "999999"}, {"page": "x"}]
)
def test_offer_list_bad_filters_are_not_errors(login, chair_a, offer, query):
    response = login(chair_a).get(offers_url(), query)
    assert response.status_code == 200


def test_offer_list_does_not_offer_other_cooperatives_products(login, coop_b, chair_a, offer):
    with tenant(coop_b):
        other = Product.objects.create(cooperative=coop_b, name="Chè Shan tuyết", code="CHE")
    client = login(chair_a)
    body = client.get(offers_url()).content.decode()
    assert "Chè Shan tuyết" not in body
    response = client.get(offers_url(), {"product": other.pk})
    assert response.status_code == 200
    assert response.context["filter_form"].errors


def test_collector_reads_offers(login, collector_a, offer):
    client = login(collector_a)
    assert client.get(offers_url()).status_code == 200
    response = client.get(detail_url(offer))
    assert response.status_code == 200
    assert 'name="text"' not in response.content.decode()  # no answer form


def test_member_role_cannot_read_offers(login, member_user_a, offer):
    assert login(member_user_a).get(offers_url()).status_code == 403


def test_other_cooperative_gets_404(login, chair_b, coop_b, offer):
    client = login(chair_b)
    assert client.get(offers_url()).status_code == 404
    assert client.get(detail_url(offer)).status_code == 404
    assert client.get(detail_url(offer, coop="coop-b")).status_code == 404
    assert (
        client.post(detail_url(offer, coop="coop-b"), keyed({"text": "x", "action": "send"})).status_code
        == 404
    )
    assert client.post(detail_url(offer, coop="coop-b") + "close/", keyed()).status_code == 404
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN
    assert answers(offer) == []


# --- answering ----------------------------------------------------------------------------------------


def test_answer_by_sms(login, chair_a, member_a, offer):
    client = login(chair_a)
    response = client.get(detail_url(offer))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Bán mật ong 20" in body and "500.000" in body  # the text and the price in force
    response = client.post(
        detail_url(offer),
        keyed(
            {
                "text": "HTX nhận mua 20 lít, giá 500.000đ/lít. Mang đến điểm Pả Vi sáng thứ Bảy.",
                "unaccented": "on",
            }
        ),
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ANSWERED
    assert offer.answered_by == chair_a and offer.answered_at is not None
    assert offer.answer.startswith("HTX nhận mua 20 lít")
    [message] = answers(offer)
    assert message.kind == Kind.REPLY and message.channel == "sms" and message.member == member_a
    assert message.body == "HTX nhan mua 20 lit, gia 500.000d/lit. Mang den diem Pa Vi sang thu Bay."
    assert message.status == Status.QUEUED and message.created_by == chair_a
    assert AuditEvent.objects.filter(action="offer.answer", object_id=str(offer.pk)).exists()
    page = client.get(detail_url(offer)).content.decode()
    assert "HTX nhan mua 20 lit" in page  # the SMS as sent, with its status
    assert 'name="text"' not in page  # answered: no second form


def test_answer_with_accents(login, chair_a, offer):
    login(chair_a).post(detail_url(offer), keyed({"text": "Giá 500.000đ", "action": "send"}))
    [message] = answers(offer)
    assert not message.unaccented and message.body == "Giá 500.000đ"


def test_check_length_sends_nothing(login, chair_a, offer):
    response = login(chair_a).post(
        detail_url(offer), keyed({"text": "Giá mật ong " * 20, "unaccented": "on", "action": "check"})
    )
    assert response.status_code == 200
    assert response.context["sms"]["length"].segments == 2
    assert "Gia mat ong" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN and answers(offer) == []


@pytest.mark.parametrize("text", ["", "   ", "x" * 301])
def test_bad_answer_is_a_form_error(login, chair_a, offer, text):
    response = login(chair_a).post(detail_url(offer), keyed({"text": text, "unaccented": "on"}))
    assert response.status_code == 422
    assert response.context["form"].errors["text"]
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN and answers(offer) == []


def test_an_offer_is_answered_once(login, chair_a, accountant_a, offer):
    login(chair_a).post(detail_url(offer), keyed({"text": "Mang den sang mai", "unaccented": "on"}))
    client = login(accountant_a)
    response = client.post(detail_url(offer), keyed({"text": "Lan nua", "unaccented": "on"}), follow=True)
    assert response.redirect_chain[0][1] == 302
    assert [str(m) for m in response.context["messages"]] == [vi("This offer was already answered.")]
    assert len(answers(offer)) == 1
    with tenant(offer.cooperative), pytest.raises(ValidationError) as refused:
        notify_services.offer_answer(offer=offer, text="Lan nua", actor=accountant_a)
    assert refused.value.messages == [vi("This offer was already answered.")]
    assert len(answers(offer)) == 1


def test_collector_cannot_answer_or_close(login, collector_a, offer):
    client = login(collector_a)
    assert client.post(detail_url(offer), keyed({"text": "x", "unaccented": "on"})).status_code == 403
    assert client.post(detail_url(offer) + "close/", keyed()).status_code == 403
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN and answers(offer) == []


def test_answer_and_status_in_one_transaction(login, chair_a, offer, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(notify_services, "audit_record", fail)
    client = login(chair_a)
    client.raise_request_exception = False
    response = client.post(detail_url(offer), keyed({"text": "Mang den sang mai", "unaccented": "on"}))
    assert response.status_code == 500
    offer.refresh_from_db()
    assert offer.status == OfferStatus.OPEN
    assert answers(offer) == []


def test_answer_goes_to_a_member_who_stopped_announcements(client, login, chair_a, member_a, offer):
    sms(client, "0987654321", "HUY")
    login(chair_a).post(detail_url(offer), keyed({"text": "Mang den sang mai", "unaccented": "on"}))
    [message] = answers(offer)
    assert message.status == Status.QUEUED


# --- closing ------------------------------------------------------------------------------------------


def test_close_without_answer(login, chair_a, offer):
    client = login(chair_a)
    assert client.get(detail_url(offer) + "close/").status_code == 405
    response = client.post(detail_url(offer) + "close/", keyed())
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.CLOSED and offer.answered_by == chair_a
    assert answers(offer) == []
    # Closing again, or answering a closed offer, is refused clearly.
    response = client.post(detail_url(offer) + "close/", keyed(), follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == vi("This offer was already closed.")
    response = client.post(detail_url(offer), keyed({"text": "Muon roi", "unaccented": "on"}), follow=True)
    assert [str(m) for m in response.context["messages"]] == [vi("This offer was already closed.")]
    assert answers(offer) == []


def test_missing_offer_is_404(login, chair_a, offer):
    client = login(chair_a)
    assert client.get("/c/coop-a/messages/offers/999999/").status_code == 404
    assert client.post("/c/coop-a/messages/offers/999999/close/").status_code == 404


# --- texts received -----------------------------------------------------------------------------------


def test_text_list(client, login, chair_a, collector_a, member_a, honey):
    for text in ("Giá", "SODU", "BAN mat ong 5,5", "xin chao"):
        sms(client, "0987654321", text)
    sms(client, "0933000111", "GIA")  # unknown phone: not listed anywhere
    staff = login(collector_a)
    response = staff.get("/c/coop-a/messages/texts/")
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Giá", "SODU", "BAN mat ong 5,5", "xin chao"):
        assert f"<q>{text}</q>" in body
    assert "0933" not in body
    assert response.context["page"].paginator.count == 4
    assert all(row.reply for row in response.context["page"].object_list)
    response = staff.get("/c/coop-a/messages/texts/", {"command": "BAN"})
    [row] = response.context["page"].object_list
    assert row.command == "BAN"
    with tenant(member_a.cooperative):
        assert row.offer == SellOffer.objects.get()
    assert f"/c/coop-a/messages/offers/{row.offer.pk}/" in response.content.decode()
    sms(client, "0987654321", "BAN gao 5")  # not understood: no offer to link
    rows = staff.get("/c/coop-a/messages/texts/", {"command": "BAN"}).context["page"].object_list
    assert [row.offer is None for row in rows] == [True, False]
    assert staff.get("/c/coop-a/messages/texts/", {"command": "zzz"}).status_code == 200


def test_text_list_marks_texts_not_answered(client, login, chair_a, member_a, settings, monkeypatch):
    monkeypatch.setattr(commands, "REPLIES_PER_HOUR", 1)
    sms(client, "0987654321", "GIA")
    sms(client, "0987654321", "GIA")
    response = login(chair_a).get("/c/coop-a/messages/texts/")
    rows = list(response.context["page"].object_list)
    assert [row.reply is None for row in rows] == [True, False]  # newest first
    with translation.override("vi"):
        expected = translation.gettext("No reply: more than %(limit)s texts from this phone in an hour.") % {
            "limit": 1
        }
    assert expected in response.content.decode()


def test_texts_of_another_cooperative_are_not_shown(client, login, chair_b, member_a, member_b):
    sms(client, "0987654321", "GIA")
    body = login(chair_b).get("/c/coop-b/messages/texts/").content.decode()
    assert member_a.full_name not in body
    assert login(chair_b).get("/c/coop-a/messages/texts/").status_code == 404


def test_the_webhook_url_is_the_one_configured():
    assert URL == "/hooks/sms/esms/s3cret/"


def test_offer_quantity_in_the_unit_texted(client, login, chair_a, coop_a, member_a, honey):
    sms(client, "0987654321", "BAN mat ong 12,5 lit")
    with tenant(coop_a):
        offer = SellOffer.objects.get()
    assert offer.quantity == Decimal("12.5") and offer.unit == "l"
    body = login(chair_a).get(offers_url()).content.decode()
    assert "12,5 lít" in body
