"""A live buyer's own page, ``/mua/<token>/``: their items, address, how to pay."""

from django.urls import path  # noqa: F401

app_name = "live_buyer"

urlpatterns: list = []
