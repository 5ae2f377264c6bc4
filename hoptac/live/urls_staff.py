"""A cooperative's live sales, under ``/c/<slug>/live/``."""

from django.urls import path  # noqa: F401

app_name = "live_staff"

urlpatterns: list = []
