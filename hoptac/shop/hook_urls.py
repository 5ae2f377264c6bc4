from django.urls import path

from hoptac.shop.views import money, shipping

app_name = "shop_hooks"
urlpatterns = [
    # The key travels in headers, never in the address (nothing to redact).
    path("bank/<str:provider>/<slug:coop_slug>/", money.bank_hook, name="bank_hook"),
    path("carrier/<str:carrier>/<slug:coop_slug>/", shipping.carrier_hook, name="carrier_hook"),
]
