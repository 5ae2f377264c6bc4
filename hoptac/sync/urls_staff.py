"""Staff pages of the field app: devices (list, revoke) and records needing a look."""

app_name = "sync"
urlpatterns: list = []
