"""Facebook pages and reading a live video's comments, under ``/c/<slug>/live/facebook/``."""

from django.urls import path  # noqa: F401

app_name = "live_facebook"

urlpatterns: list = []
