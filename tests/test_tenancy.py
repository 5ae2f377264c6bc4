"""Tenancy fails closed: every page under ``/c/<slug>/`` is walked as people who must not
see it, the scoped manager refuses to run without a cooperative, and the alliance officer
and people with several cooperatives see what they should.

The URL walk discovers the pages from the URL configuration itself, so a page added later
is covered without touching this file, unless it takes a new kind of parameter: then the
walk fails and says which name to add to ``url_objects``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db.models import Count
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from hoptac.accounts.services import membership_set
from hoptac.coops import services as coop_services
from hoptac.coops.models import Member, MemberGroup
from hoptac.core.roles import Role
from hoptac.core.tenancy import NoTenant, current_cooperative, tenant
from hoptac.lib.phone import display_phone
from tests.conftest import keyed, make_user
from tests.headers import header_problems, inline_problems

COOP_PREFIX = "c/<slug:coop_slug>/"
MIN_COOP_URLS = 10


# --- discovering the cooperative pages ---------------------------------------------------


@dataclass(frozen=True)
class CoopRoute:
    route: str  # the full route, e.g. "c/<slug:coop_slug>/members/<uuid:member_id>/"
    name: str | None  # "coops:member_detail", or None for an unnamed pattern
    params: tuple[str, ...]  # every parameter name, coop_slug included
    pattern: URLPattern
    regex: bool  # some level of the route is a re_path

    @property
    def object_params(self) -> tuple[str, ...]:
        return tuple(p for p in self.params if p != "coop_slug")


def _param_names(pattern) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    return []


def coop_routes() -> list[CoopRoute]:
    """Every URL pattern under ``c/<slug:coop_slug>/``, walking nested includes."""
    found: list[CoopRoute] = []

    def walk(patterns, prefix: str, namespaces: tuple[str, ...], params: tuple[str, ...], regex: bool):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            names = params + tuple(_param_names(entry.pattern))
            is_regex = regex or isinstance(entry.pattern, RegexPattern)
            if isinstance(entry, URLResolver):
                spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
                walk(entry.url_patterns, route, spaces, names, is_regex)
            elif isinstance(entry, URLPattern):
                name = ":".join((*namespaces, entry.name)) if entry.name else None
                found.append(CoopRoute(route, name, names, entry, is_regex))

    walk(get_resolver().url_patterns, "", (), (), False)
    return [r for r in found if r.route.startswith(COOP_PREFIX)]


_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


def build_url(route: CoopRoute, kwargs: dict[str, object]) -> str:
    if route.name:
        return reverse(route.name, kwargs=kwargs)
    if route.regex:
        pytest.fail(f"The unnamed re_path {route.route!r} cannot be walked: give it a name.")
    return "/" + _PARAM.sub(lambda m: str(kwargs[m.group("name")]), route.route)


def coop_urls(slug: str, objects: dict[str, object]) -> list[tuple[CoopRoute, str]]:
    """(route, URL) for every cooperative page, with ``objects`` filling the parameters.

    Fails, naming the parameter, when a page takes a parameter this test does not know.
    """
    urls = []
    for route in coop_routes():
        kwargs: dict[str, object] = {"coop_slug": slug}
        for name in route.object_params:
            if name not in objects:
                pytest.fail(
                    f"The page {route.route!r} ({route.name}) takes the parameter {name!r}, which the "
                    f"tenancy walk does not know. Add {name!r} to the url_objects fixture in "
                    "tests/test_tenancy.py, mapped to an object of coop_a, so that the other "
                    "cooperative's users are proved to get nothing from this page."
                )
            kwargs[name] = objects[name]
        urls.append((route, build_url(route, kwargs)))
    assert len(urls) >= MIN_COOP_URLS, (
        f"The walk found only {len(urls)} pages under /c/<slug>/: is the URL configuration loaded?"
    )
    return urls


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def group_a(coop_a, member_a):
    with tenant(coop_a):
        group = coop_services.group_create(name="Tổ ong Pả Vi", kind="product")
        coop_services.group_set_members(group=group, member_ids=[member_a.pk])
    return group


@pytest.fixture
def staff_a(coop_a, accountant_a):
    """accountant_a's role in coop_a (a Membership row)."""
    from hoptac.accounts.models import Membership

    return Membership.objects.get(user=accountant_a, cooperative=coop_a)


