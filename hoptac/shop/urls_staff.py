"""The cooperative's selling pages, under ``/c/<slug>/shop/``."""

from django.urls import path

from hoptac.shop.views import reports, staff

app_name = "shop_staff"

urlpatterns = [
    path("", staff.order_list, name="order_list"),
    path("orders/<str:order_code>/", staff.order_detail, name="order_detail"),
    path("orders/<str:order_code>/move/", staff.order_move, name="order_move"),
    path("orders/<str:order_code>/cash/", staff.order_cash, name="order_cash"),
    path("orders/<str:order_code>/invoice/", staff.order_invoice, name="order_invoice"),
    path("orders/<str:order_code>/slip/", staff.order_slip, name="order_slip"),
    path("settings/", staff.shop_settings, name="settings"),
    path("settings/rates/", staff.rate_add, name="rate_add"),
    path("settings/rates/remove/", staff.rate_remove, name="rate_remove"),
    path("products/", staff.listing_list, name="listing_list"),
    path("products/<int:product_id>/", staff.listing_edit, name="listing_edit"),
    path("products/<int:product_id>/tiers/", staff.tier_add, name="tier_add"),
    path("products/<int:product_id>/tiers/remove/", staff.tier_remove, name="tier_remove"),
    path("reports/", reports.sales, name="reports"),
    path("reports/sales.xlsx", reports.sales_xlsx, name="reports_xlsx"),
]
