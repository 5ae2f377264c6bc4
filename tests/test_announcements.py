"""Announcements: who receives them, the text each member gets, the check before sending,
sending once in one transaction, scheduling and cancelling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hoptac.catalog.models import Product
from hoptac.coops import services as coop_services
from hoptac.core.tenancy import tenant
from hoptac.notify import selectors, services
from hoptac.notify.models import Announcement, AnnouncementStatus, Audience, ChannelMode
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Receipt
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Channel, Message, Status
from tests.conftest import make_member


@pytest.fixture(autouse=True)
def _outbox_files(settings, tmp_path):
    settings.OUTBOX = {
        **settings.OUTBOX,
        "WORKER": "off",
        "SMS_BACKEND": "file",
        "FILE_DIR": str(tmp_path / "outbox"),
    }


@pytest.fixture
def honey(coop_a):
    """A product of coop_a with a grade-1 price of 500.000 đ, a season and a collection point."""
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        offtake.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
        today = timezone.localdate()
        season = offtake.season_create(
            product=product,
            name="Mật ong 2026",
            starts_on=today - dt.timedelta(days=5),
            ends_on=today + dt.timedelta(days=90),
        )
        point = offtake.point_create(name="Điểm Pả Vi", commune_code=coop_a.commune_code)
    return {"product": product, "season": season, "point": point}


def draft(coop, **fields) -> Announcement:
    data = {"title": "Thông báo", "body": "Chào {ten}", "audience": Audience.ALL}
    data.update(fields)
    with tenant(coop):
        return services.announcement_save(**data)


def audience_names(coop, announcement) -> set[str]:
    with tenant(coop):
        return set(selectors.audience_members(announcement).values_list("full_name", flat=True))


def announcement_rows(announcement):
    return Message.unscoped.filter(source_type="announcement", source_id=str(announcement.pk))


# --- audiences --------------------------------------------------------------------------------


def test_all_active_members_of_this_cooperative_only(coop_a, member_a, member_a2, member_b):
    gone = make_member(coop_a, full_name="Đã Rời Đi", phone="0933000111")
    with tenant(coop_a):
        coop_services.member_leave(member=gone, left_on=timezone.localdate(), reason="chuyển đi")
    announcement = draft(coop_a)
    assert audience_names(coop_a, announcement) == {member_a.full_name, member_a2.full_name}


def test_a_village(coop_a, member_a, member_a2, member_b):
    other = make_member(coop_a, full_name="Lò Thị Hoa", village_name="Bản Khác", phone="0933000222")
    announcement = draft(coop_a, audience=Audience.VILLAGE, village=other.village)
    assert audience_names(coop_a, announcement) == {"Lò Thị Hoa"}
    with pytest.raises(ValidationError) as info:
        draft(coop_a, audience=Audience.VILLAGE)
    assert info.value.error_list[0].code == "village"


def test_a_group(coop_a, member_a, member_a2, member_b):
    with tenant(coop_a):
        group = coop_services.group_create(name="Tổ ong", kind="product")
        coop_services.group_set_members(group=group, member_ids=[member_a2.pk])
    announcement = draft(coop_a, audience=Audience.GROUP, group=group)
    assert audience_names(coop_a, announcement) == {member_a2.full_name}


def test_a_product_sold_in_the_last_twelve_months_or_under_agreement(
    coop_a, coop_b, member_a, member_a2, member_b, honey
):
    seller = member_a
    old_seller = make_member(coop_a, full_name="Bán Năm Ngoái", phone="0933000333")
    voided_seller = make_member(coop_a, full_name="Phiếu Đã Hủy", phone="0933000444")
    with tenant(coop_a):
        offtake.receipt_record(
            member=seller,
            collected_at=timezone.now(),
            point=honey["point"],
            lines=[offtake.LineInput(product=honey["product"], quantity=Decimal(2), unit="l")],
        )
        old = offtake.receipt_record(
            member=old_seller,
            collected_at=timezone.now(),
            point=honey["point"],
            lines=[offtake.LineInput(product=honey["product"], quantity=Decimal(2), unit="l")],
        )
        Receipt.objects.filter(pk=old.pk).update(collected_at=timezone.now() - dt.timedelta(days=400))
        voided = offtake.receipt_record(
            member=voided_seller,
            collected_at=timezone.now(),
            point=honey["point"],
            lines=[offtake.LineInput(product=honey["product"], quantity=Decimal(1), unit="l")],
        )
        offtake.receipt_void(receipt=voided, reason="nhầm", notify=False)
        offtake.agreement_create(
            member=member_a2,
            season=honey["season"],
            committed_quantity=Decimal(50),
            committed_unit="l",
            price_rule="list",
            signed_on=timezone.localdate(),
        )
    announcement = draft(coop_a, audience=Audience.PRODUCT, product=honey["product"])
    assert audience_names(coop_a, announcement) == {member_a.full_name, member_a2.full_name}


def test_a_season(coop_a, member_a, member_a2, member_b, honey):
    with tenant(coop_a):
        offtake.agreement_create(
            member=member_a,
            season=honey["season"],
            committed_quantity=Decimal(10),
            committed_unit="l",
            price_rule="list",
            signed_on=timezone.localdate(),
        )
    announcement = draft(coop_a, audience=Audience.SEASON, season=honey["season"])
    assert audience_names(coop_a, announcement) == {member_a.full_name}


def test_chosen_members_and_never_another_cooperatives(coop_a, member_a, member_a2, member_b):
    announcement = draft(coop_a, audience=Audience.CHOSEN, members=[member_a2])
    assert audience_names(coop_a, announcement) == {member_a2.full_name}
    with pytest.raises(ValidationError):
        draft(coop_a, audience=Audience.CHOSEN, members=[member_a, member_b])
    with pytest.raises(ValidationError) as info:
        draft(coop_a, audience=Audience.CHOSEN, members=[])
    assert info.value.error_list[0].code == "members"
    assert Announcement.unscoped.count() == 1


# --- the text -------------------------------------------------------------------------------------


def test_placeholders_are_filled_for_each_member(coop_a, member_a, member_a2, honey):
    announcement = draft(
        coop_a,
        body="{htx} mời {ten}: thu mua {sanpham} ngày {ngay}, giá {gia}. ({name}/{price}/{Ngày})",
        product=honey["product"],
        event_date=dt.date(2026, 3, 7),
    )
    with tenant(coop_a):
        texts = {r.member.pk: text for r, text in selectors.announcement_items(announcement)}
    coop = coop_a.name
    assert texts[member_a.pk] == (
        f"{coop} mời Nguyễn Văn Đức: thu mua Mật ong bạc hà ngày 07/03/2026, giá 500.000đ/lít. "
        "(Nguyễn Văn Đức/500.000đ/lít/07/03/2026)"  # the price in the product's own unit
    )
    assert texts[member_a2.pk].startswith(f"{coop} mời Vàng A Páo:")


def test_unknown_placeholder_is_named(coop_a, member_a):
    with pytest.raises(ValidationError) as info:
        draft(coop_a, body="Chào {ten}, tiền {tien} và {xyz}")
    error = info.value.error_list[0]
    assert error.code == "placeholder"
    assert "{tien}" in error.messages[0] and "{xyz}" in error.messages[0]
    with pytest.raises(ValidationError) as info:
        draft(coop_a, body="Chào {ten")
    assert info.value.error_list[0].code == "placeholder"
    assert Announcement.unscoped.count() == 0


def test_placeholders_that_need_a_product_a_price_or_a_date(coop_a, member_a, honey):
    with pytest.raises(ValidationError) as info:
        draft(coop_a, body="Giá {gia}")
    assert info.value.error_list[0].code == "product"
    with pytest.raises(ValidationError) as info:
        draft(coop_a, body="Họp ngày {ngay}")
    assert info.value.error_list[0].code == "event_date"
    with tenant(coop_a):
        tea = Product.objects.create(cooperative=coop_a, name="Chè", code="CHE", base_unit="kg")
    with pytest.raises(ValidationError) as info:
        draft(coop_a, body="Giá {gia}", product=tea)
    assert info.value.error_list[0].code == "price"


# --- the preview -------------------------------------------------------------------------------


def test_preview_counts_channels_segments_and_cost(coop_a, member_a, member_a2):
    no_phone = make_member(coop_a, full_name="Không Số", phone=None)
    stopped = make_member(coop_a, full_name="Đã Nhắn HUY", phone="0933000555")
    stopped.messages_stopped_at = timezone.now()
    stopped.save()
    assert no_phone.phone is None
    body = "Thu mua mật ong bạc hà ngày mai tại điểm Pả Vi, mang theo sổ thành viên nhé {ten}"
    announcement = draft(coop_a, body=body)
    with tenant(coop_a):
        preview = selectors.announcement_preview(announcement)
    assert preview.recipients == 4
    assert preview.by_channel[Channel.SMS] == 2
    assert preview.stopped == 1 and preview.unreachable == 1 and preview.no_phone == 1
    # Unaccented: GSM-7, one SMS each at 800 đ.
    assert preview.example_length.encoding == "GSM-7" and preview.example_length.segments == 1
    assert preview.sms_segments == 2 and preview.cost_vnd == 1600
    assert preview.example_text.endswith("Nguyễn Văn Đức")
    assert preview.example_sms.endswith("Nguyen Van Duc") and "mat ong bac ha" in preview.example_sms
    assert preview.example_other.encoding == "UCS-2" and preview.example_other.segments == 2

    with tenant(coop_a):
        services.announcement_save(
            announcement=announcement, title="Thông báo", body=body, audience="all", unaccented=False
        )
        announcement.refresh_from_db()
        accented = selectors.announcement_preview(announcement)
    assert accented.example_length.encoding == "UCS-2" and accented.example_length.segments == 2
    assert accented.sms_segments == 4 and accented.cost_vnd == 3200
    assert not Message.unscoped.exists()  # a preview writes nothing


def test_preview_with_zalo_and_app_and_quota(coop_a, member_a, member_a2, member_user_a, settings):
    from hoptac.accounts.services import membership_set

    settings.OUTBOX = {
        **settings.OUTBOX,
        "ZALO_BACKEND": "file",
        "ZALO": {**settings.OUTBOX["ZALO"], "TEMPLATES": {"announcement": "2001"}},
    }
    member_a.channels = "zalo,sms"
    member_a.save()
    member_a2.channels = "app,sms"
    member_a2.save()
    membership_set(user=member_user_a, cooperative=coop_a, role="member", member=member_a2)
    with tenant(coop_a):
        rules = outbox.messaging_settings()
        rules.zalo_price_vnd = 300
        rules.sms_quota_segments = 1
        rules.save()
    announcement = draft(coop_a, body="Họp {ten}")
    with tenant(coop_a):
        preview = selectors.announcement_preview(announcement)
    assert preview.by_channel[Channel.ZALO] == 1 and preview.by_channel[Channel.APP] == 1
    assert preview.cost_vnd == 300 and preview.sms_segments == 0 and not preview.over_quota
    sms_for_all = draft(coop_a, body="Họp {ten}", channel_mode=ChannelMode.SMS)
    with tenant(coop_a):
        preview = selectors.announcement_preview(sms_for_all)
    assert preview.by_channel[Channel.SMS] == 2 and preview.sms_segments == 2
    assert preview.quota_left == 1 and preview.over_quota


# --- sending --------------------------------------------------------------------------------------


def test_send_writes_one_row_per_recipient_in_one_go_and_only_once(
    coop_a, coop_b, member_a, member_a2, member_b, accountant_a
):
    make_member(coop_a, full_name="Không Số", phone=None)
    announcement = draft(coop_a, body="Họp {ten}")
    with tenant(coop_a), CaptureQueriesContext(connection) as queries:
        sent = services.announcement_send(announcement, actor=accountant_a)
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT") and "outbox_message" in q["sql"]]
    assert len(inserts) == 1  # one bulk insert
    rows = announcement_rows(announcement)
    assert rows.count() == 3 == sent.recipients
    assert sorted(rows.values_list("to_name", flat=True)) == sorted(
        ["Nguyễn Văn Đức", "Vàng A Páo", "Không Số"]
    )
    assert set(rows.values_list("cooperative_id", flat=True)) == {coop_a.pk}
    assert rows.get(member=member_a).text == "Họp Nguyễn Văn Đức"
    assert rows.get(member=member_a).body == "Hop Nguyen Van Duc"
    assert rows.filter(status=Status.SKIPPED).count() == 1
    assert sent.status == AnnouncementStatus.SENT and sent.estimated_cost_vnd == 1600
    assert set(rows.values_list("created_by", flat=True)) == {accountant_a.pk}

    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.announcement_send(announcement, actor=accountant_a)
    assert info.value.error_list[0].code == "state"
    assert rows.count() == 3
    with tenant(coop_a), pytest.raises(ValidationError):
        services.announcement_save(announcement=announcement, title="x", body="y", audience="all")


def test_schedule_in_the_past_is_refused_and_writes_nothing(coop_a, member_a):
    announcement = draft(coop_a)
    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.announcement_send(announcement, scheduled_at=timezone.now() - dt.timedelta(minutes=1))
    assert info.value.error_list[0].code == "past"
    assert not announcement_rows(announcement).exists()
    announcement.refresh_from_db()
    assert announcement.status == AnnouncementStatus.DRAFT


def test_scheduled_rows_wait_and_cancel_cancels_them(coop_a, member_a, member_a2):
    from hoptac.outbox import dispatch

    when = (timezone.now() + dt.timedelta(days=1)).replace(microsecond=0)
    announcement = draft(coop_a)
    with tenant(coop_a):
        sent = services.announcement_send(announcement, scheduled_at=when)
    assert sent.status == AnnouncementStatus.SCHEDULED and sent.scheduled_at == when
    rows = announcement_rows(announcement)
    assert rows.count() == 2
    assert set(rows.values_list("next_attempt_at", flat=True)) == {when}
    assert dispatch.drain() == 0  # not due yet
    with tenant(coop_a):
        assert services.announcement_cancel(sent) == 2
    assert set(rows.values_list("status", flat=True)) == {Status.CANCELLED}
    sent.refresh_from_db()
    assert sent.status == AnnouncementStatus.CANCELLED
    with tenant(coop_a), pytest.raises(ValidationError):
        services.announcement_cancel(sent)


def test_nobody_in_the_audience_is_refused(coop_a, member_a):
    with tenant(coop_a):
        group = coop_services.group_create(name="Tổ trống", kind="manual")
    announcement = draft(coop_a, audience=Audience.GROUP, group=group)
    with tenant(coop_a), pytest.raises(ValidationError) as info:
        services.announcement_send(announcement)
    assert info.value.error_list[0].code == "empty"
    announcement.refresh_from_db()
    assert announcement.status == AnnouncementStatus.DRAFT


def test_counts_per_announcement_ignore_a_replaced_channel(coop_a, member_a, member_a2):
    announcement = draft(coop_a)
    with tenant(coop_a):
        services.announcement_send(announcement)
    first, second = announcement_rows(announcement).order_by("id")
    Message.unscoped.filter(pk=first.pk).update(status=Status.DELIVERED)
    Message.unscoped.filter(pk=second.pk).update(status=Status.FAILED)
    with tenant(coop_a):
        assert selectors.announcement_counts([announcement])[announcement.pk].failed == 1
        from hoptac.outbox import dispatch

        second.refresh_from_db()
        second.fallbacks = "sms"
        dispatch.fall_back(second)
        counts = selectors.announcement_counts([announcement])[announcement.pk]
    assert counts.failed == 0 and counts.delivered == 1 and counts.waiting == 1


def test_templates(coop_a, coop_b):
    with tenant(coop_a):
        services.template_create(name="Họp", body="Họp {ten} ngày {ngay}")
        with pytest.raises(ValidationError) as info:
            services.template_create(name="họp", body="Khác")
        assert info.value.error_list[0].code == "duplicate"
        with pytest.raises(ValidationError) as info:
            services.template_create(name="Sai", body="{tien}")
        assert info.value.error_list[0].code == "placeholder"
        assert [t.name for t in selectors.template_list()] == ["Họp"]
    with tenant(coop_b):
        assert list(selectors.template_list()) == []
        assert len(selectors.suggestions()) == 3
        for suggestion in selectors.suggestions():
            selectors.placeholders_in(suggestion.body)  # the built-in texts are valid
