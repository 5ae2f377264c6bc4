"""Views of buying from members, by area: receipts, setup (seasons, points, prices,
agreements) and reports. Each module has its own ``urlpatterns``."""
