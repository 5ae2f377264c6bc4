"""The JSON API (django-ninja) under /api/v1/: every route gated like the web pages, token
and session authentication, idempotent receipts, bad input refused whole, the one balance,
and an OpenAPI schema that lists every route and describes the answers.

The route walk reads the routes from the OpenAPI schema itself, so a route added later is
covered without touching this file, unless it takes a new path parameter or is a new POST:
then the walk fails and says what to add to ``path_objects`` or ``POST_BODIES``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from hoptac.accounts.services import membership_set
from hoptac.api import services as api_services
from hoptac.api.access import ROUTES, api_language
from hoptac.api.api import api
from hoptac.api.common import PAGE_SIZE
from hoptac.api.models import ApiToken, IdempotencyRecord
from hoptac.api.schemas import ReceiptIn
from hoptac.api.shop import PUBLIC_ROUTES as SHOP_PUBLIC_ROUTES
from hoptac.api.sync import DEVICE_ROUTES
from hoptac.api.tokens import PUBLIC_ROUTES as TOKEN_PUBLIC_ROUTES
from hoptac.catalog.models import Product
from hoptac.coops import services as coop_services
from hoptac.core.roles import Perm, Role, has_perm
from hoptac.core.tenancy import tenant
from hoptac.inventory import services as inventory
from hoptac.ledger import selectors as ledger_selectors
from hoptac.ledger import services as ledger
from hoptac.ledger.models import Entry
from hoptac.notify.models import SellOffer
from hoptac.offtake import services as offtake
from hoptac.offtake.models import Price, Receipt, ReceiptLine
from hoptac.outbox import services as outbox
from hoptac.outbox.models import Kind
from tests.conftest import make_user
from tests.headers import header_problems
from tests.shop_fixtures import BUYER, hanoi_commune, open_shop, stocked

PREFIX = "/api/v1"
# Routes open without authentication: asking for a token, the catalogue and placing an order.
PUBLIC_ROUTES = {**TOKEN_PUBLIC_ROUTES, **SHOP_PUBLIC_ROUTES}
# Routes of the field app's phones, authenticated by a device token (api/sync.py's
# @device_route) instead of a user's role: walked by tests/test_sync_api.py.
COOP_PATH = f"{PREFIX}/c/{{slug}}/"
MIN_OPERATIONS = 10
HONEY_PRICE = 500_000


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def honey_a(coop_a):
    """coop_a's honey (sold by the litre) with a price in force and a collection point."""
    with tenant(coop_a):
        product = Product.objects.create(cooperative=coop_a, name="Mật ong bạc hà", code="MAT", base_unit="l")
        offtake.price_set(
            product=product,
            grade=1,
            price_vnd=HONEY_PRICE,
            effective_from=timezone.now() - dt.timedelta(days=30),
        )
        point = offtake.point_create(name="Điểm Pả Vi", commune_code=coop_a.commune_code)
    return {"product": product, "point": point}


@pytest.fixture
def receipt_a(coop_a, member_a, honey_a, collector_a):
    with tenant(coop_a):
        return offtake.receipt_record(
            member=member_a,
            collected_at=timezone.now() - dt.timedelta(hours=1),
            point=honey_a["point"],
            collector=collector_a,
            lines=[offtake.LineInput(product=honey_a["product"], quantity=Decimal(4), unit="l")],
            actor=collector_a,
        )


@pytest.fixture
def sales_a(coop_a):
    user = make_user("0911000105", "Bán hàng A")
    membership_set(user=user, cooperative=coop_a, role=Role.SALES)
    return user


@pytest.fixture
def own_member_user_a(member_user_a, coop_a, member_a):
    """member_user_a's account linked to the household member_a."""
    membership_set(user=member_user_a, cooperative=coop_a, role=Role.MEMBER, member=member_a)
    return member_user_a


@pytest.fixture
def token_for(db):
    """``token_for(user)`` -> a Client sending ``Authorization: Bearer <a new token of user>``."""

    def _make(user) -> Client:
        secret = api_services.token_create(user=user, name="test").secret
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    return _make


@pytest.fixture
def lot_a(coop_a, member_a, receipt_a, honey_a):
    """A raw lot of coop_a (4 l of honey in stock) made from a receipt of its own, so that
    receipt_a stays out of lots and can be voided (a receipt in a lot cannot be)."""
    with tenant(coop_a):
        bought = offtake.receipt_record(
            member=member_a,
            collected_at=timezone.now() - dt.timedelta(hours=2),
            lines=[offtake.LineInput(product=honey_a["product"], quantity=Decimal(4), unit="l")],
        )
        return inventory.raw_lot_create(
            product=honey_a["product"], receipt_line_ids=[line.pk for line in bought.lines.all()]
        )


@pytest.fixture
def outbox_off(settings, tmp_path):
    """No worker woken after commit; the file SMS backend writes under tmp_path."""
    settings.OUTBOX = {**settings.OUTBOX, "WORKER": "off", "FILE_DIR": str(tmp_path)}


@pytest.fixture
def message_a(coop_a, member_a, outbox_off):
    """An SMS of coop_a to member_a, queued."""
    with tenant(coop_a), transaction.atomic():
        return outbox.queue(kind=Kind.OTHER, text="Mai 7 giờ cân mật ong ở điểm Pả Vi.", member=member_a)


@pytest.fixture
def offer_a(coop_a, member_a, honey_a):
    """member_a's open offer to sell 20 l of honey (as a BAN text makes it)."""
    with tenant(coop_a):
        return SellOffer.objects.create(
            cooperative=coop_a,
            member=member_a,
            product=honey_a["product"],
            product_text="mat ong",
            quantity=Decimal(20),
            unit="l",
            raw_text="BAN mat ong 20",
        )


@pytest.fixture
def order_a(coop_a, honey_a):
    """An order of coop_a's shop (bank transfer, by post to Hà Nội)."""
    from hoptac.shop.services.orders import Buyer, Choice, order_place

    open_shop(coop_a)
    listing = stocked(coop_a, code=honey_a["product"].code)
    return order_place(
        items=[(listing.pk, 1)],
        buyer=Buyer(**{**BUYER, "commune_code": hanoi_commune()}),
        choices={coop_a.pk: Choice(delivery="post", payment="bank")},
    )[0]


@pytest.fixture
def live_objects(coop_a, order_a):
    """A planned live of coop_a (the walk starts it, then ends it) and a held claim in
    another live of coop_a, on air (the walk releases it)."""
    from hoptac.live.services.claims import comment_add
    from tests.live_fixtures import on_air, planned

    later = planned(coop_a, items=(("M1", 5, 2, 200_000),), title="Live tuần sau")
    now = on_air(coop_a, items=(("C1", 5, 2, 150_000),), title="Live tối nay")
    with tenant(coop_a):
        made = comment_add(session=now, author_name="Lò Thị Mai", text="chốt C1 x1 0912345678")
    return {"live_code": later.code, "claim_id": made.claims[0].pk}


@pytest.fixture
def path_objects(member_a, receipt_a, lot_a, message_a, offer_a, order_a, live_objects, device_a):
    """Path parameter -> value naming an object of coop_a. Add new parameters here."""
    return {
        "device_id": device_a.device.uuid,
        "member_id": member_a.uuid,
        "receipt_id": receipt_a.uuid,
        "lot_id": lot_a.uuid,
        "message_id": message_a.uuid,
        "offer_id": offer_a.pk,
        "order_code": order_a.code,
        **live_objects,
    }


def receipt_body(member, product, **overrides) -> dict:
    line = {"product_id": product.pk, "grade": 1, "quantity": "2.5", "unit": "l"}
    line.update(overrides.pop("line", {}))
    body = {
        "client_key": str(uuid.uuid4()),
        "member_id": str(member.uuid),
        "collected_at": timezone.localtime().replace(microsecond=0).isoformat(),
        "lines": [line],
    }
    body.update(overrides)
    return body


