"""Delivery reports from gateways (owned by the gateway clients' module, hooks.py)."""

from django.urls import path

from . import hooks

app_name = "outbox_hooks"
urlpatterns = [
    # The secret in a header or a signature (hooks.authenticate): preferred.
    path("dlr/<str:gateway>/", hooks.delivery_report, name="delivery_report_signed"),
    # The secret in the address, for gateways that can only be given one (redacted from logs).
    path("dlr/<str:gateway>/<str:secret>/", hooks.delivery_report, name="delivery_report"),
]
