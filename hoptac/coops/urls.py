from django.urls import path

from hoptac.coops import exports, picker, views

app_name = "coops"

# Every path here is under /c/<slug:coop_slug>/ and every view is wrapped in coop_view.
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("members/", views.member_list, name="member_list"),
    path("members/search", picker.member_search, name="member_search"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/import/", views.member_import, name="member_import"),
    path("members/import/template.xlsx", views.member_template, name="member_template"),
    path("members/export.xlsx", views.member_export, name="member_export"),
    path("members/<uuid:member_id>/", views.member_detail, name="member_detail"),
    path("members/<uuid:member_id>/edit/", views.member_edit, name="member_edit"),
    path("members/<uuid:member_id>/leave/", views.member_leave, name="member_leave"),
    path("members/<uuid:member_id>/rejoin/", views.member_rejoin, name="member_rejoin"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/<int:group_id>/", views.group_detail, name="group_detail"),
    path("settings/", views.coop_settings, name="settings"),
    path("exports/<int:job_id>/", exports.export_job, name="export_job"),
    path("exports/<int:job_id>/file", exports.export_file, name="export_file"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:membership_id>/remove/", views.staff_remove, name="staff_remove"),
    path("staff/<int:membership_id>/password/", views.staff_password, name="staff_password"),
    path(
        "staff/invitations/<int:invitation_id>/cancel/", views.invitation_cancel, name="invitation_cancel"
    ),
]
