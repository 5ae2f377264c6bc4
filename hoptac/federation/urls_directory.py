"""The alliance's directory of cooperatives and onboarding, under /alliance/."""

from django.urls import path

from hoptac.federation import directory_views, onboarding_views

app_name = "directory"
urlpatterns = [
    path("", directory_views.entry_list, name="list"),
    path("add-platform/", directory_views.directory_add_platform, name="add_platform"),
    path("template.xlsx", directory_views.directory_template, name="template"),
    path("import/", directory_views.directory_import, name="import"),
    path("import/<uuid:code>/", directory_views.directory_review, name="review"),
    path("entry/<uuid:code>/", directory_views.entry_detail, name="entry"),
    path("entry/<uuid:code>/start/", directory_views.entry_start, name="start"),
    path("entry/<uuid:code>/invite/", directory_views.entry_invite, name="invite"),
    path("requests/", onboarding_views.request_list, name="requests"),
    path("requests/<uuid:code>/", onboarding_views.request_detail, name="request"),
]
