from hoptac.offtake.views import receipts, reports, setup

app_name = "offtake"

# Under /c/<slug:coop_slug>/buying/; every view is wrapped in coops.access.coop_view.
urlpatterns = [*receipts.urlpatterns, *setup.urlpatterns, *reports.urlpatterns]
