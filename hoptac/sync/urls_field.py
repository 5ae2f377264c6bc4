"""The field app under /c/<slug>/field/: its shell, manifest and service worker."""

from django.urls import path

from hoptac.sync import views_field

app_name = "field"
urlpatterns = [
    path("", views_field.field_shell, name="shell"),
    path("manifest.webmanifest", views_field.field_manifest, name="manifest"),
    path("sw.js", views_field.field_sw, name="sw"),
]
