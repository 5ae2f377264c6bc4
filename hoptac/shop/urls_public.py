"""Public selling pages, mounted at the site root (short addresses for captions and QRs)."""

from django.urls import path

from hoptac.shop.views import public, share

app_name = "shop_public"
urlpatterns = [
    path("cho/", public.market, name="market"),
    path("sitemap.xml", public.sitemap, name="sitemap"),
    path("p/<str:code>", public.short_link, name="short"),
    path("l/<str:code>", share.link_visit, name="share_link"),
    path("s/<slug:slug>/", public.shop_home, name="shop"),
    path("s/<slug:slug>/<str:code>/", public.product, name="product"),
    path("s/<slug:slug>/<str:code>/share.jpg", public.share_image, name="share"),
]