# A valid body for every POST route, from coop_a's objects: ninja checks the shape of a
# body before the handler runs, so the walk sends valid ones to reach the gate.
POST_BODIES = {
    "price_create": lambda o: {
        "client_key": str(uuid.uuid4()),
        "product_id": o["product"].pk,
        "grade": 2,
        "price_vnd": 420_000,
    },
    "receipt_create": lambda o: receipt_body(o["member"], o["product"]),
    "receipt_void": lambda o: {"reason": "Cân sai"},
    "device_register": lambda o: {"name": "Điện thoại của Páo"},
    "device_revoke": lambda o: {"reason": "Mất máy"},
    "lot_movement_create": lambda o: {
        "client_key": str(uuid.uuid4()),
        "kind": "sale",
        "quantity": "1",
        "reference": "HĐ-001",
    },
    "message_create": lambda o: {
        "client_key": str(uuid.uuid4()),
        "member_id": str(o["member"].uuid),
        "text": "Mai 7 giờ cân mật ong ở điểm Pả Vi.",
    },
    "offer_answer": lambda o: {"text": "HTX mua 20 lít, mang đến điểm Pả Vi sáng mai."},
    "order_status": lambda o: {"to": "confirmed"},
    "order_invoice": lambda o: {"number": "00001234", "provider": "VNPT"},
    "live_create": lambda o: {
        "client_key": str(uuid.uuid4()),
        "title": "Live mật ong tối thứ Sáu",
        "platform": "facebook",
        "starts_at": (timezone.localtime() + dt.timedelta(days=2)).replace(microsecond=0).isoformat(),
        "items": [{"listing": o["listing"], "code": "M1", "quantity": 1}],
    },
    "live_start": lambda o: {},
    "live_end": lambda o: {},
    "live_comments_add": lambda o: {"comments": [{"text": "chốt M1 x1 0987654321", "author_name": "Vàng Seo Pao"}]},
    "live_claim_release": lambda o: {"note": "Khách báo hủy"},
}


@pytest.fixture
def body_objects(coop_a, member_a, honey_a, order_a):
    with tenant(coop_a):
        listing = order_a.lines.get().listing_id  # coop_a's honey, in stock
    return {"member": member_a, "product": honey_a["product"], "listing": listing}


# --- the route walk ------------------------------------------------------------------------------


def openapi_schema() -> dict:
    response = Client().get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def schema_operations(schema: dict | None = None, *, public: bool = False) -> list[tuple[str, str, dict]]:
    """(METHOD, path template, operation) of every operation of the OpenAPI schema; the
    few open ones (``PUBLIC_ROUTES``: asking for a token) only with ``public=True``."""
    schema = schema or openapi_schema()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            operation_id = operation.get("operationId")
            wanted = public or (operation_id not in PUBLIC_ROUTES and operation_id not in DEVICE_ROUTES)
            if method in {"get", "post", "put", "patch", "delete"} and wanted:
                found.append((method.upper(), path, operation))
    assert len(found) >= MIN_OPERATIONS, f"Only {len(found)} operations in the schema: is the API mounted?"
    return found


def build_url(path: str, operation: dict, slug: str, objects: dict) -> str:
    url = path
    for param in operation.get("parameters", []):
        if param["in"] != "path":
            continue
        name = param["name"]
        if name == "slug":
            value = slug
        elif name in objects:
            value = objects[name]
        else:
            pytest.fail(
                f"The API route {path!r} ({operation['operationId']}) takes the path parameter "
                f"{name!r}, which the walk does not know. Add {name!r} to the path_objects fixture "
                "in tests/test_api.py, mapped to an object of coop_a, so that the route is proved "
                "to refuse other cooperatives and roles without its permission."
            )
        url = url.replace("{" + name + "}", str(value))
    assert "{" not in url, f"{path}: a path parameter is missing from the schema's parameters"
    return url


def post_body(method: str, operation: dict, objects: dict) -> dict | None:
    if method == "GET":
        return None
    maker = POST_BODIES.get(operation["operationId"])
    if maker is None:
        pytest.fail(
            f"The API operation {method} {operation['operationId']} has no example body in "
            "POST_BODIES of tests/test_api.py: add a valid one so the walk can reach its gate."
        )
    return maker(objects)


def send(client: Client, method: str, url: str, body: dict | None = None, **extra):
    if method == "GET":
        return client.get(url, **extra)
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json", **extra)


def walk(slug: str, objects: dict, bodies: dict):
    for method, path, operation in schema_operations():
        url = build_url(path, operation, slug, objects)
        yield method, path, operation, url, post_body(method, operation, bodies)


def lacking_role(rule) -> str | None:
    """A role of the cooperative without the route's permission (nor, for an own-member
    route, a member's own access)."""
    for role in (Role.MEMBER, Role.SALES, Role.COLLECTOR, Role.ACCOUNTANT):
        if has_perm(role, rule.perm):
            continue
        if rule.own_member and has_perm(role, Perm.OWN_STATEMENT):
            continue
        return role
    return None


def test_every_route_is_under_the_cooperative_and_gated():
    operations = schema_operations()
    problems = []
    for method, path, operation in operations:
        if not path.startswith(COOP_PATH):
            problems.append(f"{method} {path}: not under {COOP_PATH}")
        if operation["operationId"] not in ROUTES:
            problems.append(f"{method} {path}: {operation['operationId']} is not wrapped by @coop_route")
        if not operation.get("security"):
            problems.append(f"{method} {path}: no authentication in the schema")
    # The handlers themselves, as ninja runs them, carry the gate's rule.
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            for operation in path_view.operations:
                if operation.view_func.__name__ in PUBLIC_ROUTES:
                    continue
                if operation.view_func.__name__ in DEVICE_ROUTES:
                    if not getattr(operation.view_func, "device_rule", False):
                        problems.append(f"{operation.methods} {path}: device route without @device_route")
                    if not path.startswith("/c/{slug}/sync/"):
                        problems.append(f"{operation.methods} {path}: device route outside /c/{{slug}}/sync/")
                    continue
                if not hasattr(operation.view_func, "coop_rule"):
                    problems.append(f"{operation.methods} {path}: handler without @coop_route")
    assert not problems, "\n".join(problems)
    assert {op["operationId"] for _m, _p, op in operations} == set(ROUTES)
    # The open routes are exactly the listed ones, without authentication.
    public = [op for _m, _p, op in schema_operations(public=True) if op["operationId"] in PUBLIC_ROUTES]
    device = [op for _m, _p, op in schema_operations(public=True) if op["operationId"] in DEVICE_ROUTES]
    assert {op["operationId"] for op in device} == set(DEVICE_ROUTES)
    assert all(op.get("security") == [{"DeviceAuth": []}] for op in device)
    assert {op["operationId"] for op in public} == set(PUBLIC_ROUTES)
    assert all(not op.get("security") for op in public)


def test_walk_fails_on_a_path_parameter_it_does_not_know(path_objects):
    objects = dict(path_objects)
    objects.pop("receipt_id")
    with pytest.raises(pytest.fail.Exception, match="receipt_id"):
        for _method, path, operation in schema_operations():
            build_url(path, operation, "coop-a", objects)


def test_walk_fails_on_a_post_without_an_example_body(body_objects):
    with pytest.raises(pytest.fail.Exception, match="POST_BODIES"):
        post_body("POST", {"operationId": "something_new"}, body_objects)


def test_anonymous_gets_401_everywhere(path_objects, body_objects):
    client = Client()
    problems = []
    for method, _path, _op, url, body in walk("coop-a", path_objects, body_objects):
        response = send(client, method, url, body)
        if response.status_code != 401:
            problems.append(f"{method} {url}: {response.status_code}")
        elif "detail" not in response.json():
            problems.append(f"{method} {url}: 401 without a detail")
        problems += [f"{method} {url}: {p}" for p in header_problems(response)]
    assert not problems, "\n".join(problems)
    assert Receipt.unscoped.count() == 2 and Price.unscoped.count() == 1  # receipt_a, lot_a's


