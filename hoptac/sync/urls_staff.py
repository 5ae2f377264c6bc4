"""Staff pages of the field app: devices (list, revoke) and records needing a look."""

from django.urls import path

from hoptac.sync import views

app_name = "sync"
urlpatterns = [
    path("devices/", views.device_list, name="devices"),
    path("devices/<uuid:device_id>/revoke/", views.device_revoke, name="device_revoke"),
    path("settings/", views.settings_edit, name="settings"),
    path("review/", views.review, name="review"),
    path("review/<int:record_id>/", views.record_review, name="record_review"),
]