@pytest.fixture
def buying_a(coop_a, member_a, accountant_a):
    """A product, price, season, collection point, agreement, receipt and payout of coop_a."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from hoptac.catalog.models import Product
    from hoptac.ledger import services as ledger
    from hoptac.offtake import services as offtake

    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        offtake.price_set(
            product=product, grade=1, price_vnd=500_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
        today = timezone.localdate()
        season = offtake.season_create(
            product=product,
            name="Mật ong A",
            starts_on=today - dt.timedelta(days=5),
            ends_on=today + dt.timedelta(days=90),
        )
        point = offtake.point_create(name="Điểm thu mua A", commune_code=coop_a.commune_code)
        agreement = offtake.agreement_create(
            member=member_a,
            season=season,
            committed_quantity=Decimal(50),
            committed_unit="l",
            price_rule="list",
            signed_on=today,
        )
        receipt = offtake.receipt_record(
            member=member_a,
            collected_at=timezone.now(),
            point=point,
            lines=[offtake.LineInput(product=product, quantity=Decimal(4), unit="l")],
        )
        payout = ledger.payout_make(member=member_a, amount=100_000, method="cash", actor=accountant_a)
        from hoptac.inventory.services import raw_lot_create

        lot = raw_lot_create(product=product, receipt_line_ids=[line.pk for line in receipt.lines.all()])
    return {
        "lot_id": lot.uuid,
        "product_id": product.pk,
        "season_id": season.pk,
        "point_id": point.pk,
        "agreement_id": agreement.uuid,
        "receipt_id": receipt.uuid,
        "entry_id": payout.payout.uuid,
        "code": payout.code,
    }


@pytest.fixture
def catalog_a(coop_a, buying_a):
    """A photo and a certificate of coop_a's product (the one of buying_a)."""
    import datetime as dt

    from django.core.files.base import ContentFile

    from hoptac.catalog.models import Certificate, ProductPhoto
    from hoptac.core.media import private_storage

    with tenant(coop_a):
        product_id = buying_a["product_id"]
        photo = ProductPhoto.objects.create(
            cooperative=coop_a, product_id=product_id, original="a.jpg", medium="a-800.jpg", small="a-320.jpg"
        )
        certificate = Certificate.objects.create(
            cooperative=coop_a,
            product_id=product_id,
            kind="gi",
            issuer="Cục SHTT",
            issued_on=dt.date(2020, 1, 1),
            # with a scan, so that its private document page is walked too
            document=private_storage().save("certificates/gi.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n")),
        )
    return {"photo_id": photo.pk, "certificate_id": certificate.pk}


@pytest.fixture
def messages_a(coop_a, member_a, settings, tmp_path):
    """A draft announcement, a template and an outbox message of coop_a."""
    from hoptac.notify.models import Announcement, AnnouncementTemplate
    from hoptac.outbox import services as outbox
    from hoptac.outbox.models import Kind

    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "FILE_DIR": str(tmp_path / "outbox")}
    with tenant(coop_a):
        announcement = Announcement.objects.create(cooperative=coop_a, title="Họp A", body="Họp {ten}")
        template = AnnouncementTemplate.objects.create(cooperative=coop_a, name="Mẫu A", body="Thu mua")
        message = outbox.queue(kind=Kind.OTHER, text="Tin A", member=member_a)
    return {"announcement_id": announcement.pk, "template_id": template.pk, "message_id": message.pk}


@pytest.fixture
def offers_a(coop_a, member_a, buying_a):
    """An offer to sell of coop_a (as texted BAN by member_a)."""
    from hoptac.notify.models import SellOffer

    with tenant(coop_a):
        offer = SellOffer.objects.create(
            cooperative=coop_a,
            member=member_a,
            product_id=buying_a["product_id"],
            quantity=20,
            unit="l",
            raw_text="BAN mat ong 20",
        )
    return {"offer_id": offer.pk}


@pytest.fixture
def run_a(coop_a, member_a2, buying_a, accountant_a):
    """A payout run of coop_a (one prepared bank transfer to member_a2, given an account)."""
    from hoptac.ledger import services as ledger

    Member.unscoped.filter(pk=member_a2.pk).update(bank_bin="970405", bank_account="7300205123456")
    with tenant(coop_a):
        banked = Member.objects.get(pk=member_a2.pk)
        ledger.adjustment_record(member=banked, payable_delta=300_000, reason="Số dư đầu kỳ")
        result = ledger.payout_run_create(items=[ledger.RunItem(member=banked)], actor=accountant_a)
    return {"number": result.run.number}


