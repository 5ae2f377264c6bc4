"""The alliance's overview, alerts and periodic report, under /alliance/overview/."""

app_name = "overview"
urlpatterns: list = []
