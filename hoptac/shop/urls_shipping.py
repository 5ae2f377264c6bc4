"""Shipments by carrier and COD remittances, under ``/c/<slug>/shipping/``."""

from django.urls import path

from hoptac.shop.views import shipping

app_name = "shop_shipping"

urlpatterns = [
    path("", shipping.shipment_list, name="shipment_list"),
    path("create-all/", shipping.shipments_create_all, name="shipments_create_all"),
    path("orders/<str:order_code>/create/", shipping.shipment_create, name="shipment_create"),
    path("<int:shipment_id>/", shipping.shipment_detail, name="shipment_detail"),
    path("<int:shipment_id>/label/", shipping.shipment_label, name="shipment_label"),
    path("<int:shipment_id>/cancel/", shipping.shipment_cancel, name="shipment_cancel"),
    path("carriers/", shipping.carrier_list, name="carrier_list"),
    path("carriers/account/", shipping.carrier_account, name="carrier_account"),
    path("carriers/secret/", shipping.carrier_secret, name="carrier_secret"),
    path("remittances/", shipping.remittance_list, name="remittance_list"),
    path("remittances/<int:remittance_id>/", shipping.remittance_detail, name="remittance_detail"),
    path(
        "remittances/lines/<int:line_id>/resolve/",
        shipping.remittance_line_resolve,
        name="remittance_line_resolve",
    ),
]
