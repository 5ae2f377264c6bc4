"""Who may open the alliance's pages: an officer of the province (``accounts.AllianceOfficer``)
or the platform administrator (a superuser), for every province.

``@alliance_view`` sets ``request.province_code`` (the province shown: the ``province``
parameter when the user may see it, otherwise their first) and ``request.alliance_provinces``.
Anyone else gets 404, as for a cooperative's pages: the alliance's pages do not tell an
outsider what exists. A record of another province is 404 as well (``province_or_404``).
"""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from hoptac.accounts.selectors import alliance_provinces
from hoptac.lib import places


def provinces_of(user) -> list[int] | None:
    """The provinces ``user`` may see; ``None`` for every province (the platform administrator)."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    return sorted(alliance_provinces(user))


def may_see(user, province_code: int) -> bool:
    provinces = provinces_of(user)
    return provinces is None or province_code in provinces


def province_or_404(request, province_code: int) -> None:
    if not may_see(request.user, province_code):
        raise Http404


def alliance_view(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        provinces = provinces_of(request.user)
        if provinces == []:
            raise Http404
        asked = request.GET.get("province", "")
        asked_code = int(asked) if asked.isdigit() and places.is_province(int(asked)) else None
        if provinces is None:
            request.alliance_provinces = [code for code, _name in places.province_choices()]
            request.province_code = asked_code or places.TUYEN_QUANG
        else:
            request.alliance_provinces = provinces
            request.province_code = asked_code if asked_code in provinces else provinces[0]
        request.province_name = places.province_name(request.province_code)
        request.alliance_choices = [(code, places.province_name(code)) for code in request.alliance_provinces]
        return view(request, *args, **kwargs)

    wrapper.alliance_view = True
    return wrapper
