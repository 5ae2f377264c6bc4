from django.urls import path  # noqa: F401

app_name = "shop_public"
urlpatterns: list = []
