"""Members through the pages staff use: add, search, filter, page, leave and rejoin, with
the rules on bad input (a clear message, nothing stored, never a 500) and on roles."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from hoptac.coops import services as coop_services
from hoptac.coops.models import Member, MemberGroup, Village
from hoptac.core.models import AuditEvent
from hoptac.core.tenancy import tenant
from tests.conftest import MEO_VAC, keyed, make_member, opened

AGRIBANK = "970405"
NEW_URL = "/c/coop-a/members/new/"
LIST_URL = "/c/coop-a/members/"


def member_post(**overrides) -> dict:
    """A complete, valid form for the "add a member" page."""
    data = {
        "full_name": "Lò Thị Hoa",
        "gender": "female",
        "ethnicity": "hmong",
        "birth_year": "1988",
        "phone": "+84 912 000 555",
        "commune_code": str(MEO_VAC),
        "village_name": "pả vi thượng",
        "member_type": "official",
        "joined_on": "2023-05-01",
        "capital_vnd": "5.000.000",
        "bank_bin": AGRIBANK,
        "bank_account": "8800205123456",
        "notes": "Nuôi 20 đàn ong",
    }
    data.update(overrides)
    return keyed(data)


def members_of(coop):
    with tenant(coop):
        return list(Member.objects.order_by("full_name"))


def listed_names(response) -> list[str]:
    return [m.full_name for m in response.context["page"].object_list]


def body(response) -> str:
    return response.content.decode()


@pytest.fixture
def chair(login, chair_a):
    return login(chair_a)


@pytest.fixture
def group_a(coop_a):
    with tenant(coop_a):
        return coop_services.group_create(name="Tổ ong", kind="product")


# --- adding a member ---------------------------------------------------------------------


def test_create_member_stores_normalised_values_and_audits(chair, chair_a, coop_a, group_a):
    response = chair.post(NEW_URL, member_post(groups=[str(group_a.pk)]))
    assert response.status_code == 302
    with tenant(coop_a):
        member = Member.objects.get(full_name="Lò Thị Hoa")
        assert list(member.groups.all()) == [group_a]
    assert response.url == f"/c/coop-a/members/{member.uuid}/"
    assert member.phone == "0912000555"
    assert member.capital_vnd == 5_000_000
    assert member.joined_on == dt.date(2023, 5, 1)
    assert member.birth_year == 1988
    assert (member.gender, member.ethnicity, member.member_type) == ("female", "hmong", "official")
    assert (member.bank_bin, member.bank_account) == (AGRIBANK, "8800205123456")
    assert member.notes == "Nuôi 20 đàn ong"
    assert member.commune_code == MEO_VAC
    assert member.village.name.casefold() == "pả vi thượng"
    assert member.village.cooperative_id == coop_a.pk
    assert member.status == "active"
    event = AuditEvent.objects.get(action="member.create", object_id=str(member.pk))
    assert event.actor == chair_a
    assert event.cooperative == coop_a
    # The detail page it redirects to shows the member.
    page = chair.get(response.url)
    assert page.status_code == 200
    assert "Lò Thị Hoa" in body(page)


def test_village_is_reused_whatever_the_accents_and_case(chair, coop_a):
    assert chair.post(NEW_URL, member_post(village_name="pả vi thượng")).status_code == 302
    second = member_post(full_name="Sùng A Chứ", phone="0912000556", village_name="Pả  Vi Thượng")
    assert chair.post(NEW_URL, second).status_code == 302
    third = member_post(full_name="Giàng Thị Dua", phone="", village_name="PA VI THUONG")
    assert chair.post(NEW_URL, third).status_code == 302
    with tenant(coop_a):
        assert Village.objects.count() == 1
        village = Village.objects.get()
        assert village.members.count() == 3


def test_accountant_can_create(login, accountant_a, coop_a):
    response = login(accountant_a).post(NEW_URL, member_post())
    assert response.status_code == 302
    assert [m.full_name for m in members_of(coop_a)] == ["Lò Thị Hoa"]


# --- bad input -----------------------------------------------------------------------------


BAD_INPUTS = {
    "missing name": ({"full_name": ""}, "full_name"),
    "bad phone": ({"phone": "12345"}, "phone"),
    "future join date": ({"joined_on": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "joined_on"),
    "negative capital": ({"capital_vnd": "-5"}, "capital_vnd"),
    "capital with decimals": ({"capital_vnd": "5.000,5"}, "capital_vnd"),
    "duplicate phone of another member": ({"phone": "098 765 4321"}, "__all__"),
    "bank without account number": ({"bank_account": ""}, "__all__"),
    "account number without bank": ({"bank_bin": ""}, "__all__"),
    "unknown commune code": ({"commune_code": "999999"}, "commune_code"),
    "commune of another province": ({"commune_code": "4"}, "commune_code"),
    "birth year too recent": ({"birth_year": str(dt.date.today().year)}, "birth_year"),
    "unknown bank": ({"bank_bin": "123456"}, "bank_bin"),
    "unknown group": ({"groups": ["999999"]}, "groups"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_is_refused_with_a_message(case, chair, coop_a, member_a):
    overrides, field = BAD_INPUTS[case]
    before = Member.unscoped.count()
    villages = Village.unscoped.count()
    response = chair.post(NEW_URL, member_post(**overrides))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    # The message is on the page, in the language of the page.
    text = body(response)
    with translation.override("vi"):
        messages = [str(m) for m in form.errors[field]]
    assert messages
    for message in messages:
        assert html.escape(message) in text
    assert Member.unscoped.count() == before
    assert Village.unscoped.count() == villages


def test_duplicate_phone_names_the_number(chair, coop_a, member_a):
    response = chair.post(NEW_URL, member_post(phone="+84987654321"))
    assert response.status_code == 200
    assert "0987654321" in " ".join(response.context["form"].non_field_errors())


def test_same_phone_in_another_cooperative_is_allowed(chair, coop_a, member_b):
    response = chair.post(NEW_URL, member_post(phone=member_b.phone))
    assert response.status_code == 302
    assert [m.phone for m in members_of(coop_a)] == [member_b.phone]


def test_edit_keeps_own_phone_and_refuses_anothers(chair, coop_a, member_a, member_a2):
    url = f"/c/coop-a/members/{member_a.uuid}/edit/"
    ok = chair.post(
        url,
        opened(
            chair, url, member_post(full_name="Nguyễn Văn Đức", phone=member_a.phone, capital_vnd="7.000.000")
        ),
    )
    assert ok.status_code == 302
    refused = chair.post(
        url, opened(chair, url, member_post(full_name="Nguyễn Văn Đức", phone=member_a2.phone))
    )
    assert refused.status_code == 200
    member_a.refresh_from_db()
    assert member_a.phone == "0987654321"
    assert member_a.capital_vnd == 7_000_000


# --- search, filters, pages ------------------------------------------------------------------


@pytest.fixture
def coop_b_lookalike(coop_b):
    """A coop_b member whose name and village also match the searches below."""
    return make_member(coop_b, full_name="Nguyễn Văn Bình", phone="0987654322")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nguyen van", ["Nguyễn Văn Đức"]),
        ("Nguyễn  Văn", ["Nguyễn Văn Đức"]),
        ("vang a", ["Vàng A Páo"]),
        ("VÀNG A PÁO", ["Vàng A Páo"]),
        ("duc", ["Nguyễn Văn Đức"]),
        ("0987654321", ["Nguyễn Văn Đức"]),
        ("pa vi thuong", ["Nguyễn Văn Đức", "Vàng A Páo"]),
        ("binh", []),
        ("0987654322", []),
        ("trieu thi may", []),
    ],
)
def test_search(chair, member_a, member_a2, member_b, coop_b_lookalike, query, expected):
    response = chair.get(LIST_URL, {"q": query})
    assert response.status_code == 200
    assert listed_names(response) == expected
    text = body(response)
    for other in (member_b, coop_b_lookalike):
        assert other.full_name not in text


def test_search_never_returns_the_other_cooperative(chair, member_a, member_b, coop_b_lookalike):
    for query in ("", "nguyen", "van", "0987", "thon", "a"):
        names = listed_names(chair.get(LIST_URL, {"q": query}))
        assert "Nguyễn Văn Bình" not in names
        assert "Triệu Thị Mây" not in names


@pytest.fixture
def varied_members(coop_a, member_a, member_a2, group_a):
    """member_a (official, Pả Vi Thượng), member_a2 (in Tổ ong), an associate in another
    village and a member who left."""
    associate = make_member(
        coop_a,
        full_name="Lù Văn Sính",
        village_name="Thôn Sủng Lìa",
        member_type="associate",
        birth_year=1990,
    )
    gone = make_member(coop_a, full_name="Mua Thị Chá", gender="female", birth_year=1970, phone="0912345699")
    with tenant(coop_a):
        coop_services.group_set_members(group=group_a, member_ids=[member_a2.pk])
        coop_services.member_leave(member=gone, left_on=dt.date(2024, 6, 1), reason="Chuyển đi")
        other_village = Village.objects.get(name="Thôn Sủng Lìa")
    return {"associate": associate, "gone": gone, "village": other_village, "group": group_a}


def test_filters(chair, varied_members, member_a, member_a2):
    v = varied_members
    assert listed_names(chair.get(LIST_URL, {"status": "left"})) == ["Mua Thị Chá"]
    assert listed_names(chair.get(LIST_URL, {"status": "active"})) == [
        "Lù Văn Sính",
        "Nguyễn Văn Đức",
        "Vàng A Páo",
    ]
    assert listed_names(chair.get(LIST_URL, {"village": v["village"].pk})) == ["Lù Văn Sính"]
    assert listed_names(chair.get(LIST_URL, {"group": v["group"].pk})) == ["Vàng A Páo"]
    assert listed_names(chair.get(LIST_URL, {"member_type": "associate"})) == ["Lù Văn Sính"]
    assert listed_names(chair.get(LIST_URL, {"gender": "female", "status": "left"})) == ["Mua Thị Chá"]
    assert listed_names(chair.get(LIST_URL, {"ethnicity": "tay"})) == ["Nguyễn Văn Đức"]
    # Search and filters combine ("pa vi" is the village of all but the associate).
    combined = chair.get(LIST_URL, {"q": "pa vi", "member_type": "official", "status": "active"})
    assert listed_names(combined) == ["Nguyễn Văn Đức", "Vàng A Páo"]
    assert listed_names(chair.get(LIST_URL, {"q": "pa vi", "status": "left"})) == ["Mua Thị Chá"]
    assert listed_names(chair.get(LIST_URL, {"q": "sung lia", "status": "left"})) == []
    # The filters (the include shared with the alliance's directory): "More filters" open
    # when one of them is set, not for a search alone; "Clear" back to the whole list.
    opened = chair.get(LIST_URL, {"ethnicity": "tay"}).content.decode()
    assert '<details class="more" open>' in opened and f'<a class="clear" href="{LIST_URL}">' in opened
    searched = chair.get(LIST_URL, {"q": "pa vi"}).content.decode()
    assert '<details class="more">' in searched and 'class="clear"' in searched


def test_filter_by_another_cooperatives_village_or_group_shows_nothing(chair, coop_b, member_a, member_b):
    with tenant(coop_b):
        group_b = coop_services.group_create(name="Tổ chè", kind="product")
        coop_services.group_set_members(group=group_b, member_ids=[member_b.pk])
    for params in ({"village": member_b.village_id}, {"group": group_b.pk}):
        response = chair.get(LIST_URL, params)
        assert response.status_code == 200
        assert member_b.full_name not in listed_names(response)


def _bulk_members(coop, count: int, *, start: int = 0, village: str = "Thôn Pả Vi Thượng", group=None):
    with tenant(coop):
        for i in range(start, start + count):
            coop_services.member_create(
                data=coop_services.MemberInput(
                    full_name=f"Thành viên {i:03d}",
                    commune_code=coop.commune_code,
                    joined_on=dt.date(2021, 1, 1),
                    village_name=village,
                    phone=f"09{i:08d}",
                    group_ids=[group.pk] if group else [],
                )
            )


def test_pagination(chair, coop_a):
    _bulk_members(coop_a, 120)
    first = chair.get(LIST_URL)
    assert first.status_code == 200
    assert first.context["total"] == 120
    assert len(listed_names(first)) == 50
    assert listed_names(first)[0] == "Thành viên 000"
    third = chair.get(LIST_URL, {"page": 3})
    assert len(listed_names(third)) == 20
    assert listed_names(third)[-1] == "Thành viên 119"
    # Past the end and nonsense both land on a real page, never a 404 or 500.
    assert len(listed_names(chair.get(LIST_URL, {"page": 99}))) == 20
    assert len(listed_names(chair.get(LIST_URL, {"page": "abc"}))) == 50


def test_member_list_queries_do_not_grow_with_rows(chair, coop_a, group_a):
    _bulk_members(coop_a, 5, group=group_a)
    chair.get(LIST_URL)  # warm up: sessions, content types
    with CaptureQueriesContext(connection) as few:
        assert chair.get(LIST_URL).status_code == 200
    _bulk_members(coop_a, 55, start=5, village="Thôn Sủng Lìa", group=group_a)
    with CaptureQueriesContext(connection) as many:
        response = chair.get(LIST_URL)
    assert len(listed_names(response)) == 50
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]


# --- leaving and coming back ---------------------------------------------------------------------


def _leave_url(member) -> str:
    return f"/c/coop-a/members/{member.uuid}/leave/"


def test_leave_and_rejoin(chair, chair_a, coop_a, member_a):
    response = chair.post(_leave_url(member_a), {"left_on": "2024-06-01", "reason": "Chuyển đi Hà Nội"})
    assert response.status_code == 302
    member_a.refresh_from_db()
    assert (member_a.status, member_a.left_on, member_a.left_reason) == (
        "left",
        dt.date(2024, 6, 1),
        "Chuyển đi Hà Nội",
    )
    assert AuditEvent.objects.filter(
        action="member.leave", object_id=str(member_a.pk), actor=chair_a
    ).exists()

    again = chair.post(_leave_url(member_a), {"left_on": "2024-07-01", "reason": "Lần nữa"})
    assert again.status_code == 200
    with translation.override("vi"):
        assert html.escape(gettext("This member has already left.")) in body(again)
    member_a.refresh_from_db()
    assert member_a.left_on == dt.date(2024, 6, 1)

    rejoin = chair.post(f"/c/coop-a/members/{member_a.uuid}/rejoin/")
    assert rejoin.status_code == 302
    member_a.refresh_from_db()
    assert (member_a.status, member_a.left_on, member_a.left_reason) == ("active", None, "")
    # Re-admitting an active member is refused with a message, not an error page.
    twice = chair.post(f"/c/coop-a/members/{member_a.uuid}/rejoin/", follow=True)
    assert twice.status_code == 200
    with translation.override("vi"):
        assert html.escape(gettext("This member is already active.")) in body(twice)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"left_on": "2019-12-31", "reason": "Trước ngày vào"},
            "The date of leaving cannot be before the join date.",
        ),
        ({"left_on": "2099-01-01", "reason": "Tương lai"}, "The date of leaving cannot be in the future."),
        ({"left_on": "2024-06-01", "reason": "   "}, None),
        ({"left_on": "", "reason": "Không có ngày"}, None),
    ],
)
def test_bad_leave_is_refused(chair, member_a, data, message):
    response = chair.post(_leave_url(member_a), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    if message:
        with translation.override("vi"):
            assert html.escape(gettext(message)) in body(response)
    member_a.refresh_from_db()
    assert (member_a.status, member_a.left_on) == ("active", None)


def test_a_left_members_phone_can_be_given_to_someone_else(chair, coop_a, member_a):
    """A household that left gives its number up; it cannot rejoin while another active
    member has that number (a clear message, nothing changed)."""
    with tenant(coop_a):
        coop_services.member_leave(member=member_a, left_on=dt.date(2024, 1, 1), reason="Đi làm xa")
    response = chair.post(NEW_URL, member_post(full_name="Lò Văn Pó", phone=member_a.phone))
    assert response.status_code == 302
    rejoin = chair.post(f"/c/coop-a/members/{member_a.uuid}/rejoin/", follow=True)
    assert rejoin.status_code == 200
    member_a.refresh_from_db()
    assert member_a.status == "left"
    with translation.override("vi"):
        assert any(member_a.phone in str(m) for m in rejoin.context["messages"])


# --- roles and language ------------------------------------------------------------------------


def test_collector_reads_but_cannot_add(login, collector_a, member_a):
    client = login(collector_a)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert member_a.full_name in body(response)
    assert client.get(NEW_URL).status_code == 403
    assert client.post(NEW_URL, member_post()).status_code == 403
    assert client.post(_leave_url(member_a), {"left_on": "2024-06-01", "reason": "x"}).status_code == 403
    assert Member.unscoped.count() == 1
    # The page does not offer what the role cannot do.
    assert NEW_URL not in body(response)


def test_member_role_cannot_see_the_member_list(login, member_user_a, member_a):
    client = login(member_user_a)
    response = client.get(LIST_URL)
    assert response.status_code == 403
    assert member_a.full_name not in body(response)
    assert client.get(f"/c/coop-a/members/{member_a.uuid}/").status_code == 403
    assert client.get("/c/coop-a/members/export.xlsx").status_code == 403
    assert client.get("/c/coop-a/").status_code == 200


def test_pages_follow_the_language_cookie(chair, member_a):
    assert '<html lang="vi"' in body(chair.get(LIST_URL))
    chair.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = chair.get(LIST_URL)
    assert response.status_code == 200
    assert '<html lang="en"' in body(response)
    assert member_a.full_name in body(response)


def test_groups_created_on_the_page_are_the_cooperatives_own(chair, coop_a, coop_b):
    with tenant(coop_b):
        coop_services.group_create(name="Tổ chè", kind="product")
    # The same name in another cooperative is not a duplicate here.
    response = chair.post(
        "/c/coop-a/groups/", keyed({"name": "Tổ chè", "kind": "product", "description": ""})
    )
    assert response.status_code == 302
    with tenant(coop_a):
        assert list(MemberGroup.objects.values_list("name", flat=True)) == ["Tổ chè"]
    again = chair.post("/c/coop-a/groups/", keyed({"name": "TỔ  CHÈ", "kind": "product", "description": ""}))
    assert again.status_code == 200
    assert MemberGroup.unscoped.count() == 2