@pytest.fixture
def invitation_a(coop_a, chair_a):
    """A pending staff invitation of coop_a."""
    from hoptac.coops.services import invitation_create

    with tenant(coop_a):
        invitation, _token = invitation_create(
            phone="0977000444", full_name="Lò Văn Hạnh", role="sales", actor=chair_a
        )
    return {"invitation_id": invitation.pk}


@pytest.fixture
def shop_a(coop_a, buying_a):
    """An open shop of coop_a selling buying_a's product, and one order of it."""
    from hoptac.shop.services.orders import Buyer, Choice, order_place
    from tests.shop_fixtures import open_shop, stocked

    open_shop(coop_a)
    listing = stocked(coop_a)  # buying_a's product (code MAT), now with a finished lot
    (order,) = order_place(
        items=[(listing.pk, 1)],
        # Not a member's phone: the walk below looks for members' phones on every page.
        buyer=Buyer(name="Lê Thị Thu", phone="0355111222"),
        choices={coop_a.pk: Choice(delivery="pickup", payment="cod")},
    )
    return {"order_code": order.code}


@pytest.fixture
def money_a(coop_a):
    """A bank transaction of coop_a (in the queue: no order in its memo)."""
    from django.utils import timezone

    from hoptac.shop.services.payments import IncomingLine, transaction_receive

    with tenant(coop_a):
        tx, _created = transaction_receive(
            line=IncomingLine(
                source="sepay", provider_id="1", at=timezone.now(), amount=10_000, memo="ung ho"
            )
        )
    return {"tx_id": tx.pk, "provider": "sepay"}


@pytest.fixture
def share_a(coop_a, shop_a):
    """A share link of coop_a's listed product (the one of shop_a)."""
    from hoptac.shop.models import Listing
    from hoptac.shop.services.share import share_link_create

    with tenant(coop_a):
        listing = Listing.objects.get()
        link = share_link_create(listing=listing, place="zalo", label="Nhóm Chợ quê A")
    return {"link_code": link.code}


@pytest.fixture
def shipping_a(coop_a, shop_a):
    """A shipment of shop_a's order, a COD remittance with one line. No
    carrier account: no page of the walk calls a carrier."""
    from hoptac.shop.models import Order, Remittance, RemittanceLine, RemittanceState, Shipment

    with tenant(coop_a):
        order = Order.objects.get(code=shop_a["order_code"])
        shipment = Shipment.objects.create(
            cooperative=coop_a, order=order, carrier="ghtk", tracking_code="S1.A1.123", partner_ref=order.code
        )
        remittance = Remittance.objects.create(cooperative=coop_a, carrier="ghtk", checksum="0" * 64)
        line = RemittanceLine.objects.create(
            cooperative=coop_a, remittance=remittance, row=2, tracking_code="X1", state=RemittanceState.UNKNOWN
        )
    return {"shipment_id": shipment.pk, "remittance_id": remittance.pk, "line_id": line.pk}


@pytest.fixture
def live_staff_a(coop_a, shop_a):
    """A live sale of coop_a on air, its product M1 and a claim (a buyer who is not a member)."""
    from hoptac.live.services.claims import comment_add
    from tests.live_fixtures import on_air

    session = on_air(coop_a, items=(("M1", 20, 10, 200_000),))
    with tenant(coop_a):
        result = comment_add(session=session, text="chốt M1 x2 0355111333", author_name="Lê Thị Thu")
    return {"live_code": session.code, "item_id": result.claims[0].item_id, "claim_id": result.claims[0].pk}


@pytest.fixture
def export_a(coop_a, chair_a):
    """A written export job of coop_a's chair (core/exports.py)."""
    from hoptac.core.services import export_job_request, export_job_run

    with tenant(coop_a):
        job = export_job_request(
            kind="members",
            params={"filters": {}, "personal": True},
            perms=["member.export", "member.personal"],
            download_name="coop-a-members.xlsx",
            rows_total=2,
            actor=chair_a,
        )
    export_job_run(job_id=job.pk)
    return {"job_id": job.pk}


