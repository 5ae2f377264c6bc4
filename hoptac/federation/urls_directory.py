"""The alliance's directory of cooperatives and onboarding, under /alliance/."""

app_name = "directory"
urlpatterns: list = []
