"""Public pages of the alliance: a cooperative asks to join (/join/)."""

app_name = "join"
urlpatterns: list = []
