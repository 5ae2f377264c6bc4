"""Shipments by carrier and COD remittances, under ``/c/<slug>/shipping/``."""

from django.urls import path  # noqa: F401

app_name = "shop_shipping"

urlpatterns: list = []
