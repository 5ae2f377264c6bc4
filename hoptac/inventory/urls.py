from django.urls import path

from hoptac.inventory import views

app_name = "inventory"

# Under /c/<slug:coop_slug>/inventory/; every view is wrapped in coops.access.coop_view.
urlpatterns = [
    path("lots/", views.lot_list, name="lot_list"),
    path("lots/new-raw/", views.lot_raw_create, name="lot_raw_create"),
    path("lots/new-finished/", views.lot_finished_create, name="lot_finished_create"),
    path("lots/<uuid:lot_id>/", views.lot_detail, name="lot_detail"),
    path("lots/<uuid:lot_id>/steps/", views.step_create, name="step_create"),
    path("lots/<uuid:lot_id>/stock/", views.movement_create, name="movement_create"),
    path("lots/<uuid:lot_id>/take-out/", views.receipt_take_out, name="receipt_take_out"),
    path("stock/", views.stock, name="stock"),
]
