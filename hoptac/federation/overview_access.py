"""Who may open the alliance's overview: an alliance officer (their province) or a platform
administrator (any province with a cooperative). Everyone else signed in gets 403; an
anonymous visitor is sent to sign in."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from hoptac.federation.selectors import provinces_for
from hoptac.lib import places


@dataclass(frozen=True)
class AllianceAccess:
    provinces: tuple[int, ...]
    province: int
    is_admin: bool

    @property
    def province_name(self) -> str:
        return places.province_name(self.province)

    def province_choices(self) -> list[tuple[int, str]]:
        return [(code, places.province_name(code)) for code in self.provinces]


def alliance_view(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        provinces = provinces_for(request.user)
        if not provinces:
            raise PermissionDenied
        try:
            asked = int(request.GET.get("province", ""))
        except ValueError:
            asked = None
        province = asked if asked in provinces else provinces[0]
        request.alliance = AllianceAccess(tuple(provinces), province, bool(request.user.is_superuser))
        return view(request, *args, **kwargs)

    wrapper.alliance_view = True
    return wrapper
