"""Inbound SMS from gateways: members' commands (owned by notify/inbound.py)."""

from django.urls import path

from . import inbound

app_name = "notify_hooks"
urlpatterns = [
    # The secret in a header or a signature (outbox.hooks.authenticate): preferred.
    path("sms/<str:gateway>/", inbound.webhook, name="inbound_sms_signed"),
    # The secret in the address, for gateways that can only be given one (redacted from logs).
    path("sms/<str:gateway>/<str:secret>/", inbound.webhook, name="inbound_sms"),
]
