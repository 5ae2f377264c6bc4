from hoptac.ledger import views

app_name = "ledger"

# Under /c/<slug:coop_slug>/ledger/; every view is wrapped in coops.access.coop_view.
urlpatterns = views.urlpatterns
