"""A live buyer's own page, ``/mua/<token>/``: their items, address, how to pay."""

from django.urls import path

from hoptac.live.views import buyer

app_name = "live_buyer"

urlpatterns = [
    path("<str:token>/", buyer.buyer_page, name="page"),
]
