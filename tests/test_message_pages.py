"""The messaging pages: writing and sending an announcement, the staff outbox with its
filters and actions, messaging settings and a member's notice board."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from hoptac.accounts.services import membership_set
from hoptac.core.tenancy import tenant
from hoptac.notify import services
from hoptac.notify.models import Announcement, AnnouncementStatus, AnnouncementTemplate
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Attempt, Channel, Kind, Message, Status
from hoptac.outbox.transports import Outcome, Transport
from tests.conftest import keyed, make_member, opened


@pytest.fixture(autouse=True)
def _outbox_files(settings, tmp_path):
    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
    }


class GatewaySms(Transport):
    """A stand-in for a real gateway (not a development backend)."""

    name = "gw"
    channel = "sms"
    idempotent = True

    def can_send(self, *, kind, phone, email, has_account):
        return bool(phone)

    def send(self, message):
        return Outcome.sent("gw-1")


def vi(text: str) -> str:
    """A message as the pages show it: in Vietnamese, the default language."""
    with translation.override("vi"):
        return str(translation.gettext(text))


def url(name: str, coop, **kwargs) -> str:
    return reverse(f"notify:{name}", kwargs={"coop_slug": coop.slug, **kwargs})


def body(response) -> str:
    return response.content.decode()


def announcement_rows(announcement):
    return Message.unscoped.filter(source_type="announcement", source_id=str(announcement.pk))


FORM = {
    "title": "Họp thành viên",
    "body": "Mời {ten} họp ngày {ngay}",
    "audience": "all",
    "event_date": "2026-03-07",
    "channel_mode": "preferred",
    "unaccented": "on",
}


# --- writing and sending -------------------------------------------------------------------------


def test_write_check_and_send_an_announcement(login, coop_a, accountant_a, member_a, member_a2, member_b):
    client = login(accountant_a)
    assert client.get(url("announcement_create", coop_a)).status_code == 200
    response = client.post(url("announcement_create", coop_a), keyed(FORM))
    announcement = Announcement.unscoped.get()
    assert response.status_code == 302
    assert response.url == url("announcement_preview", coop_a, announcement_id=announcement.pk)

    page = client.get(response.url)
    assert page.status_code == 200
    preview = page.context["preview"]
    assert preview.recipients == 2 and preview.sms_segments == 2 and preview.cost_vnd == 1600
    text = body(page)
    assert "Mời Nguyễn Văn Đức họp ngày 07/03/2026" in text  # as written
    assert "Moi Nguyen Van Duc hop ngay 07/03/2026" in text  # as the SMS goes out
    assert member_b.full_name not in text

    response = client.post(
        url("announcement_preview", coop_a, announcement_id=announcement.pk), {"action": "now"}
    )
    assert response.status_code == 302
    assert announcement_rows(announcement).count() == 2
    announcement.refresh_from_db()
    assert announcement.status == AnnouncementStatus.SENT and announcement.recipients == 2

    # A second press of "Send now" (a double click, the back button) sends nothing more.
    again = client.post(
        url("announcement_preview", coop_a, announcement_id=announcement.pk), {"action": "now"}
    )
    assert again.status_code == 302
    assert announcement_rows(announcement).count() == 2
    detail = client.get(again.url)
    assert vi("This announcement was already sent or scheduled.") in body(detail)
    assert "Nguyễn Văn Đức" in body(detail)  # its messages are listed


def test_unknown_placeholder_is_a_form_error(login, coop_a, accountant_a, member_a):
    client = login(accountant_a)
    response = client.post(
        url("announcement_create", coop_a), keyed({**FORM, "body": "Chào {ten}, nhận {tienthuong}"})
    )
    assert response.status_code == 422
    assert "{tienthuong}" in body(response)
    assert not Announcement.unscoped.exists()
    response = client.post(url("announcement_create", coop_a), keyed({**FORM, "audience": "village"}))
    assert response.status_code == 422
    assert vi("Choose the village.") in body(response)
    response = client.post(
        url("announcement_create", coop_a), keyed({**FORM, "audience": "nonsense", "members": ["x"]})
    )
    assert response.status_code == 422
    assert not Announcement.unscoped.exists()


def test_start_from_a_template_or_a_suggestion(login, coop_a, accountant_a):
    client = login(accountant_a)
    page = client.get(url("announcement_create", coop_a))
    assert "?suggestion=buying" in body(page) and "?suggestion=meeting" in body(page)
    page = client.get(url("announcement_create", coop_a) + "?suggestion=price")
    suggested = page.context["form"].initial["body"]
    assert suggested.startswith("{htx}: Giá thu mua {sanpham} loại 1 từ ngày {ngay}: {gia}")
    response = client.post(
        url("template_list", coop_a), keyed({"name": "Thu mua chè", "body": "Thu mua chè {ngay}"})
    )
    assert response.status_code == 302
    template = AnnouncementTemplate.unscoped.get()
    page = client.get(url("announcement_create", coop_a))
    assert "?suggestion=" not in body(page) and f"?template={template.pk}" in body(page)
    page = client.get(url("announcement_create", coop_a) + f"?template={template.pk}")
    assert page.context["form"].initial == {"title": "Thu mua chè", "body": "Thu mua chè {ngay}"}
    bad = client.post(url("template_list", coop_a), keyed({"name": "Sai", "body": "{gia2}"}))
    assert bad.status_code == 422 and "{gia2}" in body(bad)
    assert client.post(url("template_delete", coop_a, template_id=template.pk)).status_code == 302
    assert not AnnouncementTemplate.unscoped.exists()


def test_schedule_in_the_past_is_a_form_error(login, coop_a, accountant_a, member_a):
    client = login(accountant_a)
    with tenant(coop_a):
        announcement = services.announcement_save(title="Họp", body="Họp {ten}", audience="all")
    send_url = url("announcement_preview", coop_a, announcement_id=announcement.pk)
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(send_url, {"action": "schedule", "scheduled_at": past})
    assert response.status_code == 422
    assert vi("Choose a time in the future to schedule the sending.") in body(response)
    assert not announcement_rows(announcement).exists()
    assert client.post(send_url, {"action": "schedule", "scheduled_at": ""}).status_code == 422

    later = (timezone.localtime() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    response = client.post(send_url, {"action": "schedule", "scheduled_at": later.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert set(announcement_rows(announcement).values_list("next_attempt_at", flat=True)) == {later}
    announcement.refresh_from_db()
    assert announcement.status == AnnouncementStatus.SCHEDULED
    response = client.post(url("announcement_cancel", coop_a, announcement_id=announcement.pk))
    assert response.status_code == 302
    assert set(announcement_rows(announcement).values_list("status", flat=True)) == {Status.CANCELLED}


def test_quota_warning_and_dev_banner_on_the_preview(login, coop_a, chair_a, member_a, member_a2, settings):
    with tenant(coop_a):
        rules = outbox.messaging_settings()
        rules.sms_quota_segments = 1
        rules.save()
        announcement = services.announcement_save(title="Họp", body="Họp {ten}", audience="all")
    client = login(chair_a)
    page = client.get(url("announcement_preview", coop_a, announcement_id=announcement.pk))
    text = body(page)
    assert vi("Over the monthly SMS quota.") in text
    assert "HOPTAC_SMS_BACKEND" in text  # the file backend: nothing leaves the machine
    settings.OUTBOX = {**settings.OUTBOX, "SMS_BACKEND": "tests.test_message_pages.GatewaySms"}
    with tenant(coop_a):
        rules.sms_quota_segments = 100
        rules.save()
    text = body(client.get(url("announcement_preview", coop_a, announcement_id=announcement.pk)))
    assert "HOPTAC_SMS_BACKEND" not in text
    assert vi("Over the monthly SMS quota.") not in text
    assert "HOPTAC_SMS_BACKEND" not in body(client.get(url("outbox", coop_a)))


def test_collector_reads_but_cannot_send(login, coop_a, collector_a, member_a):
    with tenant(coop_a):
        announcement = services.announcement_save(title="Họp", body="Họp {ten}", audience="all")
    client = login(collector_a)
    assert client.get(url("announcement_list", coop_a)).status_code == 200
    assert client.get(url("announcement_detail", coop_a, announcement_id=announcement.pk)).status_code == 200
    assert client.get(url("announcement_create", coop_a)).status_code == 403
    assert (
        client.post(
            url("announcement_preview", coop_a, announcement_id=announcement.pk), {"action": "now"}
        ).status_code
        == 403
    )
    assert client.post(url("template_list", coop_a), keyed({"name": "x", "body": "y"})).status_code == 403
    assert client.get(url("messaging_settings", coop_a)).status_code == 403
    assert not Message.unscoped.exists() and not AnnouncementTemplate.unscoped.exists()


def test_announcement_list_shows_counts_in_constant_queries(login, coop_a, accountant_a, member_a, member_a2):
    def make(n):
        for i in range(n):
            with tenant(coop_a):
                a = services.announcement_save(title=f"Tin {i}", body="Họp {ten}", audience="all")
                services.announcement_send(a)

    client = login(accountant_a)
    make(2)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url("announcement_list", coop_a))
    assert page.status_code == 200
    make(6)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url("announcement_list", coop_a))
    assert len(many) == len(few)
    rows = page.context["rows"]
    assert len(rows) == 8 and all(counts.waiting == 2 for _a, counts in rows)


# --- the outbox ----------------------------------------------------------------------------------


def queue(coop, n, **kwargs):
    with tenant(coop):
        return [
            outbox.queue(kind=kwargs.pop("kind", Kind.OTHER), text=f"Tin {i}", **kwargs) for i in range(n)
        ]


def test_outbox_filters_and_totals(login, coop_a, accountant_a, member_a, member_a2, member_b):
    queue(coop_a, 2, member=member_a)
    [price] = queue(coop_a, 1, member=member_a2, kind=Kind.PRICE)
    queue(coop_a, 1, phone="0977000111", name="Khách mua", kind=Kind.ORDER)
    queue(coop_b := member_b.cooperative, 1, member=member_b)
    Message.unscoped.filter(pk=price.pk).update(
        status=Status.FAILED, created_at=timezone.now() - dt.timedelta(days=10)
    )
    client = login(accountant_a)

    def totals(**params):
        response = client.get(url("outbox", coop_a), params)
        assert response.status_code == 200
        return response.context["totals"].count, response.context["totals"].cost_vnd

    assert totals() == (4, 3200)
    assert totals(status="failed") == (1, 800)
    assert totals(kind="order") == (1, 800)
    assert totals(channel="zalo") == (0, 0)
    assert totals(q="nguyen van") == (2, 1600)  # without accents
    assert totals(q="Vàng") == (1, 800)
    assert totals(q="0977 000") == (1, 800)
    assert totals(q="0912345678") == (1, 800)
    today = timezone.localdate().isoformat()
    assert totals(start=today) == (3, 2400)
    assert totals(end=(timezone.localdate() - dt.timedelta(days=1)).isoformat()) == (1, 800)
    # A period that ends before it starts is an error on the form, not a 500.
    response = client.get(url("outbox", coop_a), {"start": today, "end": "2020-01-01"})
    assert response.status_code == 200 and response.context["filter_form"].errors
    assert member_b.full_name not in body(client.get(url("outbox", coop_a)))
    assert coop_b.pk != coop_a.pk


def test_outbox_queries_do_not_grow_with_rows(login, coop_a, accountant_a, member_a):
    client = login(accountant_a)
    queue(coop_a, 3, member=member_a)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url("outbox", coop_a)).status_code == 200
    queue(coop_a, 27, member=member_a)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(url("outbox", coop_a))
    assert len(response.context["page"].object_list) == 30
    assert len(thirty) == len(three)


def test_message_actions_and_their_permission(login, coop_a, accountant_a, collector_a, member_a, member_a2):
    held, doubt, queued = queue(coop_a, 3, member=member_a)
    Message.unscoped.filter(pk=held.pk).update(status=Status.HELD, error="quota")
    Message.unscoped.filter(pk=doubt.pk).update(status=Status.DOUBT, attempts=1)
    Attempt.unscoped.create(
        cooperative=coop_a, message=doubt, outcome="transient", code="timeout", detail="read timeout"
    )

    collector = login(collector_a)
    page = collector.get(url("message_detail", coop_a, message_id=doubt.pk))
    assert page.status_code == 200 and "read timeout" in body(page)
    assert 'value="resend"' not in body(page)
    for message in (held, doubt, queued):
        response = collector.post(url("message_detail", coop_a, message_id=message.pk), {"action": "cancel"})
        assert response.status_code == 403
    assert Message.unscoped.filter(status=Status.CANCELLED).count() == 0

    client = login(accountant_a)
    page = client.get(url("message_detail", coop_a, message_id=doubt.pk))
    assert 'value="resend"' in body(page) and 'value="mark_sent"' in body(page)
    detail = url("message_detail", coop_a, message_id=held.pk)
    assert client.post(detail, {"action": "resend"}).status_code == 302
    held.refresh_from_db()
    assert held.status == Status.QUEUED
    assert (
        client.post(url("message_detail", coop_a, message_id=doubt.pk), {"action": "mark_sent"}).status_code
        == 302
    )
    doubt.refresh_from_db()
    assert doubt.status == Status.SENT and doubt.sent_at
    assert (
        client.post(url("message_detail", coop_a, message_id=queued.pk), {"action": "cancel"}).status_code
        == 302
    )
    queued.refresh_from_db()
    assert queued.status == Status.CANCELLED
    # Actions that do not fit the state are refused with a message, not a 500.
    response = client.post(
        url("message_detail", coop_a, message_id=queued.pk), {"action": "resend"}, follow=True
    )
    assert vi("Only a held or uncertain message can be sent again.") in body(response)
    assert client.post(detail, {"action": "explode"}).status_code == 302
    queued.refresh_from_db()
    assert queued.status == Status.CANCELLED


def test_message_detail_shows_the_fallback_chain(login, coop_a, accountant_a, member_a):
    from hoptac.outbox import dispatch

    member_a.channels = "app,sms"
    member_a.save()
    membership_set(user=accountant_a, cooperative=coop_a, role="accountant", member=member_a)
    [first] = queue(coop_a, 1, member=member_a)
    assert first.channel == Channel.APP and first.fallbacks == "sms"
    Message.unscoped.filter(pk=first.pk).update(status=Status.FAILED, error="không gửi được")
    first.refresh_from_db()
    second = dispatch.fall_back(first)
    client = login(accountant_a)
    page = client.get(url("message_detail", coop_a, message_id=second.pk))
    assert [m.pk for m in page.context["chain"]] == [first.pk, second.pk]
    assert url("message_detail", coop_a, message_id=first.pk) in body(page)


# --- settings ------------------------------------------------------------------------------------


def test_messaging_settings(login, coop_a, chair_a, accountant_a, member_a):
    queue(coop_a, 1, member=member_a)
    with tenant(coop_a):
        assert outbox.quota_take(coop_a, 7)
    client = login(chair_a)
    page = client.get(url("messaging_settings", coop_a))
    assert page.status_code == 200 and page.context["usage"].used == 7
    response = client.post(
        url("messaging_settings", coop_a),
        opened(
            client,
            url("messaging_settings", coop_a),
            {
                "sms_quota_segments": "500",
                "sms_price_vnd": "750",
                "zalo_price_vnd": "250",
                "send_receipts": "on",
            },
        ),
    )
    assert response.status_code == 302
    with tenant(coop_a):
        rules = outbox.messaging_settings()
    assert (rules.sms_quota_segments, rules.sms_price_vnd, rules.zalo_price_vnd) == (500, 750, 250)
    assert rules.send_receipts and not rules.send_price_changes
    bad = client.post(url("messaging_settings", coop_a), {"sms_quota_segments": "-1", "sms_price_vnd": "abc"})
    assert bad.status_code == 422
    assert login(accountant_a).get(url("messaging_settings", coop_a)).status_code == 403


# --- the notice board ------------------------------------------------------------------------------


def test_notice_board_shows_only_the_members_own_announcements(
    login, coop_a, member_user_a, member_a, member_a2, chair_b, chair_a
):
    member_a.channels = "app,sms"
    member_a.save()
    membership_set(user=member_user_a, cooperative=coop_a, role="member", member=member_a)
    with tenant(coop_a):
        announcement = services.announcement_save(
            title="Họp tháng 3", body="Mời {ten} đi họp", audience="all"
        )
        services.announcement_send(announcement)
        later = services.announcement_save(title="Sắp tới", body="Chưa tới giờ {ten}", audience="all")
        services.announcement_send(later, scheduled_at=timezone.now() + dt.timedelta(days=1))
        outbox.queue(kind=Kind.OTHER, text="Tin khác", member=member_a)
    mine = Message.unscoped.get(member=member_a, source_id=str(announcement.pk))
    assert mine.channel == Channel.APP and mine.read_at is None

    client = login(member_user_a)
    page = client.get(url("notices", coop_a))
    text = body(page)
    assert page.status_code == 200
    assert "Mời Nguyễn Văn Đức đi họp" in text and "Họp tháng 3" in text
    assert "Vàng A Páo" not in text  # another member's notice
    assert "Chưa tới giờ" not in text  # scheduled for later
    assert "Tin khác" not in text  # not an announcement
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(url("outbox", coop_a)).status_code == 403

    assert login(chair_b).get(url("notices", coop_a)).status_code == 404
    staff = login(chair_a).get(url("notices", coop_a))
    assert staff.status_code == 200 and staff.context["member"] is None
    assert vi(
        "Your account is not linked to a member household of this cooperative, so there are no notices to show here."
    ) in body(staff)


def test_nav_links(login, coop_a, chair_a, member_user_a):
    dashboard = reverse("coops:dashboard", kwargs={"coop_slug": coop_a.slug})
    assert url("announcement_list", coop_a) in body(login(chair_a).get(dashboard))
    page = body(login(member_user_a).get(dashboard))
    assert f'href="{url("notices", coop_a)}"' in page
    assert f'href="{url("announcement_list", coop_a)}"' not in page


def test_other_members_page_is_not_shown(login, coop_a, member_user_a):
    other = make_member(coop_a, full_name="Hộ Khác", phone="0933000999")
    membership_set(user=member_user_a, cooperative=coop_a, role="member", member=other)
    page = login(member_user_a).get(url("notices", coop_a))
    assert page.status_code == 200 and page.context["notices"] == []
