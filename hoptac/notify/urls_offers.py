"""Offers to sell and texts from members, under /c/<slug>/messages/ (merged into the
"notify" namespace by urls.py). Every view is wrapped in coops.access.coop_view."""

from django.urls import path

from . import views_offers

urlpatterns = [
    path("offers/", views_offers.offer_list, name="offer_list"),
    path("offers/<int:offer_id>/", views_offers.offer_detail, name="offer_detail"),
    path("offers/<int:offer_id>/close/", views_offers.offer_close, name="offer_close"),
    path("texts/", views_offers.text_list, name="text_list"),
]
