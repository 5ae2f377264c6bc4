"""The buyer's pages: the cart (/gio/), the checkout, the confirmation and the order page (/don/)."""

from django.urls import path

from hoptac.shop.views import cart as views

app_name = "shop_cart"
urlpatterns = [
    path("gio/", views.cart_view, name="cart"),
    path("gio/them/", views.cart_add, name="add"),
    path("gio/sua/", views.cart_update, name="update"),
    path("gio/thanh-toan/", views.checkout, name="checkout"),
    path("don/", views.lookup, name="lookup"),
    path("don/xong/", views.done, name="done"),
    path("don/<str:code>/", views.order_page, name="order"),
    path("don/<str:code>/huy/", views.order_cancel, name="cancel"),
]