@pytest.fixture
def field_a(coop_a, member_a, tea_a, device_a):
    """A phone of coop_a and a receipt it sent at a price far from the one in force (flagged)."""
    from hoptac.sync import services as sync_services
    from tests.sync_fixtures import receipt_rec

    answer = sync_services.record_apply(
        device=device_a.device, record=receipt_rec(member_a, tea_a, price=30_000), via="api"
    )
    with tenant(coop_a):
        from hoptac.sync.models import SyncRecord

        record = SyncRecord.objects.get(key=answer["key"])
    return {"device_id": device_a.device.uuid, "record_id": record.pk}


@pytest.fixture
def url_objects(
    member_a,
    member_a2,
    group_a,
    staff_a,
    buying_a,
    catalog_a,
    messages_a,
    offers_a,
    run_a,
    invitation_a,
    shop_a,
    money_a,
    share_a,
    shipping_a,
    live_staff_a,
    export_a,
    field_a,
):
    """Parameter name -> value naming an object of coop_a. Add new parameters here."""
    return {
        **export_a,
        **field_a,
        **invitation_a,
        "member_id": member_a.uuid,
        **run_a,
        "group_id": group_a.pk,
        "membership_id": staff_a.pk,
        **buying_a,
        **catalog_a,
        **messages_a,
        **offers_a,
        **shop_a,
        **money_a,
        **share_a,
        **shipping_a,
        **live_staff_a,
    }


@pytest.fixture
def secrets_a(coop_a, member_a, member_a2, group_a, accountant_a):
    """Text of coop_a that must never appear in a page served to anyone outside it."""
    texts = [coop_a.name, group_a.name, accountant_a.full_name, accountant_a.phone]
    for member in (member_a, member_a2):
        texts += [member.full_name, member.phone, display_phone(member.phone)]
    return texts


def _leaks(response, secrets: list[str]) -> list[str]:
    body = response.content.decode("utf-8", errors="replace")
    return [s for s in secrets if s and s in body]


METHODS = ("get", "post")


# --- the walk ------------------------------------------------------------------------------


def test_walk_finds_the_cooperative_pages():
    routes = coop_routes()
    names = {r.name for r in routes}
    assert len(routes) >= MIN_COOP_URLS
    # A few pages that must be there, so the walk cannot pass on the wrong URL tree.
    assert {"coops:member_list", "coops:member_detail", "coops:group_detail"} <= names


def test_every_cooperative_page_is_wrapped_by_coop_view():
    unwrapped = [r.route for r in coop_routes() if not hasattr(r.pattern.callback, "coop_perm")]
    assert not unwrapped, f"Pages under /c/<slug>/ without @coop_view: {unwrapped}"


def test_walk_fails_on_a_parameter_it_does_not_know(url_objects):
    """The guard itself: a page with an unmapped parameter makes the walk fail."""
    objects = dict(url_objects)
    objects.pop("member_id")
    with pytest.raises(pytest.fail.Exception, match="member_id"):
        coop_urls("coop-a", objects)


