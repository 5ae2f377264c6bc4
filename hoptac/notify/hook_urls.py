"""Inbound SMS from gateways: members' commands (owned by notify/inbound.py)."""

from django.urls import path

from . import inbound

app_name = "notify_hooks"
urlpatterns = [
    path("sms/<str:gateway>/<str:secret>/", inbound.webhook, name="inbound_sms"),
]
