"""Capturing a live's comments: the pure splitter of pasted text and comment exports
(``lib/livepaste.py``), and the capture services that read each comment into claims."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from hoptac.core.tenancy import tenant
from hoptac.lib import livepaste
from hoptac.live.models import Claim, ClaimState, CommentSource, LiveBuyer, LiveComment
from hoptac.live.services.sessions import comments_import_csv, comments_paste
from tests.live_fixtures import on_air, planned

NOW = dt.datetime(2026, 3, 13, 13, 0, tzinfo=dt.UTC)

FACEBOOK = """Fan cứng
Nguyễn Thị Lan
chốt M1 x2 0912345678
Thích · Phản hồi · 5 phút
Trần Văn Hùng
M1 1 + C2 1
sđt 0987 654 321
Thích · Phản hồi · 4 phút · 3
Lê Mai
Mật ong còn không shop?
Thích · Phản hồi · 3 phút
Phạm Hoa
lấy m1 x2
Like · Reply · 1m
"""

# Facebook on a computer: the actions one per line, the reactions' count under the comment.
FACEBOOK_DESKTOP = """Đỗ Thu Trang
c2 x1 0903123456
2
Thích
Phản hồi
2 phút
Tác giả
HTX Po Mỷ
Cảm ơn chị ạ
Thích
Phản hồi
1 phút
"""

TIKTOK = """lan.nguyen88
chốt m1 0912345678
2 giờ trước   Trả lời
12
hung_tran.92
C2 x3 0987654321
3-13 Trả lời
minh đã tham gia
hoa joined
"""

LINES = """[20:05] Lan: chốt M1 0912345678
20:06 Hùng: M1 2
Mai Anh: có ship Hà Giang không?
Chị Tư chốt M1
"""


# --- the splitter -----------------------------------------------------------------------------


def _pairs(split: livepaste.Split) -> list[tuple[str, str]]:
    return [(c.author, c.text) for c in split.comments]


def test_facebook_copy_of_a_phone():
    split = livepaste.split(FACEBOOK, now=NOW)
    assert _pairs(split) == [
        ("Nguyễn Thị Lan", "chốt M1 x2 0912345678"),
        ("Trần Văn Hùng", "M1 1 + C2 1 sđt 0987 654 321"),
        ("Lê Mai", "Mật ong còn không shop?"),
        ("Phạm Hoa", "lấy m1 x2"),
    ]
    assert split.comments[0].at == NOW - dt.timedelta(minutes=5)
    assert split.comments[-1].at == NOW - dt.timedelta(minutes=1)
    assert split.skipped == []


def test_facebook_copy_of_a_computer():
    split = livepaste.split(FACEBOOK_DESKTOP, now=NOW)
    # The count of reactions ("2") is not a quantity; the "Author" badge is dropped.
    assert _pairs(split) == [("Đỗ Thu Trang", "c2 x1 0903123456"), ("HTX Po Mỷ", "Cảm ơn chị ạ")]
    assert [c.at for c in split.comments] == [NOW - dt.timedelta(minutes=2), NOW - dt.timedelta(minutes=1)]


def test_newest_on_top_is_read_oldest_first():
    newest_first = "Hoa\nM1\nThích · Phản hồi · 1 phút\nLan\nM1\nThích · Phản hồi · 9 phút\n"
    assert [c.author for c in livepaste.split(newest_first, now=NOW).comments] == ["Lan", "Hoa"]


def test_tiktok_copy():
    split = livepaste.split(TIKTOK, now=NOW)
    assert _pairs(split) == [("lan.nguyen88", "chốt m1 0912345678"), ("hung_tran.92", "C2 x3 0987654321")]
    assert split.comments[0].at == NOW - dt.timedelta(hours=2)


def test_one_comment_per_line():
    split = livepaste.split(LINES, now=NOW, tz=dt.UTC)
    assert _pairs(split) == [
        ("Lan", "chốt M1 0912345678"),
        ("Hùng", "M1 2"),
        ("Mai Anh", "có ship Hà Giang không?"),
    ]
    assert split.comments[0].at == dt.datetime(
        2026, 3, 12, 20, 5, tzinfo=dt.UTC
    )  # 20:05 is yesterday at 13:00
    assert split.skipped == ["Chị Tư chốt M1"]  # "Name text" cannot be split: staff type it


def test_nothing_readable():
    assert livepaste.split("").comments == []
    assert livepaste.split("\n\n  \n").comments == []
    assert livepaste.split("just some words\nand more").skipped == ["just some words", "and more"]


def test_comment_export_columns_are_guessed():
    data = (
        "\ufeffid,from_name,from_id,message,created_time\n"
        'c2,Hùng,u2,"M1, 2",2026-03-13T12:04:00+0000\n'
        "c1,Lan,u1,chốt M1 0912345678,2026-03-13T12:05:33+0000\n"
        "c3,Mai,u3,,2026-03-13T12:06:00+0000\n"
    ).encode()
    split = livepaste.read_csv(data)
    assert [(c.external_id, c.author, c.author_id, c.text) for c in split.comments] == [
        ("c2", "Hùng", "u2", "M1, 2"),
        ("c1", "Lan", "u1", "chốt M1 0912345678"),
    ]
    assert split.comments[1].at == dt.datetime(2026, 3, 13, 12, 5, 33, tzinfo=dt.UTC)
    assert len(split.skipped) == 1  # the row with no comment
    vietnamese = "Tên khách;Nội dung bình luận;Thời gian\nLan;chốt M1;13/03/2026 19:05\n".encode()
    (row,) = livepaste.read_csv(vietnamese, tz=dt.UTC).comments
    assert (row.author, row.text, row.at) == (
        "Lan",
        "chốt M1",
        dt.datetime(2026, 3, 13, 19, 5, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("tên,nội dung\nLan,chốt".encode("utf-16"), "encoding"),
        ("Tên,Nội dung\nLan,chốt M1\n".encode("cp1252", errors="replace"), "encoding"),
        (b"", "empty"),
        (b"name,phone\nLan,0912345678\n", "no_text_column"),
    ],
)
def test_comment_exports_that_cannot_be_read(data, code):
    with pytest.raises(livepaste.BadFile) as bad:
        livepaste.read_csv(data)
    assert bad.value.code == code


# --- capture into claims ---------------------------------------------------------------------------


def test_paste_reads_orders_and_says_what_it_did(coop_a):
    live = on_air(coop_a, items=(("M1", 20, 10, 200_000), ("C2", 10, 5, 150_000)))
    with tenant(coop_a):
        done = comments_paste(session=live, text=FACEBOOK, now=NOW)
        assert (done.comments, done.orders, done.duplicates, done.needs_look) == (4, 3, 0, 1)
        # Lan 2×M1, Hùng M1 and C2, Hoa 2×M1 (no phone: she needs a look); Mai asked a question.
        claims = Claim.objects.filter(session=live).order_by("id")
        assert [(c.buyer.name, c.item.code, c.quantity, c.state) for c in claims] == [
            ("Nguyễn Thị Lan", "M1", 2, ClaimState.HELD),
            ("Trần Văn Hùng", "M1", 1, ClaimState.HELD),
            ("Trần Văn Hùng", "C2", 1, ClaimState.HELD),
            ("Phạm Hoa", "M1", 2, ClaimState.HELD),
        ]
        assert LiveBuyer.objects.get(name="Trần Văn Hùng").phone == "0987654321"
        assert LiveComment.objects.get(author_name="Phạm Hoa").needs_look
        assert set(LiveComment.objects.values_list("source", flat=True)) == {CommentSource.PASTE}


def test_pasting_the_same_block_twice_claims_nothing_twice(coop_a):
    live = on_air(coop_a, items=(("M1", 20, 10, 200_000), ("C2", 10, 5, 150_000)))
    with tenant(coop_a):
        comments_paste(session=live, text=FACEBOOK, now=NOW)
        before = list(Claim.objects.filter(session=live).values_list("pk", "state", "quantity"))
        # A minute later the same block is copied again, with one new comment on top.
        again = "Vũ Minh\nC2 x2 0977111222\nThích · Phản hồi · Vừa xong\n" + FACEBOOK
        done = comments_paste(session=live, text=again, now=NOW + dt.timedelta(minutes=1))
        assert (done.comments, done.orders, done.duplicates) == (5, 1, 4)
        after = list(Claim.objects.filter(session=live).order_by("id").values_list("pk", "state", "quantity"))
        assert after[: len(before)] == before
        assert len(after) == len(before) + 1


def test_one_bad_comment_does_not_stop_the_rest(coop_a):
    live = on_air(coop_a)
    with tenant(coop_a):
        done = comments_paste(session=live, text="Lan: M1 x5000 0912345678\nHùng: M1 x1 0987654321\n")
        assert done.comments == 2 and not done.refused
        # 5000 is no quantity a buyer means: never 5000 packs claimed (the parser's limit is 999).
        assert sorted(Claim.objects.filter(session=live).values_list("buyer__name", "quantity")) == [
            ("Hùng", 1),
            ("Lan", 1),
        ]


def test_comment_export_is_read_once(coop_a):
    live = on_air(coop_a)
    data = "Name;Comment;Time;ID\nLan;chốt M1 0912345678;13/03/2026 19:05;f1\nHùng;M1 2;13/03/2026 19:06;f2\n"
    with tenant(coop_a):
        first = comments_import_csv(session=live, data=data.encode("utf-8-sig"))
        assert (first.comments, first.orders, first.needs_look) == (2, 2, 1)
        second = comments_import_csv(session=live, data=data.encode())
        assert (second.comments, second.orders, second.duplicates) == (2, 0, 2)
        assert Claim.objects.filter(session=live).count() == 2
        assert set(LiveComment.objects.values_list("external_id", flat=True)) == {"f1", "f2"}


def test_capture_refuses_what_it_cannot_take(coop_a):
    live = planned(coop_a)
    with tenant(coop_a), pytest.raises(ValidationError):
        comments_paste(session=live, text="Lan: M1")  # not on air yet
    live = on_air(coop_a)
    with tenant(coop_a):
        for text in ("", "nothing here\nat all", "x" * 200_001):
            with pytest.raises(ValidationError):
                comments_paste(session=live, text=text)
        for data in (b"\xff\xfe\x00", b"a,b\n1,2\n", b"x" * 2_000_001):
            with pytest.raises(ValidationError):
                comments_import_csv(session=live, data=data)
        assert not LiveComment.objects.exists()
