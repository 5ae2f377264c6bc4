"""The field app under ``/c/<slug>/field/``: its shell page, web app manifest and service
worker (docs/architecture.md, "The field app (PWA)").

The shell is one page; everything after it happens in the phone (``static/hoptac/field/``):
the records live in IndexedDB and go to the server through the sync API. The service
worker, served from the field path so that its scope is the field app, keeps the shell and
its assets in Cache Storage under a version made from the files' contents, so the app opens
with no network after one online visit, and a new version replaces the old one whole.
"""

from __future__ import annotations

import functools
import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hoptac.coops.access import coop_view
from hoptac.coops.selectors import village_list
from hoptac.core.roles import Perm
from hoptac.lib import places
from hoptac.lib.units import UNIT_LABELS

# Everything the shell loads, as the service worker precaches it. The modules import each
# other by relative path, so they are served under their plain names (not the hashed names
# of the manifest storage); the service worker's version is the hash of their contents.
# Files that are not there (sms.js before the SMS hand-over exists) are left out.
ASSETS = (
    "hoptac/field/field.css",
    "hoptac/field/app.js",
    "hoptac/field/store.js",
    "hoptac/field/sync.js",
    "hoptac/field/money.js",
    "hoptac/field/print.js",
    "hoptac/field/sms.js",
    "hoptac/field/icon.svg",
    "hoptac/field/icon-192.png",
    "hoptac/field/icon-512.png",
)
# Files whose change makes a new version (the assets and the templates of the shell).
TEMPLATES = ("sync/field.html", "sync/field-sw.js")

THEME_COLOUR = "#1f5f3f"


def _asset_paths() -> list[tuple[str, str]]:
    """(static path, file on disk) of each asset that exists."""
    found = []
    for name in ASSETS:
        path = finders.find(name)
        if path:
            found.append((name, path))
    return found


def _compute_version() -> str:
    digest = hashlib.sha256()
    for name, path in _asset_paths():
        digest.update(name.encode())
        with open(path, "rb") as handle:
            digest.update(handle.read())
    for name in TEMPLATES:
        digest.update(get_template(name).template.source.encode())
    return digest.hexdigest()[:16]


_cached_version = functools.cache(_compute_version)


def assets_version() -> str:
    """The field app's version: a hash of its files (recomputed on each call under DEBUG)."""
    return _compute_version() if settings.DEBUG else _cached_version()


def asset_urls() -> list[str]:
    return [settings.STATIC_URL + name for name, _path in _asset_paths()]


def field_urls(slug: str) -> dict[str, str]:
    return {
        "shell": reverse("field:shell", args=[slug]),
        "manifest": reverse("field:manifest", args=[slug]),
        "sw": reverse("field:sw", args=[slug]),
    }


def ui_strings() -> dict[str, str]:
    """Every text the field app shows, in the language of the request (the app embeds
    them; it has no catalogue of its own)."""
    return {
        "app": _("Field app"),
        "online": _("Online"),
        "offline": _("No network"),
        "waiting": _("Waiting to send"),
        "sent": _("Sent"),
        "lastSync": _("Last sync"),
        "never": _("never"),
        "sendNow": _("Send now"),
        "sending": _("Sending…"),
        "newReceipt": _("Purchase receipt"),
        "newAdvance": _("Cash advance"),
        "newLoan": _("Input loan"),
        "newHousehold": _("New household"),
        "records": _("Records on this phone"),
        "noRecords": _("No records yet."),
        "back": _("Back"),
        "home": _("Home"),
        "save": _("Save"),
        "member": _("Member"),
        "searchMember": _("Search by name, village or phone"),
        "noMemberFound": _("No member found. Check the spelling, or register a new household."),
        "chooseMember": _("Choose the member first."),
        "change": _("Change"),
        "point": _("Collection point"),
        "none": _("None"),
        "product": _("Product"),
        "grade": _("Grade"),
        "gradeN": _("Grade %(n)s") % {"n": "{n}"},
        "quantity": _("Quantity"),
        "unit": _("Unit"),
        "deduction": _("Deduction (%)"),
        "price": _("Price"),
        "perUnit": _("per %(unit)s") % {"unit": "{unit}"},
        "amount": _("Amount"),
        "total": _("Total"),
        "net": _("Net quantity"),
        "note": _("Note"),
        "memo": _("Memo"),
        "item": _("Item handed out"),
        "value": _("Value (đồng)"),
        "amountVnd": _("Amount (đồng)"),
        "name": _("Full name"),
        "phone": _("Phone"),
        "village": _("Village"),
        "commune": _("Commune / ward"),
        "gender": _("Gender"),
        "female": _("Female"),
        "male": _("Male"),
        "birthYear": _("Year of birth"),
        "provisional": _("New household, not yet accepted by the staff"),
        "fixedPrice": _("Agreement: fixed price"),
        "floorPrice": _("Agreement: floor price"),
        "noPrice": _("The phone knows no price for this product and grade: send and receive first."),
        "badNumber": _("Write a number the Vietnamese way, e.g. 12,5 or 1.250."),
        "tooManyDecimals": _("At most 3 decimals."),
        "mustBePositive": _("Must be more than 0."),
        "deductionRange": _("The deduction must be between 0 and 50%."),
        "badMoney": _("Write a whole number of đồng, e.g. 500.000."),
        "required": _("This field is required."),
        "badPhone": _("Write a phone number of 10 digits, e.g. 0912345678."),
        "badYear": _("Write a year such as 1980."),
        "overLimit": _("More than the advance limit (%(limit)s): it will wait for the chair's approval.")
        % {"limit": "{limit}"},
        "saved": _("Saved on this phone."),
        "receipt": _("Receipt"),
        "advance": _("Advance"),
        "loan": _("Loan"),
        "household": _("Household"),
        "phoneNo": _("Phone's number"),
        "serverNo": _("Cooperative's number"),
        "state_waiting": _("Waiting to send"),
        "state_sending": _("Sending"),
        "state_applied": _("Sent"),
        "state_flagged": _("Sent, the accountant will check the price"),
        "state_pending": _("Sent, waiting for approval"),
        "state_refused": _("Refused"),
        "state_conflict": _("Refused"),
        "print": _("Print"),
        "printBt": _("Print on a Bluetooth printer"),
        "noBluetooth": _(
            "This browser cannot reach a Bluetooth printer (Chrome on Android can). "
            "Show this screen to the member, or use Print."
        ),
        "btFailed": _("The printer could not be reached: %(error)s") % {"error": "{error}"},
        "btPrinted": _("Sent to the printer."),
        "sms": _("Send by SMS"),
        "smsHelp": _(
            "No data connection for a long time? Send this record as one SMS to the cooperative. "
            "Your SMS app opens with the text filled in: press Send there."
        ),
        "smsOpened": _("Sent by SMS: the cooperative's reply will bring the number."),
        "setupTitle": _("Set up this phone"),
        "setupHelp": _(
            "Once, with network: give this phone a name the chair will recognise. "
            "After that the app works without network."
        ),
        "setupAgain": _("Set up this phone again"),
        "setupAgainTitle": _("Set up this phone again"),
        "setupAgainHelp": _(
            "The chair switched this phone off. Set it up again, with network: the records not sent "
            "stay on the phone and are sent once it is set up."
        ),
        "copyRecord": _("Copy into a new record"),
        "phoneName": _("Name of this phone"),
        "phoneNameDefault": _("Phone of %(name)s") % {"name": "{name}"},
        "register": _("Set up"),
        "needNetwork": _("Connect to the network once to set up this phone."),
        "firstPull": _("Loading the members and prices…"),
        "dataAge": _("Members and prices from %(when)s") % {"when": "{when}"},
        "blocked": _("This phone can no longer send: %(message)s Records not sent stay on the phone.")
        % {"message": "{message}"},
        "signedInAs": _("Signed in as %(name)s") % {"name": "{name}"},
        "dateTime": _("Date and time"),
        "showMember": _("Show this to the member"),
        "newRecord": _("New record"),
        "error": _("Something went wrong: %(error)s") % {"error": "{error}"},
        "storageError": _(
            "This browser does not let the app keep records (private window?). Open it in a normal window."
        ),
    }


