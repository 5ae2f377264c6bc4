"""The one gate of every cooperative route of the API: ``@coop_route(Perm.X)``.

Like ``hoptac.coops.access.coop_view`` for pages, it resolves the (active) cooperative
from the ``slug`` of the path, finds the caller's role there with ``role_in`` and refuses:
no role → 404 (a cooperative's existence is not disclosed), a role without the permission
→ 403. Anonymous callers never reach it: authentication answers 401 first. The handler then
runs with the cooperative as the current tenant and in the caller's language.

Each route is recorded in :data:`ROUTES` under its operation id, so a test can prove every
route of the OpenAPI schema is gated.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from hoptac.accounts.selectors import membership_for
from hoptac.coops.access import Access, access_for, cooperative_for, role_in
from hoptac.coops.models import Member
from hoptac.core.roles import Perm, has_perm
from hoptac.core.tenancy import tenant

_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")  # Cooperative.slug, as the URL converter <slug:>


def _accepted_languages(header: str) -> list[str]:
    """Primary language codes of an Accept-Language header, most wanted first."""
    ranked = []
    for position, part in enumerate(header.split(",")[:20]):
        code, _sep, params = part.strip().partition(";")
        code = code.strip().lower().split("-")[0]
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if code and quality > 0:
            ranked.append((-quality, position, code))
    return [code for _q, _p, code in sorted(ranked)]


def api_language(request) -> str:
    """The language of the API's messages: the language cookie of the app's switch, else
    ``Accept-Language`` (a script asks for ``en``), else Vietnamese."""
    supported = {code for code, _name in settings.LANGUAGES}
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in supported:
        return chosen
    for code in _accepted_languages(request.headers.get("Accept-Language", "")):
        if code in supported:
            return code
    return settings.LANGUAGE_CODE


@dataclass(frozen=True)
class RouteRule:
    perm: Perm
    # A member's own account (role "member", linked to a household) may also use the route
    # for its own household: the route takes ``member_id``; any other member is 404.
    own_member: bool = False


ROUTES: dict[str, RouteRule] = {}


def coop_access(request, slug: str, rule: RouteRule) -> Access:
    """Authorise ``request.auth`` (the authenticated user) in the cooperative ``slug``:
    404 without a role there, 403 without the permission (or, for an own-member route,
    without ``ledger.own``). Which household a member's own account may read is checked
    by :func:`coop_route` inside the tenant."""
    user = request.auth
    cooperative = None
    if isinstance(slug, str) and _SLUG.match(slug):
        cooperative = cooperative_for(slug, user)
    if cooperative is None:
        raise Http404
    role = role_in(user, cooperative)
    if role is None:
        raise Http404
    access = access_for(request, cooperative, role)
    if not has_perm(role, rule.perm) and not (rule.own_member and has_perm(role, Perm.OWN_STATEMENT)):
        raise PermissionDenied
    return access


def linked_member(request, cooperative) -> Member | None:
    """The household linked to the caller's account in the current cooperative, if any."""
    membership = membership_for(user=request.auth, cooperative_id=cooperative.pk)
    if membership is None or membership.member_id is None:
        return None
    # Through the scoped manager: a link to another cooperative's member finds nothing.
    return Member.objects.select_related("village").filter(pk=membership.member_id).first()


def coop_route(perm: Perm, *, own_member: bool = False):
    """Gate an API handler whose path starts with ``/c/{slug}/`` (see the module doc)."""
    rule = RouteRule(perm=perm, own_member=own_member)

    def decorator(view):
        if view.__name__ in ROUTES:
            raise RuntimeError(f"Two API routes are named {view.__name__!r}: operation ids must be unique.")
        ROUTES[view.__name__] = rule

        @functools.wraps(view)
        def wrapper(request, slug: str, **kwargs):
            with translation.override(api_language(request)):
                access = coop_access(request, slug, rule)
                request.access = access
                request.cooperative = access.cooperative
                request.user = request.auth
                with tenant(access.cooperative):
                    request.own_member = None
                    if not access.can(perm):
                        # Allowed only as a member's own account, for its own household.
                        own = linked_member(request, access.cooperative)
                        if own is None or own.uuid != kwargs.get("member_id"):
                            raise Http404
                        request.own_member = own
                    return view(request, slug=slug, **kwargs)

        wrapper.coop_rule = rule
        return wrapper

    return decorator
