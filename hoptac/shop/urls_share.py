"""Share links and the share kit, under ``/c/<slug>/share/``."""

from django.urls import path  # noqa: F401

app_name = "shop_share"

urlpatterns: list = []
