"""The NinjaAPI of Hợp Tác, mounted at ``/api/v1/`` (schema at ``/api/v1/openapi.json``).

The interactive docs page is off: it loads Swagger UI from a CDN and the project serves
every asset itself. docs/api.md describes the API.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError

from hoptac.api import live, lots, members, messages, prices, products, receipts, shop, sync, tokens
from hoptac.api.access import api_language
from hoptac.api.auth import AUTH

DESCRIPTION = """\
The JSON API of Hợp Tác for scripts and the offline field app. Every route but the token
request and the public selling routes (`/catalogue`, placing an order with `POST /orders`)
is under `/c/{slug}/`, the cooperative's short name, and allowed by the caller's role there, as
the web pages are. Authenticate with a personal token (`Authorization: Bearer hoptac_…`,
asked for with `POST /api/v1/auth/token` and a password, or made with
`hoptac manage api_token <phone> <name>`) or, from the app's own pages, with the
session cookie and the CSRF token. Money is whole đồng, quantities are decimal strings,
date-times are ISO 8601 with their offset. See docs/api.md.
"""


class HopTacAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # The handler's name: unique (the gate refuses twins) and the key of access.ROUTES.
        return operation.view_func.__name__

    def on_exception(self, request, exc):
        with translation.override(api_language(request)):
            return super().on_exception(request, exc)

    def create_response(self, request, *args, **kwargs):
        response = super().create_response(request, *args, **kwargs)
        # Messages follow the cookie or Accept-Language (access.api_language); say which.
        response["Content-Language"] = api_language(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


# What the schema says beyond the routes (checked by tests/test_openapi.py, as Redocly's
# recommended rules ask): where it is served, its licence, and each tag with a description.
SERVERS = [{"url": "/", "description": "This installation: every path starts with /api/v1/."}]
LICENSE = {"name": "GNU Affero General Public License v3.0 or later", "identifier": "AGPL-3.0-or-later"}
CONTACT = {"name": "Hợp Tác contributors"}
TAGS = [
    {"name": "auth", "description": "Personal tokens: made with a phone (or email) and password, for apps and scripts."},
    {"name": "prices", "description": "The price list: the price in force of each product and grade."},
    {"name": "receipts", "description": "Purchase receipts (phiếu thu mua): what members delivered and its worth."},
    {"name": "members", "description": "Member households and their balances with the cooperative."},
    {"name": "products", "description": "The cooperative's products and their units."},
    {"name": "lots", "description": "Lots and stock: raw and finished lots, steps and stock movements."},
    {"name": "messages", "description": "Messages to members (SMS, Zalo) and their delivery."},
    {
        "name": "shop",
        "description": "Selling: the public catalogue, placing orders (no token), and a cooperative's "
        "orders and bank transactions for its staff.",
    },
    {
        "name": "sync",
        "description": "The offline field app: devices (a token per phone), pushing records made offline "
        "(each applied exactly once) and pulling what changed (docs/sync-protocol.md).",
    },
    {
        "name": "live",
        "description": "Selling in livestreams: live sales, comments read into claims, the waiting list, "
        "buyers and their links.",
    },
]

api = HopTacAPI(
    title="Hợp Tác API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,
    auth=AUTH,
    servers=SERVERS,
    openapi_extra={"info": {"license": LICENSE, "contact": CONTACT}, "tags": TAGS},
)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = api.create_response(
        request, {"detail": _("Sign in, or send a personal API token (Authorization: Bearer …).")}, status=401
    )
    response["WWW-Authenticate"] = 'Bearer realm="hoptac"'
    return response


@api.exception_handler(HttpError)
def http_error(request, exc):
    if exc.status_code == 400:
        # ninja's "Cannot parse request body": answered like any other bad input.
        return api.create_response(
            request, {"detail": [_("The request body is not valid JSON.")]}, status=422
        )
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(
        request, {"detail": _("Your role in this cooperative does not allow this.")}, status=403
    )


@api.exception_handler(DjangoValidationError)
def invalid(request, exc):
    """A service refused the input: its messages, in the caller's language; nothing stored."""
    return api.create_response(request, {"detail": [str(message) for message in exc.messages]}, status=422)


api.add_router("", prices.router)
api.add_router("", receipts.router)
api.add_router("", members.router)
api.add_router("", products.router)
api.add_router("", lots.router)
api.add_router("", messages.router)
api.add_router("", tokens.router)
api.add_router("", shop.router)
api.add_router("", live.router)
api.add_router("", sync.router)
api.add_exception_handler(sync.DeviceRefused, sync.device_refused)
