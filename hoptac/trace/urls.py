"""Mounted at the site root: the public trace paths are short because they go into QRs."""

from django.urls import path

from hoptac.trace import views

app_name = "trace"

urlpatterns = [
    path("t/<str:code>", views.trace_page, name="page"),
    path("01/<str:gtin>/10/<str:batch>", views.gs1_resolver, name="gs1"),
    path("healthz", views.healthz, name="healthz"),
    path("schema/trace-export.schema.json", views.schema, name="schema"),
    path("c/<slug:coop_slug>/trace/lots/<uuid:lot_id>/labels/", views.labels, name="labels"),
    path("c/<slug:coop_slug>/trace/lots/<uuid:lot_id>/export.json", views.export, name="export"),
]
