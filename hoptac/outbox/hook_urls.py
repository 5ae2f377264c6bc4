"""Delivery reports from gateways (owned by the gateway clients' module, hooks.py)."""

from django.urls import path

from . import hooks

app_name = "outbox_hooks"
urlpatterns = [
    path("dlr/<str:gateway>/<str:secret>/", hooks.delivery_report, name="delivery_report"),
]