def test_anonymous_is_sent_to_sign_in(client, url_objects):
    login_url = resolve_url(settings.LOGIN_URL)
    problems = []
    for _route, url in coop_urls("coop-a", url_objects):
        for method in METHODS:
            response = getattr(client, method)(url)
            if response.status_code == 302:
                if not response.url.startswith(login_url):
                    problems.append(f"{method.upper()} {url}: redirected to {response.url}, not sign-in")
            elif response.status_code not in (403, 404, 405):
                problems.append(f"{method.upper()} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_other_cooperatives_user_gets_nothing(login, chair_b, url_objects, secrets_a):
    client = login(chair_b)
    problems = []
    urls = coop_urls("coop-a", url_objects)
    for _route, url in urls:
        for method in METHODS:
            response = getattr(client, method)(url)
            if response.status_code not in (403, 404, 405):
                problems.append(f"{method.upper()} {url} as chair_b: {response.status_code}")
            leaked = _leaks(response, secrets_a)
            if leaked:
                problems.append(f"{method.upper()} {url} as chair_b shows {leaked}")
    assert not problems, "\n".join(problems)
    assert Member.unscoped.filter(cooperative__slug="coop-a").count() == 2


def test_own_slug_with_other_cooperatives_ids_is_404(
    login, coop_a, chair_b, member_b, staff_a, url_objects, secrets_a
):
    """chair_b may open coop_b's pages, but coop_a's members and groups are not there."""
    client = login(chair_b)
    problems = []
    with_objects = [(r, u) for r, u in coop_urls("coop-b", url_objects) if r.object_params]
    assert len(with_objects) >= 5, "expected the member and group pages to take object ids"
    for _route, url in with_objects:
        for method in METHODS:
            # A POST carries a one-time form key, as a browser sends a create form: without
            # one it would be refused (400) before anything is looked up.
            response = client.post(url, keyed()) if method == "post" else client.get(url)
            # A page answers a method it does not take with 405 before looking anything up,
            # which tells nothing about the other cooperative.
            expected = {404, 405}
            if response.status_code not in expected:
                problems.append(f"{method.upper()} {url} as chair_b: {response.status_code}, expected 404")
            leaked = _leaks(response, secrets_a)
            if leaked:
                problems.append(f"{method.upper()} {url} as chair_b shows {leaked}")
    assert not problems, "\n".join(problems)
    # Nothing of coop_a was changed through coop_b's pages (leave, rejoin, edit...).
    with tenant(coop_a):
        assert Member.objects.filter(status="active").count() == 2
    assert type(staff_a).objects.filter(pk=staff_a.pk).exists()


def test_user_without_any_role_gets_404(login, outsider, url_objects, secrets_a):
    client = login(outsider)
    problems = []
    for _route, url in coop_urls("coop-a", url_objects):
        for method in METHODS:
            response = getattr(client, method)(url)
            # 405 for a method the page does not take is answered before any lookup.
            if response.status_code not in (404, 405):
                problems.append(f"{method.upper()} {url} as outsider: {response.status_code}")
            if _leaks(response, secrets_a):
                problems.append(f"{method.upper()} {url} as outsider shows {_leaks(response, secrets_a)}")
    assert not problems, "\n".join(problems)


def test_the_walk_reaches_real_pages_for_the_owner(login, chair_a, url_objects):
    """The same URLs open for coop_a's chair, so the 404s above are about tenancy, not typos."""
    client = login(chair_a)
    problems = []
    for _route, url in coop_urls("coop-a", url_objects):
        response = client.get(url)
        if response.status_code not in (200, 405):
            problems.append(f"GET {url} as chair_a: {response.status_code}")
    assert not problems, "\n".join(problems)


def owner_pages(client, url_objects):
    """(route, URL, response) of every cooperative page that opens (200) for its chair."""
    for route, url in coop_urls("coop-a", url_objects):
        response = client.get(url)
        if response.status_code == 200:
            yield route, url, response


def test_every_page_sends_the_security_headers(login, chair_a, url_objects):
    """CSP, Permissions-Policy and ``Cache-Control: private, no-store`` on every page the
    walk opens (HTML pages, xlsx downloads, JSON exports), and no inline script or style the
    policy does not allow: a shared office PC keeps no copy of a member list or a statement.
    The print pages (statement, receipt, slips, labels) are in the walk like every other."""
    client = login(chair_a)
    problems = []
    seen = 0
    for _route, url, response in owner_pages(client, url_objects):
        seen += 1
        problems += [f"GET {url}: {p}" for p in header_problems(response)]
        problems += [f"GET {url}: {p}" for p in inline_problems(response)]
    assert seen >= 40, f"only {seen} pages opened for the chair"
    assert not problems, "\n".join(problems)


def test_refusals_are_not_stored_either(client, login, outsider, url_objects):
    """Sign-in redirects and 404s under /c/ are private too (they name the cooperative)."""
    problems = []
    for who in (client, login(outsider)):
        for _route, url in coop_urls("coop-a", url_objects)[:10]:
            response = who.get(url)
            problems += [f"GET {url} ({response.status_code}): {p}" for p in header_problems(response)]
    assert not problems, "\n".join(problems)


def test_unknown_cooperative_slug_is_404(login, chair_a, url_objects):
    client = login(chair_a)
    assert client.get("/c/no-such-coop/members/").status_code == 404


# --- the scoped manager ------------------------------------------------------------------------


def test_scoped_manager_refuses_without_a_cooperative(member_a, member_b):
    """Outside a cooperative a scoped query raises when it is evaluated, and matches no
    row even when used inside another query, so nothing leaks either way."""
    with pytest.raises(NoTenant):
        list(Member.objects.all())
    with pytest.raises(NoTenant):
        Member.objects.count()
    with pytest.raises(NoTenant):
        Member.objects.filter(full_name=member_a.full_name).exists()
    with pytest.raises(NoTenant):
        Member.objects.get(pk=member_a.pk)
    with pytest.raises(NoTenant):
        Member.objects.aggregate(n=Count("id"))
    with pytest.raises(NoTenant):
        Member.objects.update(notes="x")
    with pytest.raises(NoTenant):
        list(MemberGroup.objects.values_list("name"))
    # As a subquery it selects nothing (cooperative is never NULL).
    assert not Member.unscoped.filter(pk__in=Member.objects.values("pk")).exists()
    assert Member.unscoped.filter(notes="x").count() == 0


def test_scoped_manager_reads_the_current_cooperative_only(coop_a, coop_b, member_a, member_a2, member_b):
    with tenant(coop_a):
        assert set(Member.objects.values_list("pk", flat=True)) == {member_a.pk, member_a2.pk}
        assert Member.objects.count() == 2
        assert not Member.objects.filter(pk=member_b.pk).exists()
    with tenant(coop_b):
        assert list(Member.objects.values_list("pk", flat=True)) == [member_b.pk]
    assert set(Member.unscoped.values_list("pk", flat=True)) == {member_a.pk, member_a2.pk, member_b.pk}


def test_tenant_restores_the_previous_cooperative(coop_a, coop_b):
    assert current_cooperative() is None
    with tenant(coop_a):
        with tenant(coop_b):
            assert current_cooperative() == coop_b
        assert current_cooperative() == coop_a
        with pytest.raises(ZeroDivisionError), tenant(coop_b):
            assert current_cooperative() == coop_b
            1 / 0  # noqa: B018
        assert current_cooperative() == coop_a
    assert current_cooperative() is None
    with pytest.raises(ValueError), tenant(coop_a):
        raise ValueError("boom")
    assert current_cooperative() is None


def test_tenant_needs_a_saved_cooperative(db):
    from hoptac.coops.models import Cooperative

    with pytest.raises(NoTenant), tenant(None):
        pass  # pragma: no cover
    with pytest.raises(NoTenant), tenant(Cooperative(slug="unsaved", name="x", commune_code=769)):
        pass  # pragma: no cover


# --- the alliance officer and people with several cooperatives ----------------------------------


def test_alliance_officer_reads_every_cooperative_of_the_province(
    login, officer, coop_a, coop_b, member_a, member_b
):
    client = login(officer)
    response = client.get("/c/coop-a/members/")
    assert response.status_code == 200
    assert member_a.full_name in response.content.decode()
    response = client.get("/c/coop-b/members/")
    assert response.status_code == 200
    assert member_b.full_name in response.content.decode()


def test_alliance_officer_cannot_change_anything(login, officer, coop_a, member_a):
    client = login(officer)
    before = Member.unscoped.count()
    assert client.get("/c/coop-a/members/new/").status_code == 403
    assert (
        client.post("/c/coop-a/members/new/", {"full_name": "X", "joined_on": "2020-01-01"}).status_code
        == 403
    )
    assert client.get("/c/coop-a/members/import/").status_code == 403
    assert client.post("/c/coop-a/members/import/").status_code == 403
    assert client.get(f"/c/coop-a/members/{member_a.uuid}/edit/").status_code == 403
    response = client.post(f"/c/coop-a/members/{member_a.uuid}/edit/", {"full_name": "Changed"})
    assert response.status_code == 403
    assert Member.unscoped.count() == before
    assert Member.unscoped.get(pk=member_a.pk).full_name == member_a.full_name


def test_alliance_officer_of_another_province_gets_404(login, coop_a):
    from hoptac.accounts.services import alliance_officer_set

    user = make_user("0919000202", "Cán bộ tỉnh khác")
    alliance_officer_set(user=user, province_code=1)  # Hà Nội
    assert login(user).get("/c/coop-a/members/").status_code == 404


def test_user_of_two_cooperatives_chooses_on_home(login, coop_a, coop_b):
    user = make_user("0915000101", "Kế toán hai nơi")
    membership_set(user=user, cooperative=coop_a, role=Role.ACCOUNTANT)
    membership_set(user=user, cooperative=coop_b, role=Role.CHAIR)
    response = login(user).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert coop_a.name in body
    assert coop_b.name in body
    assert "/c/coop-a/" in body
    assert "/c/coop-b/" in body


def test_user_of_one_cooperative_goes_to_its_dashboard(login, chair_a):
    response = login(chair_a).get("/")
    assert response.status_code == 302
    assert response.url == reverse("coops:dashboard", kwargs={"coop_slug": "coop-a"})


def test_home_does_not_list_other_cooperatives(login, chair_a, coop_b):
    client = login(chair_a)
    response = client.get("/switch/")
    assert response.status_code == 200
    assert coop_b.name not in response.content.decode()


def test_member_list_of_own_cooperative_excludes_the_other(login, chair_a, member_a, member_b):
    body = login(chair_a).get("/c/coop-a/members/").content.decode()
    assert member_a.full_name in body
    assert member_b.full_name not in body


# --- members' personal data: only roles with Perm.MEMBER_PERSONAL read it -----------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s.\-\u00a0\u202f](?=\d)")


def roles_without_personal_data() -> list[str]:
    """Read from the roles table, not written here: every role that lacks the permission."""
    from hoptac.core.roles import ROLE_PERMISSIONS, Perm

    return sorted(str(role) for role, perms in ROLE_PERMISSIONS.items() if Perm.MEMBER_PERSONAL not in perms)


def test_the_officer_has_no_personal_data_permission():
    """The probe: the provincial officer exported every household's phone and bank account."""
    assert Role.ALLIANCE in roles_without_personal_data()


@pytest.fixture
def personal_a(member_a, member_a2, run_a):
    """Personal data of coop_a's members: phones, an email, a bank account, an ID number and
    an exact birth date in the notes. Returned as what to look for once the separators
    between digits are taken out (so 098 765 4321, 0987.654.321 and +84 987 654 321 all match)."""
    Member.unscoped.filter(pk=member_a.pk).update(
        email="duc.nguyen@example.vn", notes="CCCD 001080012345, sinh ngày 12/03/1980"
    )
    member_a2 = Member.unscoped.get(pk=member_a2.pk)
    assert member_a2.bank_account == "7300205123456"
    return [
        member_a.phone[1:],  # 987654321: 0987654321, 84987654321, +84 987 654 321
        member_a2.phone[1:],
        member_a2.bank_account,
        "001080012345",
        "12031980",  # 12/03/1980 with the separators taken out
        "duc.nguyen@example.vn",
    ]


def _readable_text(response) -> str:
    """Everything a person could read in a response: an HTML page, a CSV, every cell of
    every sheet of an xlsx."""
    content_type = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content_type.startswith(XLSX_TYPE) or content[:2] == b"PK":
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content))
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                cells += [str(cell.value) for cell in row if cell.value is not None]
            cells += [str(sheet.oddHeader.center.text or ""), str(sheet.oddFooter.center.text or "")]
        return "\n".join(cells)
    return content.decode("utf-8", errors="replace")


