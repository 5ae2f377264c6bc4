"""Pages under /c/<slug>/messages/: announcements and the outbox (urls_announce), SMS
commands and offers to sell (urls_offers)."""

from . import urls_announce, urls_offers

app_name = "notify"
urlpatterns = [*urls_announce.urlpatterns, *urls_offers.urlpatterns]
