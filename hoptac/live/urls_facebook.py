"""Facebook pages and reading a live video's comments, under ``/c/<slug>/live/facebook/``."""

from django.urls import path

from hoptac.live.views import facebook as views

app_name = "live_facebook"

urlpatterns = [
    path("", views.pages, name="pages"),
    path("pages/add/", views.page_add, name="page_add"),
    path("pages/remove/", views.page_remove, name="page_remove"),
    path("lives/video/", views.live_link, name="live_link"),
    path("lives/pull/", views.pull, name="pull"),
    path("lives/links/", views.send_all, name="send_all"),
    path("buyers/link/", views.send_link, name="send_link"),
]
