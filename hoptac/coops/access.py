"""Who may open a cooperative's pages, with which role: the one gate for ``/c/<slug>/``.

``@coop_view(Perm.X)`` resolves the cooperative from the URL, finds the user's role in it,
refuses anyone without ``Perm.X`` and runs the view with the cooperative as the current
tenant. Someone with no role in the cooperative gets 404, so that the existence of a
cooperative's private pages is not disclosed; someone with a role but without the
permission gets 403; an anonymous visitor is sent to sign in.

Members' personal data across cooperatives: the read-only ``alliance`` role has no
``member.personal``. A platform administrator gets it everywhere, and an alliance officer in
a cooperative that shares its members' details (``Cooperative.shares_personal_data``). The
first time a page, export or API call of such a request asks for it (``access.can`` or
``"member.personal" in access.perms``), one audit event ``personal.read`` is written with
the path and the reason (``admin`` or ``shared``): every cross-cooperative read of personal
data is on record.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404

from hoptac.accounts.models import Membership
from hoptac.accounts.selectors import alliance_provinces, membership_for
from hoptac.coops.models import Cooperative
from hoptac.core.audit import audit_record
from hoptac.core.roles import Perm, Role, has_perm, perms_for
from hoptac.core.tenancy import tenant


class _AuditedPerms(frozenset):
    """A role's permissions that record, once, the first time personal data is asked for."""

    def __new__(cls, perms, on_personal):
        obj = super().__new__(cls, perms)
        obj._on_personal = on_personal
        return obj

    def __contains__(self, item) -> bool:
        found = frozenset.__contains__(self, item)
        if found and item == Perm.MEMBER_PERSONAL and self._on_personal is not None:
            callback, self._on_personal = self._on_personal, None
            callback()
        return found


def access_for(request, cooperative: Cooperative, role: str) -> Access:
    """The access of ``request.user`` (or an API caller, ``request.auth``) with ``role`` in
    ``cooperative``: the role's permissions, plus ``member.personal`` across cooperatives
    for a platform administrator or where the cooperative shares it, audited when used."""
    perms = perms_for(role)
    user = getattr(request, "auth", None) or request.user
    if role != Role.ALLIANCE:
        return Access(cooperative=cooperative, role=role, perms=perms)
    reason = "admin" if user.is_superuser else "shared" if cooperative.shares_personal_data else ""
    if not reason:
        return Access(cooperative=cooperative, role=role, perms=perms)

    def record() -> None:
        audit_record(
            action="personal.read",
            actor=user,
            cooperative=cooperative,
            data={"path": request.get_full_path()[:300], "method": request.method, "reason": reason},
        )

    return Access(cooperative=cooperative, role=role, perms=_AuditedPerms(perms | {Perm.MEMBER_PERSONAL}, record))


@dataclass(frozen=True)
class Access:
    cooperative: Cooperative
    role: str
    perms: frozenset

    def can(self, perm: Perm | str) -> bool:
        return perm in self.perms

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


def cooperative_for(slug: str, user) -> Cooperative | None:
    """The active cooperative ``slug`` read with ``user``'s membership role in it, in one
    query (the gate of every page: a receipt POST counts its queries); :func:`role_in`
    uses that role instead of reading the membership again."""
    found = Cooperative.objects.filter(slug=slug, is_active=True)
    if user.is_authenticated:
        found = found.annotate(
            gate_role=Subquery(
                Membership.objects.filter(user=user, cooperative=OuterRef("pk")).values("role")[:1]
            )
        )
    cooperative = found.first()
    if cooperative is not None and user.is_authenticated:
        cooperative.gate_role_of = user.pk
    return cooperative


def role_in(user, cooperative: Cooperative) -> str | None:
    """The role ``user`` holds in ``cooperative``; alliance officers and platform admins read."""
    if not user.is_authenticated or not user.is_active:
        return None
    if getattr(cooperative, "gate_role_of", None) == user.pk:
        role = cooperative.gate_role  # read with the cooperative (cooperative_for)
    else:
        membership = membership_for(user=user, cooperative_id=cooperative.pk)
        role = membership.role if membership is not None else None
    if role is not None:
        return role
    if user.is_superuser or cooperative.province_code in alliance_provinces(user):
        return Role.ALLIANCE
    return None


def coop_view(perm: Perm):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, coop_slug: str, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            cooperative = cooperative_for(coop_slug, request.user)
            if cooperative is None:
                raise Http404
            role = role_in(request.user, cooperative)
            if role is None:
                raise Http404
            if not has_perm(role, perm):
                raise PermissionDenied
            request.access = access_for(request, cooperative, role)
            request.cooperative = cooperative
            with tenant(cooperative):
                response = view(request, *args, **kwargs)
                # Render lazily built responses while the tenant is still set.
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
                return response

        wrapper.coop_perm = perm
        return wrapper

    return decorator
