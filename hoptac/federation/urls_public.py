"""Public pages of the alliance: a cooperative asks to join (/join/)."""

from django.urls import path

from hoptac.federation import onboarding_views

app_name = "join"
urlpatterns = [
    path("", onboarding_views.join, name="form"),
    path("<uuid:code>/", onboarding_views.join_status, name="status"),
]
