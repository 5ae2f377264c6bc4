"""core.messages: the one-off notices travel in a cookie signed for the person they were
written for. On the cooperative's shared PC, the next person to sign in never reads them."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.http import HttpResponse
from django.test import RequestFactory

from hoptac.core.messages import OwnCookieStorage, OwnFallbackStorage
from tests.conftest import make_user


def _request(user, cookie: str | None = None):
    request = RequestFactory().get("/")
    request.user = user
    if cookie is not None:
        request.COOKIES[OwnCookieStorage.cookie_name] = cookie
    return request


def _written_for(user, text: str) -> str:
    request = _request(user)
    storage = OwnCookieStorage(request)
    storage.add(constants.SUCCESS, text)
    response = HttpResponse()
    storage.update(response)
    return response.cookies[OwnCookieStorage.cookie_name].value


def test_a_notice_is_read_by_its_owner_only_and_cleared_for_anyone_else(db):
    chair = make_user("0911222001", "Chủ tịch")
    accountant = make_user("0911222002", "Kế toán")
    cookie = _written_for(chair, "Câu trả lời cho Nguyễn Văn Đức đang chờ gửi bằng SMS.")

    own = OwnCookieStorage(_request(chair, cookie))
    assert [str(m) for m in own] == ["Câu trả lời cho Nguyễn Văn Đức đang chờ gửi bằng SMS."]

    for other in (accountant, AnonymousUser()):
        storage = OwnCookieStorage(_request(other, cookie))
        assert list(storage) == []
        response = HttpResponse()
        storage.update(response)
        # The cookie is deleted (expired), not carried on to the next person.
        morsel = response.cookies[OwnCookieStorage.cookie_name]
        assert morsel.value == "" and morsel["max-age"] == 0


def test_a_visitor_s_notice_reaches_the_visitor_and_the_fallback_keeps_the_owner(db):
    cookie = _written_for(AnonymousUser(), "Đã gửi yêu cầu tham gia.")
    assert [str(m) for m in OwnCookieStorage(_request(AnonymousUser(), cookie))] == ["Đã gửi yêu cầu tham gia."]
    # The storage the settings name puts the cookie first, the session after it.
    assert OwnFallbackStorage.storage_classes[0] is OwnCookieStorage
