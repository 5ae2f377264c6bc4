"""Announcements, the outbox, messaging settings and the notice board; merged into the
"notify" namespace by ``notify/urls.py`` under /c/<slug>/messages/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.announcement_list, name="announcement_list"),
    path("announcements/new/", views.announcement_create, name="announcement_create"),
    path("announcements/<int:announcement_id>/", views.announcement_detail, name="announcement_detail"),
    path("announcements/<int:announcement_id>/edit/", views.announcement_edit, name="announcement_edit"),
    path(
        "announcements/<int:announcement_id>/send/", views.announcement_preview, name="announcement_preview"
    ),
    path(
        "announcements/<int:announcement_id>/cancel/", views.announcement_cancel, name="announcement_cancel"
    ),
    path("templates/", views.template_list, name="template_list"),
    path("templates/<int:template_id>/delete/", views.template_delete, name="template_delete"),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:message_id>/", views.message_detail, name="message_detail"),
    path("settings/", views.messaging_settings, name="messaging_settings"),
    path("notices/", views.notices, name="notices"),
]
