from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from hoptac.coops import invitation_views
from hoptac.coops import views as coop_views
from hoptac.core import views as core_views
from hoptac.core.media import public_media

urlpatterns = [
    path("", coop_views.home, name="home"),
    path("switch/", coop_views.switch, name="switch"),
    # The living page of the design system (docs/architecture.md, "Interface").
    path("ui/", core_views.components, name="ui"),
    # Forgotten passwords: the code is sent through the outbox, hence in notify.
    path("accounts/reset/", include("hoptac.notify.password_reset")),
    path("accounts/", include("hoptac.accounts.urls")),
    path("invitation/<str:token>/", invitation_views.invitation, name="invitation"),
    path("c/<slug:coop_slug>/", include("hoptac.coops.urls")),
    # Inviting staff sends an SMS, which coops may not: these views are notify's.
    path("c/<slug:coop_slug>/staff/", include("hoptac.notify.urls_staff")),
    path("c/<slug:coop_slug>/buying/", include("hoptac.offtake.urls")),
    path("c/<slug:coop_slug>/ledger/", include("hoptac.ledger.urls")),
    path("c/<slug:coop_slug>/catalog/", include("hoptac.catalog.urls")),
    path("c/<slug:coop_slug>/inventory/", include("hoptac.inventory.urls")),
    path("c/<slug:coop_slug>/messages/", include("hoptac.notify.urls")),
    path("c/<slug:coop_slug>/shop/", include("hoptac.shop.urls_staff")),
    path("c/<slug:coop_slug>/money/", include("hoptac.shop.urls_money")),
    path("c/<slug:coop_slug>/shipping/", include("hoptac.shop.urls_shipping")),
    path("c/<slug:coop_slug>/share/", include("hoptac.shop.urls_share")),
    path("c/<slug:coop_slug>/live/facebook/", include("hoptac.live.urls_facebook")),
    path("c/<slug:coop_slug>/live/", include("hoptac.live.urls_staff")),
    # The offline field app (a PWA whose service worker's scope is this path) and its
    # staff pages: devices, records needing a look.
    path("c/<slug:coop_slug>/field/", include("hoptac.sync.urls_field")),
    path("c/<slug:coop_slug>/field-admin/", include("hoptac.sync.urls_staff")),
    # The provincial alliance: directory, onboarding, overview; and the public join page.
    path("alliance/overview/", include("hoptac.federation.urls_overview")),
    path("alliance/", include("hoptac.federation.urls_directory")),
    path("join/", include("hoptac.federation.urls_public")),
    # Gateways call these (no session, no CSRF): a secret per gateway in the address.
    path("hooks/", include("hoptac.outbox.hook_urls")),
    path("hooks/", include("hoptac.notify.hook_urls")),
    path("hooks/", include("hoptac.shop.hook_urls")),
    path("api/v1/", include("hoptac.api.urls")),
    path("", include("hoptac.trace.urls")),
    # Public selling: shops /s/<slug>/, the marketplace /cho/, short links /p/<code>, the
    # cart /gio/ and the buyer's orders /don/.
    path("", include("hoptac.shop.urls_public")),
    path("", include("hoptac.shop.urls_cart")),
    # A live buyer's page (the link sent to them): /mua/<token>/.
    path("mua/", include("hoptac.live.urls_buyer")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG or settings.SERVE_MEDIA:
    # Only the public folders (product photos, logos); private uploads have checked views.
    urlpatterns.append(path("media/<path:path>", public_media, name="media"))
