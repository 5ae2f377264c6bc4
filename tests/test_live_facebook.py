"""Facebook comments into claims, against a local fake Graph API (tests/fakes/facebook.py):
cursor paging, the token in the header only, comments read twice kept once, Graph's errors
turned into clear messages, the private reply recorded by the fake, the staff screen, the
task and the ``live_pull`` command."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from hoptac.core.tenancy import tenant
from hoptac.lib.facebook import GraphClient, GraphError
from hoptac.live.models import Claim, ClaimState, FacebookPage, LiveBuyer, LiveComment, LiveSession
from hoptac.live.services import facebook as fb
from hoptac.live.tasks import pull_all
from tests.fakes.facebook import FakeGraph, graph_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(coop_a, live_a, graph_server):  # noqa: F811
    """live_a reading the fake's live video through coop_a's page."""
    with tenant(coop_a):
        page = fb.facebook_page_add(page_id=FakeGraph.page_id, access_token=FakeGraph.token)
        return fb.live_facebook_set(session=live_a, page=page, video_id=FakeGraph.video_id)


# --- the client ----------------------------------------------------------------------------------


def test_client_pages_with_cursors_and_sends_the_token_in_the_header_only(graph_server):  # noqa: F811
    for n in range(230):
        graph_server.comment(f"comment {n}")
    client = GraphClient(FakeGraph.token, base_url=graph_server.base_url)
    batches = list(client.comments(FakeGraph.video_id))
    assert [len(b.comments) for b in batches] == [100, 100, 30]
    assert [c.message for c in batches[0].comments[:2]] == ["comment 0", "comment 1"]
    assert batches[-1].has_next is False and batches[-1].after
    # Nothing new after the last cursor.
    assert list(client.comments(FakeGraph.video_id, after=batches[-1].after))[0].comments == []
    for req in graph_server.requests:
        assert req["headers"]["authorization"] == f"Bearer {FakeGraph.token}"
        assert "access_token" not in req["query"] and FakeGraph.token not in req["path"]
        assert req["query"]["filter"] == "stream" and req["query"]["order"] == "chronological"
    comment = batches[0].comments[0]
    assert comment.author_name == "Nguyễn Văn A" and comment.created_time.tzinfo is not None


@pytest.mark.parametrize(
    ("code", "kind", "permanent"),
    [
        (190, "token", True),
        (4, "rate_limit", False),
        (17, "rate_limit", False),
        (32, "rate_limit", False),
        (10, "permission", True),
        (200, "permission", True),
        (100, "invalid", True),
    ],
)
def test_graph_errors_become_clear_errors(graph_server, code, kind, permanent):  # noqa: F811
    graph_server.error = code
    client = GraphClient(FakeGraph.token, base_url=graph_server.base_url)
    with pytest.raises(GraphError) as caught, translation.override("en"):
        client.comments_page(FakeGraph.video_id)
    assert (caught.value.kind, caught.value.permanent) == (kind, permanent)
    assert caught.value.code == code
    assert "Facebook" in caught.value.message


def test_ids_that_would_change_the_address_are_refused(graph_server):  # noqa: F811
    client = GraphClient(FakeGraph.token, base_url=graph_server.base_url)
    with pytest.raises(ValueError):
        client.comments_page("123/../me")
    assert graph_server.requests == []


def test_unreachable_graph_is_a_network_error():
    client = GraphClient("t", base_url="http://127.0.0.1:9", timeout=1)
    with pytest.raises(GraphError) as caught:
        client.page("123")
    assert caught.value.kind == "network" and not caught.value.permanent


# --- pages ---------------------------------------------------------------------------------------


def test_adding_a_page_checks_its_token_and_adding_again_renews_it(coop_a, graph_server):  # noqa: F811
    with tenant(coop_a), translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            fb.facebook_page_add(page_id=FakeGraph.page_id, access_token="EAAG-wrong")
        assert "expired or revoked" in refused.value.messages[0]
        assert not FacebookPage.objects.exists()
        page = fb.facebook_page_add(page_id=FakeGraph.page_id, access_token=FakeGraph.token)
        assert page.name == FakeGraph.page_name
        fb.facebook_page_add(page_id=FakeGraph.page_id, access_token=FakeGraph.token)
        assert FacebookPage.objects.count() == 1
        with pytest.raises(ValidationError):
            fb.facebook_page_add(page_id="abc/def", access_token=FakeGraph.token)


# --- comments into claims ------------------------------------------------------------------------


def test_pull_claims_in_comment_order_and_keeps_the_cursor(coop_a, linked, graph_server):  # noqa: F811
    graph_server.comment("chốt M1 x6 0912345678", name="Lò Thị Mai", user_id="111")
    graph_server.comment("đẹp quá!", name="Vàng Seo Pao", user_id="222")
    graph_server.comment("m1 5 0987654321", name="Giàng A Lử", user_id="333")
    for n in range(120):  # more than one page
        graph_server.comment(f"xem {n}", name=f"Người xem {n}", user_id=str(9000 + n))
    with tenant(coop_a):
        result = fb.comments_pull(session=linked)
        assert (result.new, result.claims, result.pages) == (123, 2, 2)
        states = list(Claim.objects.order_by("id").values_list("state", flat=True))
        assert states == [ClaimState.HELD, ClaimState.WAITING]  # 6 of 10 held; 5 wait
        mai = LiveBuyer.objects.get(platform_id="111")
        assert mai.phone == "0912345678" and mai.name == "Lò Thị Mai"
        cursor = LiveSession.objects.get(pk=linked.pk).comments_cursor
        assert cursor
        # Nothing new: nothing read twice.
        again = fb.comments_pull(session=linked)
        assert (again.new, again.duplicates) == (0, 0)
        graph_server.comment("C2 x1 0977111222", name="Sùng Thị Dua", user_id="444")
        later = fb.comments_pull(session=linked)
        assert (later.new, later.claims) == (1, 1)
        assert LiveComment.objects.filter(source="facebook").count() == 124


def test_comments_read_twice_are_not_claimed_twice(coop_a, linked, graph_server):  # noqa: F811
    graph_server.comment("chốt M1 x2 0912345678", name="Lò Thị Mai", user_id="111")
    graph_server.comment("chốt M1 x2 0912345678", name="Lò Thị Mai", user_id="111")  # sent twice
    with tenant(coop_a):
        first = fb.comments_pull(session=linked)
        # A lost cursor (a crash before it was stored): everything comes again.
        LiveSession.objects.filter(pk=linked.pk).update(comments_cursor="")
        second = fb.comments_pull(session=linked)
        assert first.claims == 1  # the same comment twice is one claim
        assert (second.new, second.duplicates, second.claims) == (0, 2, 0)
        assert Claim.objects.count() == 1
        assert Claim.objects.get().quantity == 2


def test_an_expired_token_stops_the_pull_with_a_clear_message(coop_a, linked, graph_server):  # noqa: F811
    graph_server.comment("chốt M1 x1 0912345678")
    graph_server.token = "EAAG-renewed"  # the page's token no longer works
    with tenant(coop_a), pytest.raises(GraphError) as caught, translation.override("en"):
        fb.comments_pull(session=linked)
    assert caught.value.kind == "token"
    with translation.override("en"):
        assert "add the page again with a new token" in caught.value.message
    with tenant(coop_a):
        assert not LiveComment.objects.exists()


def test_a_planned_or_unlinked_live_is_not_read(coop_a, live_a, graph_server):  # noqa: F811
    with tenant(coop_a), pytest.raises(ValidationError) as refused:
        fb.comments_pull(session=live_a)
    assert refused.value.code == "not_linked"


# --- the private reply ---------------------------------------------------------------------------


def test_private_reply_sends_the_link_once_to_the_first_comment(coop_a, linked, graph_server, settings):  # noqa: F811
    settings.PUBLIC_URL = "https://hoptac.test"
    first = graph_server.comment("chốt M1 x2", name="Lò Thị Mai", user_id="111")
    graph_server.comment("thêm C2 x1", name="Lò Thị Mai", user_id="111")
    with tenant(coop_a):
        fb.comments_pull(session=linked)
        buyer = LiveBuyer.objects.get(platform_id="111")
        message_id = fb.private_reply(buyer=buyer)
        buyer.refresh_from_db()
        assert buyer.link_sent_at is not None
        assert message_id.startswith("m_fake")
        with pytest.raises(ValidationError) as again:
            fb.private_reply(buyer=buyer)
        assert again.value.code == "replied"
    assert len(graph_server.replies) == 1
    reply = graph_server.replies[0]
    assert reply["comment_id"] == first["id"]
    assert f"https://hoptac.test/mua/{buyer.token}/" in reply["text"]
    assert graph_server.requests[-1]["path"] == f"/v21.0/{FakeGraph.page_id}/messages"


def test_a_refused_private_reply_records_nothing(coop_a, linked, graph_server):  # noqa: F811
    graph_server.comment("chốt M1 x2", name="Lò Thị Mai", user_id="111")
    with tenant(coop_a):
        fb.comments_pull(session=linked)
        buyer = LiveBuyer.objects.get(platform_id="111")
        graph_server.error = 10
        with pytest.raises(ValidationError) as refused:
            fb.private_reply(buyer=buyer)
        assert refused.value.code == "permission"
        assert LiveBuyer.objects.get(pk=buyer.pk).link_sent_at is None


# --- the task, the command, the screen -----------------------------------------------------------


def test_task_and_command_read_lives_on_air(coop_a, linked, graph_server):  # noqa: F811
    graph_server.comment("chốt M1 x1 0912345678")
    assert pull_all() == 1
    graph_server.comment("chốt C2 x1 0987654321", name="Giàng A Lử", user_id="333")
    out = io.StringIO()
    call_command("live_pull", "--coop", "coop-a", stdout=out)
    assert f"{linked.code}: 1 new comments, 1 claims" in out.getvalue()
    graph_server.error = 190
    with pytest.raises(CommandError):
        call_command("live_pull", "--live", linked.code, stdout=io.StringIO(), stderr=io.StringIO())


def test_staff_screen_adds_a_page_links_the_video_reads_and_replies(
    settings,
    login,
    chair_a,
    coop_a,
    live_a,
    graph_server,  # noqa: F811
):
    settings.LANGUAGE_CODE = "en"
    client = login(chair_a)
    base = "/c/coop-a/live/facebook/"
    with translation.override("en"):
        refused = client.post(base + "pages/add/", {"page_id": FakeGraph.page_id, "access_token": "EAAG-bad"})
        assert refused.status_code == 422 and b"expired or revoked" in refused.content
        added = client.post(
            base + "pages/add/", {"page_id": FakeGraph.page_id, "access_token": FakeGraph.token}
        )
        assert added.status_code == 302
        with tenant(coop_a):
            page = FacebookPage.objects.get()
        prefix = f"l{live_a.pk}"
        linked = client.post(
            base + "lives/video/",
            {"live": live_a.code, f"{prefix}-page": page.pk, f"{prefix}-video_id": FakeGraph.video_id},
        )
        assert linked.status_code == 302
        screen = client.get(base).content.decode()
        assert f'name="live" value="{live_a.code}"' in screen and f'name="{prefix}-video_id"' in screen
        graph_server.comment("chốt M1 x2", name="Lò Thị Mai", user_id="111")
        pulled = client.post(base + "lives/pull/", {"live": live_a.code}, follow=True)
        assert b"1 new comments read, 1 claims" in pulled.content
        assert b"Private reply" in pulled.content
        with tenant(coop_a):
            buyer = LiveBuyer.objects.get(platform_id="111")
        replied = client.post(base + "buyers/link/", {"buyer": buyer.pk, "by": "reply"}, follow=True)
        assert b"Link sent to" in replied.content
        assert len(graph_server.replies) == 1
        graph_server.token = "EAAG-renewed"
        failed = client.post(base + "lives/pull/", {"live": live_a.code}, follow=True)
        assert b"add the page again with a new token" in failed.content
    assert b"EAAG" not in client.get(base).content  # the token is never shown


def test_another_cooperative_cannot_read_or_reply_for_this_live(login, chair_b, coop_b, linked, graph_server):  # noqa: F811
    client = login(chair_b)
    graph_server.comment("chốt M1 x2", name="Lò Thị Mai", user_id="111")
    response = client.post("/c/coop-b/live/facebook/lives/pull/", {"live": linked.code}, follow=True)
    assert response.status_code == 200
    assert [r for r in graph_server.requests if r["path"].endswith("/comments")] == []
    assert client.post("/c/coop-a/live/facebook/lives/pull/", {"live": linked.code}).status_code == 404
