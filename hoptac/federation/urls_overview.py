"""The alliance's overview, alerts and periodic report, under /alliance/overview/."""

from django.urls import path

from hoptac.federation import overview_views as views

app_name = "overview"
urlpatterns = [
    path("", views.overview, name="home"),
    path("alerts/", views.alerts, name="alerts"),
    path("cooperatives/", views.coop_list, name="coop_list"),
    path("cooperatives/<slug:coop_slug>/", views.coop_detail, name="coop_detail"),
    path("report/", views.report, name="report"),
]