def _places(cooperative) -> dict:
    """The communes a new household may be in (the cooperative's own and those of its
    villages) and the known villages with their commune, for the household form."""
    villages = [(v.name, v.commune_code) for v in village_list()[:2000]]
    codes = [cooperative.commune_code] + sorted(
        {code for _name, code in villages} - {cooperative.commune_code}
    )
    return {
        "commune": cooperative.commune_code,
        "communes": [[code, places.commune_name(code) or str(code)] for code in codes],
        "villages": [list(v) for v in villages],
    }


@require_GET
@coop_view(Perm.RECEIPT_RECORD)
def field_shell(request):
    cooperative = request.cooperative
    user = request.user
    config = {
        "slug": cooperative.slug,
        "coop": cooperative.name,
        "user": user.get_full_name() or user.get_username(),
        "userId": user.pk,
        "lang": get_language() or settings.LANGUAGE_CODE,
        "urls": {
            **field_urls(cooperative.slug),
            "login": reverse("accounts:login"),
            "static": settings.STATIC_URL,
        },
        "version": assets_version(),
        "units": {str(code): str(label) for code, label in UNIT_LABELS.items()},
        "places": _places(cooperative),
        "strings": ui_strings(),
    }
    context = {
        "config": config,
        "urls": config["urls"],
        "static_field": settings.STATIC_URL + "hoptac/field/",
        "theme_colour": THEME_COLOUR,
        "csrf": get_token(request),
    }
    return render(request, "sync/field.html", context)


@require_GET
@coop_view(Perm.RECEIPT_RECORD)
def field_manifest(request):
    cooperative = request.cooperative
    urls = field_urls(cooperative.slug)
    icons = settings.STATIC_URL + "hoptac/field/"
    manifest = {
        "name": f"{cooperative.name} · {_('Field app')}",
        "short_name": _("Field app")[:12],
        "description": _("Purchase receipts, advances and loans in the villages, with or without network."),
        "lang": get_language() or settings.LANGUAGE_CODE,
        "id": urls["shell"],
        "start_url": urls["shell"],
        "scope": urls["shell"],
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": icons + "icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": icons + "icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": icons + "icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    return HttpResponse(
        json.dumps(manifest, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8"
    )


@require_GET
@coop_view(Perm.RECEIPT_RECORD)
def field_sw(request):
    cooperative = request.cooperative
    urls = field_urls(cooperative.slug)
    config = {
        "version": assets_version(),
        "shell": urls["shell"],
        "manifest": urls["manifest"],
        "assets": asset_urls(),
        "api": f"/api/v1/c/{cooperative.slug}/",
    }
    template = get_template("sync/field-sw.js").template.source
    body = "const CONFIG = " + json.dumps(config) + ";\n" + template
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on each visit; this answer must never be reused.
    response["Service-Worker-Allowed"] = urls["shell"]
    return response
