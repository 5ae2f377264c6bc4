from django.urls import path

from hoptac.catalog import views

app_name = "catalog"

# Under /c/<slug:coop_slug>/catalog/; every view is wrapped in coops.access.coop_view.
urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("<int:product_id>/", views.product_detail, name="product_detail"),
    path("<int:product_id>/photos/", views.photo_add, name="photo_add"),
    path("<int:product_id>/photos/<int:photo_id>/delete/", views.photo_delete, name="photo_delete"),
    path("<int:product_id>/certificates/", views.certificate_add, name="certificate_add"),
    path("certificates/<int:certificate_id>/document/", views.certificate_document, name="certificate_document"),
    path(
        "<int:product_id>/certificates/<int:certificate_id>/delete/",
        views.certificate_delete,
        name="certificate_delete",
    ),
]