def _personal_leaks(text: str, personal: list[str]) -> list[str]:
    squeezed = _BETWEEN_DIGITS.sub("", text)
    squeezed = re.sub(r"(?<=\d)/(?=\d)", "", squeezed)
    return [secret for secret in personal if secret in squeezed]


@pytest.fixture
def user_with_role(coop_a, officer):
    def make(role: str):
        if role == Role.ALLIANCE:
            return officer  # reads coop_a as the province's officer
        user = make_user(f"091700{len(role):02d}{list(Role).index(role):02d}", f"Vai trò {role}")
        membership_set(user=user, cooperative=coop_a, role=role)
        return user

    return make


@pytest.mark.parametrize("role", roles_without_personal_data())
def test_roles_without_personal_data_see_none_on_any_page_or_download(
    login, role, user_with_role, url_objects, personal_a
):
    client = login(user_with_role(role))
    opened, problems = [], []
    import datetime as dt

    today = dt.date.today().isoformat()
    extra = [  # pages and downloads that show more with a query
        f"/c/coop-a/buying/reports/daily/?day={today}",
        f"/c/coop-a/buying/reports/daily.xlsx?day={today}",
        f"/c/coop-a/buying/reports/purchase-list.xlsx?start={today}&end={today}",
        "/c/coop-a/members/?status=active",
        "/c/coop-a/members/export.xlsx?status=left",
    ]
    for url in [u for _route, u in coop_urls("coop-a", url_objects)] + extra:
        response = client.get(url)
        if response.status_code != 200:
            continue
        opened.append(url)
        leaked = _personal_leaks(_readable_text(response), personal_a)
        if leaked:
            problems.append(f"GET {url} as {role} shows {leaked}")
    assert not problems, "\n".join(problems)
    if role == Role.ALLIANCE:
        # The walk reached the officer's pages and downloads, so the check above means something.
        assert any(url.endswith("/members/") for url in opened)
        assert any(url.endswith("export.xlsx") for url in opened)
        assert any("/members/" in url and url.count("/") > 4 for url in opened)


