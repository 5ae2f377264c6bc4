"""A cooperative's live sales, under ``/c/<slug>/live/``."""

from django.urls import path

from .views import staff as views

app_name = "live_staff"

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("new/", views.session_create, name="session_create"),
    path("reports/", views.reports, name="reports"),
    path("<str:live_code>/", views.session_detail, name="session_detail"),
    path("<str:live_code>/edit/", views.session_edit, name="session_edit"),
    path("<str:live_code>/start/", views.session_start, name="session_start"),
    path("<str:live_code>/end/", views.session_end, name="session_end"),
    path("<str:live_code>/items/add/", views.item_add, name="item_add"),
    path("<str:live_code>/items/<int:item_id>/", views.item_edit, name="item_edit"),
    path("<str:live_code>/items/<int:item_id>/remove/", views.item_remove, name="item_remove"),
    path("<str:live_code>/comments/paste/", views.comments_paste, name="comments_paste"),
    path("<str:live_code>/comments/upload/", views.comments_upload, name="comments_upload"),
    path("<str:live_code>/claims/add/", views.claim_add, name="claim_add"),
    path("<str:live_code>/claims/<int:claim_id>/release/", views.claim_release, name="claim_release"),
    path("<str:live_code>/buyers/", views.buyer_list, name="buyer_list"),
    path("<str:live_code>/screen/", views.screen, name="screen"),
    path("<str:live_code>/screen/panel/", views.screen_panel, name="screen_panel"),
    path("<str:live_code>/report/", views.report, name="report"),
    path("<str:live_code>/report.xlsx", views.report_xlsx, name="report_xlsx"),
]
