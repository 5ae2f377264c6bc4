"""Share links and the share kit, under ``/c/<slug>/share/``."""

from django.urls import path

from hoptac.shop.views import share

app_name = "shop_share"

urlpatterns = [
    path("", share.link_list, name="link_list"),
    path("products/<int:product_id>/", share.product_kit, name="product_kit"),
    path("products/<int:product_id>/image/", share.product_image, name="product_image"),
    path("lots/<uuid:lot_id>/", share.lot_kit, name="lot_kit"),
    path("lots/<uuid:lot_id>/image/", share.lot_image, name="lot_image"),
    path("links/<str:link_code>/", share.link_kit, name="link_kit"),
    path("links/<str:link_code>/image/", share.link_image, name="link_image"),
]