def test_the_same_pages_show_personal_data_to_the_chair(login, chair_a, url_objects, personal_a):
    """The scan finds the data where it is allowed, so its silence above is not blindness."""
    client = login(chair_a)
    found = set()
    for url in ("/c/coop-a/members/", "/c/coop-a/members/export.xlsx"):
        found |= set(_personal_leaks(_readable_text(client.get(url)), personal_a))
    assert found == set(personal_a)


def test_a_phone_number_finds_no_member_for_the_officer(login, officer, chair_a, member_a, token_for_api):
    """Searching by phone would tell the officer whose phone a number is."""
    for query in (member_a.phone, "098 765 4321", "84987654321", "0987"):
        body = login(officer).get("/c/coop-a/members/", {"q": query}).content.decode()
        assert member_a.full_name not in body, query
    # by name, the officer finds the member (without the phone)
    body = login(officer).get("/c/coop-a/members/", {"q": "Nguyen Van Duc"}).content.decode()
    assert member_a.full_name in body
    assert member_a.phone not in body
    # the chair still finds members by phone
    assert (
        member_a.full_name in login(chair_a).get("/c/coop-a/members/", {"q": member_a.phone}).content.decode()
    )
    # and the API answers the same way
    api = token_for_api(officer)
    found = api.get("/api/v1/c/coop-a/members", {"q": "Nguyen"}).json()["items"]
    assert [item["phone"] for item in found] == [None]
    assert api.get("/api/v1/c/coop-a/members", {"q": member_a.phone}).json()["items"] == []
    chair = token_for_api(chair_a).get("/api/v1/c/coop-a/members", {"q": member_a.phone}).json()["items"]
    assert [item["phone"] for item in chair] == [member_a.phone]


