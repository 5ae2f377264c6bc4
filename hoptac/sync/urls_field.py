"""The field app under /c/<slug>/field/: its shell, manifest and service worker."""

app_name = "field"
urlpatterns: list = []