def test_other_cooperatives_chair_gets_404_everywhere(
    chair_b, token_for, path_objects, body_objects, member_a
):
    client = token_for(chair_b)
    problems = []
    for method, _path, _op, url, body in walk("coop-a", path_objects, body_objects):
        response = send(client, method, url, body)
        if response.status_code != 404:
            problems.append(f"{method} {url} as chair_b: {response.status_code}")
        if member_a.full_name in response.content.decode():
            problems.append(f"{method} {url} as chair_b shows {member_a.full_name}")
    assert not problems, "\n".join(problems)
    assert Receipt.unscoped.count() == 2 and Price.unscoped.count() == 1  # receipt_a, lot_a's


def test_other_cooperatives_ids_under_own_slug_are_404(chair_b, token_for, path_objects, body_objects):
    """chair_b may use coop_b's routes, but coop_a's receipts and members are not there."""
    client = token_for(chair_b)
    problems = []
    checked = 0
    for method, _path, operation, url, body in walk("coop-b", path_objects, body_objects):
        if not any(p["in"] == "path" and p["name"] != "slug" for p in operation.get("parameters", [])):
            continue
        checked += 1
        response = send(client, method, url, body)
        if response.status_code != 404:
            problems.append(f"{method} {url} as chair_b: {response.status_code}")
    assert checked >= 4
    assert not problems, "\n".join(problems)
    # Nothing of coop_a was changed through coop_b's routes (the void above).
    assert Receipt.unscoped.get(uuid=path_objects["receipt_id"]).status == "confirmed"


def test_user_without_a_role_gets_404_everywhere(outsider, token_for, path_objects, body_objects):
    client = token_for(outsider)
    problems = [
        f"{method} {url}: {response.status_code}"
        for method, _path, _op, url, body in walk("coop-a", path_objects, body_objects)
        if (response := send(client, method, url, body)).status_code != 404
    ]
    assert not problems, "\n".join(problems)


# Routes every role of a cooperative may use, as its web page (the catalog needs coop.view).
OPEN_TO_EVERY_ROLE = {"product_list"}


def test_role_without_the_permission_gets_403(
    coop_a, member_user_a, sales_a, collector_a, accountant_a, token_for, path_objects, body_objects
):
    users = {
        Role.MEMBER: member_user_a,
        Role.SALES: sales_a,
        Role.COLLECTOR: collector_a,
        Role.ACCOUNTANT: accountant_a,
    }
    clients = {role: token_for(user) for role, user in users.items()}
    problems = []
    for method, path, operation, url, body in walk("coop-a", path_objects, body_objects):
        rule = ROUTES[operation["operationId"]]
        role = lacking_role(rule)
        if role is None and operation["operationId"] in OPEN_TO_EVERY_ROLE:
            continue
        if role is None:
            problems.append(f"{method} {path}: every role may use it ({rule.perm}); is that intended?")
            continue
        response = send(clients[role], method, url, body)
        if response.status_code != 403:
            problems.append(f"{method} {url} as {role} (without {rule.perm}): {response.status_code}")
    assert not problems, "\n".join(problems)
    assert Receipt.unscoped.count() == 2 and Price.unscoped.count() == 1  # receipt_a, lot_a's


def test_the_walk_reaches_real_routes_for_the_owner(chair_a, token_for, path_objects, body_objects):
    """The same requests succeed for coop_a's chair, so the refusals above are about access."""
    client = token_for(chair_a)
    problems = []
    operations = list(walk("coop-a", path_objects, body_objects))
    # Void last: the other routes read the receipt it voids.
    operations.sort(key=lambda item: item[2]["operationId"] == "receipt_void")
    for method, _path, _op, url, body in operations:
        response = send(client, method, url, body)
        if response.status_code not in (200, 201):
            problems.append(f"{method} {url} as chair_a: {response.status_code} {response.content[:200]!r}")
        # Balances, statements and member lists: never kept by a browser or a proxy.
        problems += [f"{method} {url}: {p}" for p in header_problems(response)]
    assert not problems, "\n".join(problems)


def test_unknown_or_inactive_cooperative_is_404(chair_a, coop_a, token_for):
    client = token_for(chair_a)
    assert client.get(f"{PREFIX}/c/no-such-coop/prices").status_code == 404
    assert client.get(f"{PREFIX}/c/bad%00slug/prices").status_code == 404
    coop_a.is_active = False
    coop_a.save(update_fields=["is_active"])
    assert client.get(f"{PREFIX}/c/coop-a/prices").status_code == 404


# --- authentication ---------------------------------------------------------------------------