@pytest.fixture
def token_for_api(db):
    from django.test import Client

    from hoptac.api import services as api_services

    def make(user):
        secret = api_services.token_create(user=user, name="test").secret
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    return make


def test_the_officer_cannot_download_the_01_tndn_list(login, officer, accountant_a, buying_a):
    assert login(officer).get("/c/coop-a/buying/reports/purchase-list.xlsx").status_code == 403
    assert "01/TNDN" not in login(officer).get("/c/coop-a/buying/reports/").content.decode()
    assert login(accountant_a).get("/c/coop-a/buying/reports/purchase-list.xlsx").status_code == 200


def test_the_officer_gets_the_member_export_without_personal_columns(login, officer, chair_a, member_a):
    import io

    from openpyxl import load_workbook

    def headers(user):
        content = login(user).get("/c/coop-a/members/export.xlsx").content
        sheet = load_workbook(io.BytesIO(content)).active
        return [cell.value for cell in sheet[1]], [cell.value for cell in sheet[2]]

    officer_headers, officer_row = headers(officer)
    chair_headers, _row = headers(chair_a)
    assert len(officer_headers) == len(chair_headers) - 5
    assert member_a.full_name in officer_row
    assert member_a.phone not in officer_row


def test_roles_that_open_ledgers_messages_or_member_forms_may_read_personal_data():
    """Those pages are made of personal data (statements, payout slips, phones of the outbox,
    the member form): the roles table gives them only to roles that may read it."""
    from hoptac.core.roles import ROLE_PERMISSIONS, Perm

    wholesale = {Perm.LEDGER_VIEW, Perm.LEDGER_WRITE, Perm.MESSAGE_VIEW, Perm.MEMBER_EDIT, Perm.MEMBER_IMPORT}
    wrong = [
        role
        for role, perms in ROLE_PERMISSIONS.items()
        if perms & wholesale and Perm.MEMBER_PERSONAL not in perms
    ]
    assert not wrong
