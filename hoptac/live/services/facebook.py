"""Facebook pages of a cooperative, reading a live video's comments into claims, and the
private reply that gives a buyer their link.

``comments_pull(session=...)`` reads the comments after the stored cursor, page by page,
oldest first; each becomes ``claims.comment_add(source=facebook, external_id=<comment id>)``
in its own transaction, and the cursor is stored after each page. A comment read twice (a
pull interrupted before its cursor was stored, two pulls at once) is kept once and claims
nothing the second time: ``comment_add`` finds its external id. No database transaction is
held open while Facebook answers.

``private_reply(buyer=...)`` answers the buyer's first Facebook comment with their link
(Facebook allows one private reply per comment, within 7 days). The reply's message id is
kept in that comment's ``parsed["private_reply"]`` so that it is never tried twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.tenancy import require_cooperative
from hoptac.lib import facebook as graph
from hoptac.lib.facebook import GraphClient, GraphError

from ..models import CommentSource, FacebookPage, LiveBuyer, LiveComment, LiveSession, LiveStatus, Platform
from . import claims, links

REPLY_DAYS = 7


def graph_client(token: str) -> GraphClient:
    """The client for ``token``; ``settings.FACEBOOK_GRAPH_URL`` points it elsewhere (tests)."""
    return GraphClient(token, base_url=getattr(settings, "FACEBOOK_GRAPH_URL", "") or graph.DEFAULT_BASE_URL)


def _graph_id(value: str, field: str) -> str:
    try:
        return graph.check_id(value)
    except ValueError:
        raise ValidationError(
            {field: [_("A Facebook id is made of digits, e.g. 104372518820563.")]}
        ) from None


def facebook_page_add(
    *, page_id: str, access_token: str, actor=None, client: GraphClient | None = None
) -> FacebookPage:
    """Add a page (or renew its token): the token is checked first by reading the page
    from Facebook, whose name is kept. The same page again updates it."""
    coop = require_cooperative()
    page_id = _graph_id(page_id, "page_id")
    token = (access_token or "").strip()
    if not token or len(token) > 400 or any(ch.isspace() for ch in token):
        raise ValidationError({"access_token": [_("Paste the page access token (one long word).")]})
    client = client or graph_client(token)
    try:
        found = client.page(page_id)
    except GraphError as error:
        raise ValidationError(error.message, code=error.kind) from None
    if found["id"] != page_id:
        raise ValidationError(_("This token belongs to another page."), code="other_page")
    with transaction.atomic():
        page, created = FacebookPage.objects.update_or_create(
            cooperative=coop,
            page_id=page_id,
            defaults={"name": found["name"] or page_id, "access_token": token},
        )
        audit_record(
            action="live.facebook_page_add" if created else "live.facebook_page_token",
            actor=actor,
            cooperative=coop,
            obj=page,
        )
    return page


@transaction.atomic
def facebook_page_remove(*, page: FacebookPage, actor=None) -> bool:
    """Forget a page and its token (its lives keep their comments)."""
    deleted, _rows = FacebookPage.objects.filter(pk=page.pk).delete()
    if deleted:
        audit_record(action="live.facebook_page_remove", actor=actor, cooperative=require_cooperative())
    return bool(deleted)


@transaction.atomic
def live_facebook_set(
    *, session: LiveSession, page: FacebookPage | None, video_id: str, actor=None
) -> LiveSession:
    """Which page and live video a live's comments are read from. A new video starts from
    its first comment."""
    session = LiveSession.objects.get(pk=session.pk)
    video_id = _graph_id(video_id, "video_id") if (video_id or "").strip() else ""
    if video_id and page is None:
        raise ValidationError({"page": [_("Choose the page that broadcasts the live.")]})
    if session.platform != Platform.FACEBOOK:
        raise ValidationError(_("This live is not on Facebook."), code="platform")
    if session.video_id != video_id or session.facebook_page_id != (page.pk if page else None):
        session.comments_cursor = ""
    session.facebook_page = page
    session.video_id = video_id
    session.save(update_fields=["facebook_page", "video_id", "comments_cursor", "updated_at"])
    audit_record(action="live.facebook_set", actor=actor, cooperative=session.cooperative, obj=session)
    return session


@dataclass
class PullResult:
    pages: int = 0
    new: int = 0
    duplicates: int = 0
    skipped: int = 0  # no text (a sticker, a photo)
    claims: int = 0


def comments_pull(
    *, session: LiveSession, client: GraphClient | None = None, now: dt.datetime | None = None
) -> PullResult:
    """Read the live video's new comments into claims (see the module docstring). Raises
    ``ValidationError`` when the live cannot be read, :class:`GraphError` when Facebook
    refuses; what was read before the error is kept, with its cursor."""
    session = LiveSession.objects.select_related("facebook_page").get(pk=session.pk)
    page = session.facebook_page
    if page is None or not session.video_id:
        raise ValidationError(_("Link this live to a Facebook page and live video first."), code="not_linked")
    if session.status == LiveStatus.PLANNED:
        raise ValidationError(_("Start the live before taking comments."), code="planned")
    client = client or graph_client(page.access_token)
    result = PullResult()
    cursor = session.comments_cursor
    for batch in client.comments(session.video_id, after=cursor):
        result.pages += 1
        for comment in batch.comments:
            if not comment.message.strip():
                result.skipped += 1
                continue
            done = claims.comment_add(
                session=session,
                text=comment.message,
                author_name=comment.author_name,
                author_id=comment.author_id,
                source=CommentSource.FACEBOOK,
                external_id=comment.id,
                at=comment.created_time,
                now=now,
            )
            if done.duplicate:
                result.duplicates += 1
            else:
                result.new += 1
                result.claims += len(done.claims)
        if batch.after and batch.after != cursor:
            cursor = batch.after
            LiveSession.objects.filter(pk=session.pk).update(comments_cursor=cursor)
    return result


def _first_facebook_comment(buyer: LiveBuyer) -> LiveComment | None:
    return (
        LiveComment.objects.filter(buyer=buyer, source=CommentSource.FACEBOOK, duplicate_of__isnull=True)
        .exclude(external_id="")
        .order_by("at", "id")
        .first()
    )


def private_reply(
    *, buyer: LiveBuyer, actor=None, client: GraphClient | None = None, now: dt.datetime | None = None
) -> str:
    """Send the buyer their link in a private reply to their first Facebook comment; records
    ``link_sent_at``. Returns Facebook's message id."""
    now = now or timezone.now()
    buyer = LiveBuyer.objects.select_related("session__facebook_page", "cooperative").get(pk=buyer.pk)
    page = buyer.session.facebook_page
    if page is None:
        raise ValidationError(_("This live is not linked to a Facebook page."), code="not_linked")
    if buyer.state != LiveBuyer.State.OPEN or not links.held_claims(buyer, now=now).exists():
        raise ValidationError(_("Nothing is held for this buyer yet."), code="nothing_held")
    comment = _first_facebook_comment(buyer)
    if comment is None:
        raise ValidationError(_("This buyer has no Facebook comment to reply to."), code="no_comment")
    if (comment.parsed or {}).get("private_reply"):
        raise ValidationError(
            _("This comment was answered already: Facebook allows one private reply per comment."),
            code="replied",
        )
    if comment.at < now - dt.timedelta(days=REPLY_DAYS):
        raise ValidationError(
            _("Facebook allows private replies only within 7 days of the comment."), code="too_old"
        )
    client = client or graph_client(page.access_token)
    try:
        message_id = client.private_reply(page.page_id, comment.external_id, links.link_text(buyer, now=now))
    except GraphError as error:
        raise ValidationError(error.message, code=error.kind) from None
    with transaction.atomic():
        parsed = dict(comment.parsed or {})
        parsed["private_reply"] = message_id[:100]
        LiveComment.objects.filter(pk=comment.pk).update(parsed=parsed)
        LiveBuyer.objects.filter(pk=buyer.pk, link_sent_at__isnull=True).update(link_sent_at=now)
        audit_record(
            action="live.private_reply",
            actor=actor,
            cooperative=buyer.cooperative,
            obj=buyer,
            data={"comment": comment.pk},
        )
    return message_id