def test_token_authenticates_and_records_its_use(chair_a, honey_a):
    made = api_services.token_create(user=chair_a, name="Script kế toán")
    assert made.secret.startswith("hoptac_") and len(made.secret) == len("hoptac_") + 40
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(made.secret.encode()).hexdigest()
    assert token.prefix == made.secret[7:15]
    assert made.secret not in {token.key_hash, token.prefix, token.name}
    assert token.last_used_at is None
    response = Client().get(f"{PREFIX}/c/coop-a/prices", HTTP_AUTHORIZATION=f"Bearer {made.secret}")
    assert response.status_code == 200
    assert [p["price_vnd"] for p in response.json()] == [HONEY_PRICE]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_wrong_revoked_or_disabled_tokens_get_401(chair_a, honey_a):
    made = api_services.token_create(user=chair_a, name="x")
    url = f"{PREFIX}/c/coop-a/prices"
    wrong = "hoptac_" + ("A" * 40)
    for header in (f"Bearer {wrong}", "Bearer nonsense", "Bearer ", f"Token {made.secret}", made.secret):
        response = Client().get(url, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {made.secret}").status_code == 200
    api_services.token_revoke(token=made.token)
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {made.secret}").status_code == 401

    other = api_services.token_create(user=chair_a, name="y")
    chair_a.is_active = False
    chair_a.save(update_fields=["is_active"])
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {other.secret}").status_code == 401


def test_a_wrong_token_is_refused_even_with_a_session(chair_a, honey_a):
    client = Client()
    client.force_login(chair_a)
    assert client.get(f"{PREFIX}/c/coop-a/prices").status_code == 200
    response = client.get(f"{PREFIX}/c/coop-a/prices", HTTP_AUTHORIZATION="Bearer hoptac_" + "B" * 40)
    assert response.status_code == 401


def test_api_token_command_prints_the_token_once(chair_a, honey_a):
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", chair_a.phone, "Điện thoại thu mua", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("hoptac_") and len(secret) == 47
    assert "not stored" in err.getvalue()
    token = ApiToken.objects.get(user=chair_a)
    assert token.name == "Điện thoại thu mua"
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert Client().get(f"{PREFIX}/c/coop-a/prices", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200

    listing = io.StringIO()
    call_command("api_token", chair_a.phone, "--list", stdout=listing)
    assert f"hoptac_{token.prefix}" in listing.getvalue()
    assert secret not in listing.getvalue()

    call_command("api_token", chair_a.phone, "--revoke", token.prefix, stdout=io.StringIO())
    assert Client().get(f"{PREFIX}/c/coop-a/prices", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_api_token_command_refuses_unknown_phone(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user"):
        call_command("api_token", "0999999999", "x", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiToken.objects.count() == 0


def test_session_post_needs_the_csrf_token(chair_a, honey_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(chair_a)
    body = json.dumps(
        {
            "client_key": str(uuid.uuid4()),
            "product_id": honey_a["product"].pk,
            "grade": 1,
            "price_vnd": 510_000,
        }
    )
    assert client.get(f"{PREFIX}/c/coop-a/prices").status_code == 200
    response = client.post(f"{PREFIX}/c/coop-a/prices", body, content_type="application/json")
    assert response.status_code == 403
    assert Price.unscoped.count() == 1

    # With the CSRF cookie and header, as the app's own pages send them.
    client.get("/accounts/login/")
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        f"{PREFIX}/c/coop-a/prices", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 201, response.content
    assert Price.unscoped.count() == 2


def test_token_post_needs_no_csrf_token(chair_a, honey_a):
    secret = api_services.token_create(user=chair_a, name="x").secret
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {
        "client_key": str(uuid.uuid4()),
        "product_id": honey_a["product"].pk,
        "grade": 1,
        "price_vnd": 510_000,
    }
    response = client.post(f"{PREFIX}/c/coop-a/prices", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["price_vnd"] == 510_000


# --- prices ------------------------------------------------------------------------------------------


def test_prices_in_force_history_and_set(chair_a, token_for, honey_a):
    client = token_for(chair_a)
    product = honey_a["product"]
    later = (timezone.localtime() + dt.timedelta(days=3)).replace(microsecond=0)
    response = client.post(
        f"{PREFIX}/c/coop-a/prices",
        {
            "client_key": str(uuid.uuid4()),
            "product_id": product.pk,
            "grade": 1,
            "price_vnd": 550_000,
            "effective_from": later.isoformat(),
            "note": "Tết",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["price_vnd"] == 550_000 and created["note"] == "Tết" and created["unit"] == "l"
    assert created["effective_from"].endswith("+07:00")
    assert dt.datetime.fromisoformat(created["effective_from"]) == later

    # In force now: still the old price; the new one is in the history.
    assert [p["price_vnd"] for p in client.get(f"{PREFIX}/c/coop-a/prices").json()] == [HONEY_PRICE]
    history = client.get(f"{PREFIX}/c/coop-a/prices/history", {"product": product.pk}).json()
    assert history["count"] == 2 and history["page_size"] == PAGE_SIZE
    assert [p["price_vnd"] for p in history["items"]] == [550_000, HONEY_PRICE]
    with tenant(honey_a["point"].cooperative):
        other = Product.objects.create(cooperative=product.cooperative, name="Chè", code="CHE")
    assert client.get(f"{PREFIX}/c/coop-a/prices/history", {"product": other.pk}).json()["count"] == 0


def test_price_refusals_store_nothing(chair_a, token_for, honey_a, coop_b):
    client = token_for(chair_a)
    with tenant(coop_b):
        product_b = Product.objects.create(cooperative=coop_b, name="Chè B", code="CHE")
    product = honey_a["product"].pk
    bad = [
        {"product_id": product, "grade": 1, "price_vnd": 0},
        {"product_id": product, "grade": 1, "price_vnd": -5},
        {"product_id": product, "grade": 4, "price_vnd": 1000},
        {"product_id": product, "grade": 1, "price_vnd": 10**12},
        {"product_id": product, "grade": 1, "price_vnd": "1000"},
        {"product_id": product, "grade": 1, "price_vnd": 1.5},
        {"product_id": product, "grade": 1, "price_vnd": True},
        {"product_id": product_b.pk, "grade": 1, "price_vnd": 1000},
        {"product_id": 10**30, "grade": 1, "price_vnd": 1000},
        {"product_id": product, "grade": 1, "price_vnd": 1000, "note": "x" * 201},
        {"product_id": product, "grade": 1, "price_vnd": 1000, "note": "a\x00b"},
        {"product_id": product, "grade": 1, "price_vnd": 1000, "effective_from": "0001-01-01T00:00:00"},
    ]
    for body in bad:
        body = {"client_key": str(uuid.uuid4()), **body}
        response = client.post(f"{PREFIX}/c/coop-a/prices", body, content_type="application/json")
        assert response.status_code == 422, (body, response.content)
        assert response.json()["detail"], body
    malformed = client.post(f"{PREFIX}/c/coop-a/prices", "{not json", content_type="application/json")
    assert malformed.status_code == 422
    assert malformed.json() == {"detail": ["Nội dung gửi lên không phải JSON hợp lệ."]}
    assert Price.unscoped.count() == 1


# --- receipts --------------------------------------------------------------------------------------


def counts() -> tuple[int, int, int, int]:
    return (
        Receipt.unscoped.count(),
        ReceiptLine.unscoped.count(),
        Entry.unscoped.count(),
        IdempotencyRecord.unscoped.count(),
    )


def test_record_a_receipt(collector_a, token_for, member_a, honey_a):
    client = token_for(collector_a)
    body = receipt_body(member_a, honey_a["product"], point_id=honey_a["point"].pk, note="Sáng")
    body["lines"][0].update(deduction_pct="2")
    response = client.post(f"{PREFIX}/c/coop-a/receipts", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["code"] == "PTM-000001" and data["status"] == "confirmed"
    assert data["member"] == {"uuid": str(member_a.uuid), "full_name": member_a.full_name}
    assert data["point"]["name"] == "Điểm Pả Vi" and data["collector"] == collector_a.full_name
    assert data["client_key"] == body["client_key"]
    [line] = data["lines"]
    assert line["quantity"] == "2.500" and line["net_quantity"] == "2.450" and line["deduction_pct"] == "2.00"
    assert line["unit_price_vnd"] == HONEY_PRICE and line["amount_vnd"] == 1_225_000
    assert data["total_vnd"] == 1_225_000
    assert data["collected_at"].endswith("+07:00")
    # What the API says is what is stored, with its ledger entry.
    with tenant(member_a.cooperative):
        receipt = Receipt.objects.get(uuid=data["uuid"])
        assert receipt.total_vnd == 1_225_000 and receipt.collector == collector_a
        assert ledger_selectors.member_balance(member_a).payable == 1_225_000
    detail = client.get(f"{PREFIX}/c/coop-a/receipts/{data['uuid']}").json()
    assert detail == data


def test_receipt_retry_with_the_same_body_returns_the_first(collector_a, token_for, member_a, honey_a):
    client = token_for(collector_a)
    body = receipt_body(member_a, honey_a["product"])
    first = client.post(f"{PREFIX}/c/coop-a/receipts", body, content_type="application/json")
    assert first.status_code == 201
    before = counts()
    assert before == (1, 1, 1, 1)

    again = client.post(f"{PREFIX}/c/coop-a/receipts", body, content_type="application/json")
    assert again.status_code == 200
    assert again.json() == first.json()
    # The same receipt written differently: "2.50" for "2.5", UTC for +07:00, defaults spelt out.
    same = json.loads(json.dumps(body))
    same["lines"][0].update(quantity="2.50", deduction_pct="0.0", override_reason="")
    same["collected_at"] = dt.datetime.fromisoformat(body["collected_at"]).astimezone(dt.UTC).isoformat()
    same["note"] = ""
    again = client.post(f"{PREFIX}/c/coop-a/receipts", same, content_type="application/json")
    assert again.status_code == 200
    assert again.json()["uuid"] == first.json()["uuid"]
    assert counts() == before
    with tenant(member_a.cooperative):
        assert Entry.objects.filter(member=member_a).count() == 1


def test_receipt_same_key_other_body_is_refused(collector_a, token_for, member_a, member_a2, honey_a):
    client = token_for(collector_a)
    body = receipt_body(member_a, honey_a["product"])
    assert (
        client.post(f"{PREFIX}/c/coop-a/receipts", body, content_type="application/json").status_code == 201
    )
    before = counts()
    for change in (
        {"member_id": str(member_a2.uuid)},
        {"lines": [{**body["lines"][0], "quantity": "3"}]},
        {"note": "khác"},
    ):
        response = client.post(
            f"{PREFIX}/c/coop-a/receipts", {**body, **change}, content_type="application/json"
        )
        assert response.status_code == 422, change
        assert "client_key" in response.json()["detail"][0]
    assert counts() == before
    with tenant(member_a.cooperative):
        assert ledger_selectors.member_balance(member_a2).net == 0


def test_receipt_key_is_per_cooperative(collector_a, chair_b, token_for, member_a, member_b, honey_a, coop_b):
    """The same client key in another cooperative is another receipt, not a replay."""
    with tenant(coop_b):
        tea = Product.objects.create(cooperative=coop_b, name="Chè búp", code="CHE")
        offtake.price_set(
            product=tea, grade=1, price_vnd=15_000, effective_from=timezone.now() - dt.timedelta(days=1)
        )
    body_a = receipt_body(member_a, honey_a["product"])
    body_b = receipt_body(
        member_b, tea, client_key=body_a["client_key"], line={"unit": "kg", "quantity": "10"}
    )
    assert (
        token_for(collector_a)
        .post(f"{PREFIX}/c/coop-a/receipts", body_a, content_type="application/json")
        .status_code
        == 201
    )
    response = token_for(chair_b).post(f"{PREFIX}/c/coop-b/receipts", body_b, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["total_vnd"] == 150_000


def test_bad_receipts_are_refused_and_store_nothing(
    collector_a, token_for, member_a, member_a2, member_b, honey_a
):
    client = token_for(collector_a)
    product = honey_a["product"]
    with tenant(member_a2.cooperative):
        coop_services.member_leave(member=member_a2, left_on=timezone.localdate(), reason="Chuyển đi")
    future = (timezone.localtime() + dt.timedelta(days=2)).isoformat()
    bad = {
        "negative quantity": receipt_body(member_a, product, line={"quantity": "-2"}),
        "zero quantity": receipt_body(member_a, product, line={"quantity": "0"}),
        "quantity not a number": receipt_body(member_a, product, line={"quantity": "abc"}),
        "too many decimals": receipt_body(member_a, product, line={"quantity": "1.23456"}),
        "zero price": receipt_body(member_a, product, line={"unit_price_vnd": 0}),
        "unknown unit": receipt_body(member_a, product, line={"unit": "bao"}),
        "unit not fitting": receipt_body(member_a, product, line={"unit": "kg"}),
        "deduction over 50": receipt_body(member_a, product, line={"deduction_pct": "60"}),
        "member who left": receipt_body(member_a2, product),
        "member of another cooperative": receipt_body(member_b, product),
        "unknown member": {**receipt_body(member_a, product), "member_id": str(uuid.uuid4())},
        "future date": receipt_body(member_a, product, collected_at=future),
        "year 1": receipt_body(member_a, product, collected_at="0001-01-01T00:00:00+07:00"),
        "unknown product": receipt_body(member_a, product, line={"product_id": product.pk + 1000}),
        "unknown point": receipt_body(member_a, product, point_id=999_999),
        "no lines": receipt_body(member_a, product, lines=[]),
        "21 lines": {
            **receipt_body(member_a, product),
            "lines": [receipt_body(member_a, product)["lines"][0]] * 21,
        },
        "price override by a collector": receipt_body(
            member_a, product, line={"unit_price_vnd": 600_000, "override_reason": "Hàng đẹp"}
        ),
        "no client key": {k: v for k, v in receipt_body(member_a, product).items() if k != "client_key"},
        "bad client key": receipt_body(member_a, product, client_key="not-a-uuid"),
        "NUL in note": receipt_body(member_a, product, note="a\x00b"),
        "note too long": receipt_body(member_a, product, note="x" * 301),
        "second line bad": {
            **receipt_body(member_a, product),
            "lines": [
                receipt_body(member_a, product)["lines"][0],
                {"product_id": product.pk, "quantity": "-1", "unit": "l"},
            ],
        },
    }
    before = counts()
    problems = []
    for name, body in bad.items():
        response = client.post(f"{PREFIX}/c/coop-a/receipts", body, content_type="application/json")
        if response.status_code != 422:
            problems.append(f"{name}: {response.status_code} {response.content[:200]!r}")
        elif not response.json().get("detail"):
            problems.append(f"{name}: 422 without a message")
    malformed = client.post(f"{PREFIX}/c/coop-a/receipts", "{", content_type="application/json")
    if malformed.status_code != 422:
        problems.append(f"malformed JSON: {malformed.status_code}")
    assert not problems, "\n".join(problems)
    assert counts() == before


def test_a_price_override_needs_the_permission_and_a_reason(accountant_a, token_for, member_a, honey_a):
    client = token_for(accountant_a)
    body = receipt_body(member_a, honey_a["product"], line={"unit_price_vnd": 600_000})
    response = client.post(f"{PREFIX}/c/coop-a/receipts", body, content_type="application/json")
    assert response.status_code == 422
    body["lines"][0]["override_reason"] = "Mật loại đặc biệt"
    response = client.post(f"{PREFIX}/c/coop-a/receipts", body, content_type="application/json")
    assert response.status_code == 201
    [line] = response.json()["lines"]
    assert (line["unit_price_vnd"], line["list_price_vnd"]) == (600_000, HONEY_PRICE)
    assert line["price_override_reason"] == "Mật loại đặc biệt"


def test_receipt_list_filters_and_pages(coop_a, collector_a, token_for, member_a, member_a2, honey_a):
    now = timezone.now()
    with tenant(coop_a):
        for i in range(PAGE_SIZE + 3):
            offtake.receipt_record(
                member=member_a if i % 2 else member_a2,
                collected_at=now - dt.timedelta(days=1 if i < 3 else 0, minutes=i),
                point=honey_a["point"] if i == 0 else None,
                lines=[offtake.LineInput(product=honey_a["product"], quantity=Decimal(1), unit="l")],
            )
    client = token_for(collector_a)
    url = f"{PREFIX}/c/coop-a/receipts"
    first = client.get(url).json()
    assert (first["count"], first["pages"], len(first["items"])) == (PAGE_SIZE + 3, 2, PAGE_SIZE)
    assert "lines" not in first["items"][0]
    second = client.get(url, {"page": 2}).json()
    assert len(second["items"]) == 3
    assert not {r["uuid"] for r in first["items"]} & {r["uuid"] for r in second["items"]}
    assert client.get(url, {"page": 3}).json()["items"] == []
    assert client.get(url, {"page": 0}).status_code == 422
    yesterday = timezone.localdate(now - dt.timedelta(days=1))
    assert client.get(url, {"day": yesterday.isoformat()}).json()["count"] == 3
    assert client.get(url, {"point": honey_a["point"].pk}).json()["count"] == 1
    assert client.get(url, {"member": str(member_a.uuid)}).json()["count"] == (PAGE_SIZE + 3) // 2
    assert client.get(url, {"status": "voided"}).json()["count"] == 0
    assert client.get(url, {"status": "nonsense"}).status_code == 422
    assert client.get(url, {"point": 987654}).status_code == 422
    assert client.get(url, {"day": "0001-01-01"}).status_code == 422


def test_void_a_receipt(accountant_a, token_for, receipt_a, member_a):
    client = token_for(accountant_a)
    url = f"{PREFIX}/c/coop-a/receipts/{receipt_a.uuid}/void"
    assert client.post(url, {"reason": "  "}, content_type="application/json").status_code == 422
    assert client.post(url, {"reason": "x" * 201}, content_type="application/json").status_code == 422
    response = client.post(url, {"reason": "Cân sai"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "voided" and response.json()["void_reason"] == "Cân sai"
    with tenant(member_a.cooperative):
        assert ledger_selectors.member_balance(member_a).net == 0
        entries = Entry.objects.count()
    again = client.post(url, {"reason": "Lần nữa"}, content_type="application/json")
    assert again.status_code == 422
    with tenant(member_a.cooperative):
        assert Entry.objects.count() == entries
    assert client.get(f"{PREFIX}/c/coop-a/receipts/{uuid.uuid4()}").status_code == 404
    assert client.get(f"{PREFIX}/c/coop-a/receipts/not-a-uuid").status_code == 422


# --- members, balances and statements -------------------------------------------------------------


def test_member_list(chair_a, token_for, member_a, member_a2, member_b):
    client = token_for(chair_a)
    data = client.get(f"{PREFIX}/c/coop-a/members").json()
    assert data["count"] == 2
    assert {m["full_name"] for m in data["items"]} == {member_a.full_name, member_a2.full_name}
    item = next(m for m in data["items"] if m["uuid"] == str(member_a.uuid))
    assert item == {
        "uuid": str(member_a.uuid),
        "full_name": member_a.full_name,
        "village": "Thôn Pả Vi Thượng",
        "phone": member_a.phone,
        "status": "active",
    }
    found = client.get(f"{PREFIX}/c/coop-a/members", {"q": "nguyen duc"}).json()
    assert [m["uuid"] for m in found["items"]] == [str(member_a.uuid)]
    assert client.get(f"{PREFIX}/c/coop-a/members", {"q": "a\x00b"}).status_code == 200


@pytest.fixture
def ledger_a(coop_a, member_a, receipt_a, accountant_a):
    """member_a: a receipt of 2,000,000, an advance of 300,000 and a payout of 500,000."""
    with tenant(coop_a):
        ledger.advance_give(member=member_a, amount=300_000, memo="Tạm ứng", actor=accountant_a)
        ledger.payout_make(member=member_a, amount=500_000, method="cash", actor=accountant_a)
    return member_a


def test_balance_is_the_ledger_balance(accountant_a, token_for, ledger_a, member_a2):
    client = token_for(accountant_a)
    data = client.get(f"{PREFIX}/c/coop-a/members/{ledger_a.uuid}/balance").json()
    with tenant(ledger_a.cooperative):
        balance = ledger_selectors.member_balance(ledger_a)
    assert data == {
        "member_id": str(ledger_a.uuid),
        "payable": balance.payable,
        "receivable": balance.receivable,
        "net": balance.net,
    }
    assert balance.net != 0
    empty = client.get(f"{PREFIX}/c/coop-a/members/{member_a2.uuid}/balance").json()
    assert (empty["payable"], empty["receivable"], empty["net"]) == (0, 0, 0)
    assert client.get(f"{PREFIX}/c/coop-a/members/{uuid.uuid4()}/balance").status_code == 404


def test_statement(accountant_a, token_for, ledger_a):
    client = token_for(accountant_a)
    today = timezone.localdate()
    url = f"{PREFIX}/c/coop-a/members/{ledger_a.uuid}/statement"
    data = client.get(url, {"start": today.isoformat(), "end": today.isoformat()}).json()
    assert data["opening"] == {"payable": 0, "receivable": 0, "net": 0}
    kinds = [line["kind"] for line in data["lines"]]
    assert kinds[:2] == ["purchase", "advance"] and "payout" in kinds
    assert all(line["kind_label"] and line["description"] is not None for line in data["lines"])
    running = data["opening"]["net"]
    for line in data["lines"]:
        running += line["net"]
        assert line["balance_after"] == running
        assert line["date"].endswith("+07:00")
    with tenant(ledger_a.cooperative):
        balance = ledger_selectors.member_balance(ledger_a)
    assert data["closing"] == {
        "payable": balance.payable,
        "receivable": balance.receivable,
        "net": balance.net,
    }
    assert running == balance.net
    # The closing balance of one period is the opening of the next.
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    after = client.get(url, {"start": tomorrow, "end": tomorrow}).json()
    assert after["opening"] == data["closing"] and after["lines"] == []
    # Default period: this month.
    default = client.get(url).json()
    assert default["start"] == today.replace(day=1).isoformat()
    assert default["closing"] == data["closing"]
    assert client.get(url, {"start": tomorrow, "end": today.isoformat()}).status_code == 422
    assert client.get(url, {"start": "0001-01-01"}).status_code == 422
    assert client.get(url, {"end": "9999-12-31"}).status_code == 422


def test_member_account_sees_only_its_own_balance(
    own_member_user_a, token_for, ledger_a, member_a2, receipt_a
):
    client = token_for(own_member_user_a)
    own = client.get(f"{PREFIX}/c/coop-a/members/{ledger_a.uuid}/balance")
    assert own.status_code == 200
    with tenant(ledger_a.cooperative):
        assert own.json()["net"] == ledger_selectors.member_balance(ledger_a).net
    assert client.get(f"{PREFIX}/c/coop-a/members/{ledger_a.uuid}/statement").status_code == 200
    assert client.get(f"{PREFIX}/c/coop-a/members/{member_a2.uuid}/balance").status_code == 404
    assert client.get(f"{PREFIX}/c/coop-a/members/{member_a2.uuid}/statement").status_code == 404
    assert client.get(f"{PREFIX}/c/coop-a/members/{uuid.uuid4()}/balance").status_code == 404
    # Nothing else of the cooperative: the member list and receipts are not theirs to read.
    assert client.get(f"{PREFIX}/c/coop-a/members").status_code == 403
    assert client.get(f"{PREFIX}/c/coop-a/receipts/{receipt_a.uuid}").status_code == 403


def test_member_account_without_a_household_gets_404(member_user_a, token_for, member_a):
    client = token_for(member_user_a)
    assert client.get(f"{PREFIX}/c/coop-a/members/{member_a.uuid}/balance").status_code == 404


def test_collector_may_not_read_balances(collector_a, token_for, member_a):
    response = token_for(collector_a).get(f"{PREFIX}/c/coop-a/members/{member_a.uuid}/balance")
    assert response.status_code == 403


# --- language ------------------------------------------------------------------------------------------


def test_messages_are_vietnamese_by_default_and_english_on_request(collector_a, token_for, member_a, honey_a):
    client = token_for(collector_a)
    body = {**receipt_body(member_a, honey_a["product"]), "member_id": str(uuid.uuid4())}
    url = f"{PREFIX}/c/coop-a/receipts"
    vietnamese = client.post(url, body, content_type="application/json")
    assert vietnamese.json() == {"detail": ["Không tìm thấy thành viên này."]}
    assert vietnamese["Content-Language"] == "vi"
    english = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english.json() == {"detail": ["Unknown member."]}
    assert english["Content-Language"] == "en"
    assert "Accept-Language" in english["Vary"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.post(url, body, content_type="application/json").json() == {"detail": ["Unknown member."]}
    # The app's own language switch wins over the browser's header.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    response = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"detail": ["Không tìm thấy thành viên này."]}
    assert "đăng nhập" in Client().get(f"{PREFIX}/c/coop-a/prices").json()["detail"]


def test_api_language_parsing(rf):
    assert api_language(rf.get("/")) == "vi"
    assert api_language(rf.get("/", HTTP_ACCEPT_LANGUAGE="en")) == "en"
    assert api_language(rf.get("/", HTTP_ACCEPT_LANGUAGE="fr;q=1, en;q=0.5, vi;q=0.8")) == "vi"
    assert api_language(rf.get("/", HTTP_ACCEPT_LANGUAGE="de, en-GB;q=0.3")) == "en"
    assert api_language(rf.get("/", HTTP_ACCEPT_LANGUAGE="en;q=0, fr")) == "vi"
    assert api_language(rf.get("/", HTTP_ACCEPT_LANGUAGE="en;q=abc")) == "vi"


# --- the OpenAPI schema ----------------------------------------------------------------------------


EXPECTED_OPERATIONS = {
    ("GET", "/c/{slug}/prices"),
    ("POST", "/c/{slug}/prices"),
    ("GET", "/c/{slug}/prices/history"),
    ("GET", "/c/{slug}/receipts"),
    ("POST", "/c/{slug}/receipts"),
    ("GET", "/c/{slug}/receipts/{receipt_id}"),
    ("POST", "/c/{slug}/receipts/{receipt_id}/void"),
    ("GET", "/c/{slug}/members"),
    ("GET", "/c/{slug}/members/{member_id}/balance"),
    ("GET", "/c/{slug}/members/{member_id}/statement"),
    ("GET", "/c/{slug}/products"),
    ("GET", "/c/{slug}/lots"),
    ("GET", "/c/{slug}/lots/{lot_id}"),
    ("POST", "/c/{slug}/lots/{lot_id}/movements"),
    ("GET", "/c/{slug}/lots/{lot_id}/trace"),
    ("GET", "/c/{slug}/stock"),
    ("GET", "/c/{slug}/messages"),
    ("POST", "/c/{slug}/messages"),
    ("GET", "/c/{slug}/messages/{message_id}"),
    ("GET", "/c/{slug}/offers"),
    ("POST", "/c/{slug}/offers/{offer_id}/answer"),
    ("POST", "/auth/token"),
    ("GET", "/catalogue"),
    ("GET", "/catalogue/{short_code}"),
    ("POST", "/orders"),
    ("GET", "/c/{slug}/orders"),
    ("GET", "/c/{slug}/orders/{order_code}"),
    ("POST", "/c/{slug}/orders/{order_code}/status"),
    ("POST", "/c/{slug}/orders/{order_code}/invoice"),
    ("GET", "/c/{slug}/payments"),
    ("GET", "/c/{slug}/lives"),
    ("POST", "/c/{slug}/lives"),
    ("GET", "/c/{slug}/lives/{live_code}"),
    ("POST", "/c/{slug}/lives/{live_code}/start"),
    ("POST", "/c/{slug}/lives/{live_code}/end"),
    ("POST", "/c/{slug}/lives/{live_code}/comments"),
    ("GET", "/c/{slug}/lives/{live_code}/claims"),
    ("POST", "/c/{slug}/claims/{claim_id}/release"),
    ("GET", "/c/{slug}/lives/{live_code}/buyers"),
    ("POST", "/c/{slug}/sync/devices"),
    ("GET", "/c/{slug}/sync/devices"),
    ("POST", "/c/{slug}/sync/devices/{device_id}/revoke"),
    ("POST", "/c/{slug}/sync/push"),
    ("GET", "/c/{slug}/sync/pull"),
}


def test_openapi_schema_lists_every_route(db):
    response = Client().get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Hợp Tác API"
    listed = {(m, p.removeprefix(PREFIX)) for m, p, _op in schema_operations(schema, public=True)}
    assert listed == EXPECTED_OPERATIONS
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["DeviceAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"
    # Every $ref points at a schema that is there.
    refs = set()

    def collect(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"].split("/")[-1])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema)
    assert refs and refs <= set(schema["components"]["schemas"])


def test_the_docs_page_is_off(db):
    """Swagger UI would load from a CDN: the project serves every asset itself."""
    assert Client().get(f"{PREFIX}/docs").status_code == 404


def test_the_canonical_hash_ignores_spelling_only():
    base = {
        "client_key": str(uuid.uuid4()),
        "member_id": str(uuid.uuid4()),
        "collected_at": "2026-01-05T08:00:00+07:00",
        "lines": [{"product_id": 1, "quantity": "4", "unit": "kg"}],
    }
    same = {
        **base,
        "collected_at": "2026-01-05T01:00:00Z",
        "note": "",
        "lines": [{"product_id": 1, "grade": 1, "quantity": "4,000", "unit": "kg", "deduction_pct": "0.00"}],
    }
    other = {**base, "lines": [{"product_id": 1, "quantity": "4.001", "unit": "kg"}]}
    digest = ReceiptIn.model_validate(base).canonical_hash()
    assert ReceiptIn.model_validate(same).canonical_hash() == digest
    assert ReceiptIn.model_validate(other).canonical_hash() != digest


# --- answers match the published schema ------------------------------------------------------------


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
    return node


def conforms(schema: dict, node: dict, value, where: str = "$") -> list[str]:
    """Problems of ``value`` against the JSON-schema ``node`` (the subset the API uses)."""
    node = _resolve(schema, node)
    if "anyOf" in node:
        options = [conforms(schema, option, value, where) for option in node["anyOf"]]
        return [] if any(not o for o in options) else [f"{where}: matches no anyOf option: {value!r}"]
    if "allOf" in node:
        return [p for option in node["allOf"] for p in conforms(schema, option, value, where)]
    kind = node.get("type")
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kind and not checks[kind](value):
        return [f"{where}: {value!r} is not {kind}"]
    if "enum" in node and value not in node["enum"]:
        return [f"{where}: {value!r} not in {node['enum']}"]
    problems = []
    if kind == "string" and node.get("format") == "date-time":
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            problems.append(f"{where}: date-time without an offset: {value}")
    if kind == "string" and node.get("format") == "uuid":
        uuid.UUID(value)
    if kind == "object":
        for name in node.get("required", []):
            if name not in value:
                problems.append(f"{where}: {name!r} missing")
        for name, sub in node.get("properties", {}).items():
            if name in value:
                problems += conforms(schema, sub, value[name], f"{where}.{name}")
        extra = set(value) - set(node.get("properties", {}))
        if extra and node.get("properties"):
            problems.append(f"{where}: not in the schema: {sorted(extra)}")
    if kind == "array":
        for index, item in enumerate(value):
            problems += conforms(schema, node.get("items", {}), item, f"{where}[{index}]")
    return problems


def response_schema(schema: dict, path: str, method: str, status: int) -> dict:
    operation = schema["paths"][PREFIX + path][method.lower()]
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


def test_answers_match_their_schema(chair_a, token_for, ledger_a, receipt_a, honey_a, member_a):
    schema = openapi_schema()
    client = token_for(chair_a)
    cases = [
        ("GET", "/c/{slug}/prices", "/c/coop-a/prices", None, 200),
        ("GET", "/c/{slug}/prices/history", "/c/coop-a/prices/history", None, 200),
        (
            "POST",
            "/c/{slug}/prices",
            "/c/coop-a/prices",
            {"client_key": str(uuid.uuid4()), "product_id": honey_a["product"].pk, "price_vnd": 9},
            201,
        ),
        ("GET", "/c/{slug}/receipts", "/c/coop-a/receipts", None, 200),
        ("GET", "/c/{slug}/receipts/{receipt_id}", f"/c/coop-a/receipts/{receipt_a.uuid}", None, 200),
        ("POST", "/c/{slug}/receipts", "/c/coop-a/receipts", receipt_body(member_a, honey_a["product"]), 201),
        ("GET", "/c/{slug}/members", "/c/coop-a/members", None, 200),
        (
            "GET",
            "/c/{slug}/members/{member_id}/balance",
            f"/c/coop-a/members/{member_a.uuid}/balance",
            None,
            200,
        ),
        (
            "GET",
            "/c/{slug}/members/{member_id}/statement",
            f"/c/coop-a/members/{member_a.uuid}/statement",
            None,
            200,
        ),
        (
            "POST",
            "/c/{slug}/prices",
            "/c/coop-a/prices",
            {"client_key": str(uuid.uuid4()), "product_id": honey_a["product"].pk, "price_vnd": 0},
            422,
        ),
        ("GET", "/c/{slug}/receipts/{receipt_id}", f"/c/coop-a/receipts/{uuid.uuid4()}", None, 404),
    ]
    problems = []
    for method, template, path, body, status in cases:
        response = send(client, method, PREFIX + path, body)
        if response.status_code != status:
            problems.append(f"{method} {path}: {response.status_code}, expected {status}")
            continue
        problems += conforms(
            schema, response_schema(schema, template, method, status), response.json(), f"{method} {path}"
        )
    # A refusal before the gate (no token) is described too.
    response = Client().get(f"{PREFIX}/c/coop-a/prices")
    problems += conforms(
        schema, response_schema(schema, "/c/{slug}/prices", "GET", 401), response.json(), "401"
    )
    assert not problems, "\n".join(problems)


def test_the_conformance_check_itself_finds_problems(db):
    schema = openapi_schema()
    node = response_schema(schema, "/c/{slug}/members/{member_id}/balance", "GET", 200)
    good = {"member_id": str(uuid.uuid4()), "payable": 1, "receivable": 0, "net": 1}
    assert conforms(schema, node, good) == []
    assert conforms(schema, node, {**good, "net": "1"})
    assert conforms(schema, node, {k: v for k, v in good.items() if k != "net"})
    assert conforms(schema, node, {**good, "secret": 1})


# --- the API's own Vietnamese strings ------------------------------------------------------------


def test_every_string_of_the_api_is_translated():
    """Each gettext string of the API has its Vietnamese in the project's one catalogue."""
    import ast
    from pathlib import Path

    import polib

    import hoptac.api

    root = Path(hoptac.api.__file__).parent
    msgids = set()
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                msgids.add(node.args[0].value)
    assert len(msgids) >= 15, "the scan found too few strings"
    po_path = root.parent / "locale" / "vi" / "LC_MESSAGES" / "django.po"
    main = polib.pofile(str(po_path))
    translated = {e.msgid for e in main if e.msgstr.strip() and not e.obsolete and "fuzzy" not in e.flags}
    missing = sorted(msgids - translated)
    assert not missing, f"API strings without Vietnamese in {po_path}: {missing}"


# --- the same offline receipt twice at the same moment ------------------------------------------


def _post_together(bodies: list[dict], secret: str) -> list[int]:
    """POST each body from its own thread (own database connection), all released at once."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def run(index: int, body: dict) -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
            barrier.wait(timeout=30)
            response = client.post(f"{PREFIX}/c/coop-a/receipts", body, content_type="application/json")
            statuses[index] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_the_same_receipt_sent_twice_at_once_is_stored_once(collector_a, member_a, honey_a):
    secret = api_services.token_create(user=collector_a, name="field phone").secret
    body = receipt_body(member_a, honey_a["product"])
    statuses = _post_together([body, body, body], secret)
    assert sorted(statuses) == [200, 200, 201], statuses
    assert counts() == (1, 1, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_one_key_with_two_bodies_at_once_stores_one(collector_a, member_a, member_a2, honey_a):
    secret = api_services.token_create(user=collector_a, name="field phone").secret
    first = receipt_body(member_a, honey_a["product"])
    second = {**first, "member_id": str(member_a2.uuid)}
    statuses = _post_together([first, second], secret)
    assert sorted(statuses) == [201, 422], statuses
    assert counts() == (1, 1, 1, 1)
    # The stored receipt is the one that was acknowledged with 201, with its one entry.
    stored = IdempotencyRecord.unscoped.get()
    assert Receipt.unscoped.get().member_id == (member_a if statuses[0] == 201 else member_a2).pk
    assert stored.response_json["uuid"] == str(Receipt.unscoped.get().uuid)


# --- fuzzing from the schema (schemathesis) -----------------------------------------------------

FUZZ_EXAMPLES = 30  # per operation and mode: about 20 s in all


@pytest.fixture
def wsgi_app():
    """Django's WSGI application for schemathesis, on the test's database connection (as
    Django's test client does: no closing of connections at the end of each request)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_objects(coop_a, member_a, receipt_a, honey_a, message_a, offer_a, order_a, live_objects):
    """Real objects of coop_a for the generated requests: a tea sold by weight (so most
    units fit) with prices since 2000, so that generated receipts can be recorded."""
    with tenant(coop_a):
        tea = Product.objects.create(cooperative=coop_a, name="Chè Shan tuyết", code="CHE", base_unit="kg")
        for grade in (1, 2, 3):
            offtake.price_set(
                product=tea,
                grade=grade,
                price_vnd=15_000,
                effective_from=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            )
    return {
        "receipt_id": str(receipt_a.uuid),
        "member_id": str(member_a.uuid),
        "product_id": tea.pk,
        "point_id": honey_a["point"].pk,
        "message_id": str(message_a.uuid),
        "offer_id": offer_a.pk,
        "order_code": order_a.code,
        **live_objects,
    }


def _aim_at_real_objects(case, objects: dict) -> None:
    """Point a generated request at coop_a and its objects; the rest stays generated."""
    case.path_parameters["slug"] = "coop-a"
    for name in ("receipt_id", "member_id", "message_id", "offer_id", "order_code", "live_code", "claim_id"):
        if name in case.path_parameters:
            case.path_parameters[name] = objects[name]
    body = case.body
    if not isinstance(body, dict):
        return
    if isinstance(body.get("collected_at"), str):
        # A receipt can only be dated in the past and after the price list starts.
        try:
            when = dt.datetime.fromisoformat(body["collected_at"])
        except ValueError:
            when = None
        if when is not None and timezone.is_naive(when):
            when = timezone.make_aware(when)
        if when is not None and (when.year < 2000 or when > timezone.now()):
            body["collected_at"] = "2024-05-01T08:00:00+07:00"
    for name in ("product_id", "member_id", "point_id"):
        if body.get(name) is not None:
            body[name] = objects[name]
    if "client_key" in body and "text" in body:
        # A message goes to exactly one recipient: the real member, so that valid bodies
        # reach the outbox (Hypothesis fills strings from constants of the loaded code, and
        # a random phone or email is rarely one).
        body["member_id"] = objects["member_id"]
        body.pop("phone", None)
        body.pop("email", None)
        body["channels"] = None
    if "client_key" in body:
        # Derandomized generation repeats its UUIDs from one operation to the next, and a
        # key used by a receipt is refused for a message: give every request its own key.
        body["client_key"] = str(uuid.uuid4())
    for line in body.get("lines") if isinstance(body.get("lines"), list) else []:
        if isinstance(line, dict) and "product_id" in line:
            line["product_id"] = objects["product_id"]


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_generated_requests_never_get_a_server_error(mode, chair_a, wsgi_app, fuzz_objects):
    """Requests generated from the OpenAPI schema, valid ones and invalid ones: never a
    500, always JSON, and (for valid requests) a documented status with a body that fits
    its schema."""
    import schemathesis
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings
    from schemathesis import GenerationMode

    secret = api_services.token_create(user=chair_a, name="fuzz").secret
    headers = {"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", wsgi_app)
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    checks = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.content_type_conformance,
        schemathesis.checks.status_code_conformance,
    ]
    if mode == "positive":
        checks.append(schemathesis.checks.response_schema_conformance)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= MIN_OPERATIONS
    seen: dict[str, set[int]] = {}

    for operation in operations:

        @hypothesis_settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=generation))
        def check(case):
            _aim_at_real_objects(case, fuzz_objects)
            response = case.call(headers=headers)
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=checks)

        check()
    # The generated requests reached the handlers, not only the refusals before them.
    assert any(200 in codes for codes in seen.values()), seen
    if mode == "positive":
        assert 201 in seen["POST /api/v1/c/{slug}/prices"], seen
        assert 201 in seen["POST /api/v1/c/{slug}/messages"], seen


def test_a_price_retried_with_its_key_is_stored_once(chair_a, token_for, honey_a):
    client = token_for(chair_a)
    body = {
        "client_key": str(uuid.uuid4()),
        "product_id": honey_a["product"].pk,
        "grade": 1,
        "price_vnd": 520_000,
    }
    first = client.post(f"{PREFIX}/c/coop-a/prices", body, content_type="application/json")
    assert first.status_code == 201, first.content
    again = client.post(f"{PREFIX}/c/coop-a/prices", {**body, "note": ""}, content_type="application/json")
    assert again.status_code == 200 and again.json() == first.json()
    assert Price.unscoped.count() == 2
    other = client.post(
        f"{PREFIX}/c/coop-a/prices", {**body, "price_vnd": 530_000}, content_type="application/json"
    )
    assert other.status_code == 422
    assert Price.unscoped.count() == 2
    without = {k: v for k, v in body.items() if k != "client_key"}
    assert (
        client.post(f"{PREFIX}/c/coop-a/prices", without, content_type="application/json").status_code == 422
    )
    assert Price.unscoped.count() == 2
