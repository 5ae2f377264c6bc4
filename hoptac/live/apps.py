from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "hoptac.live"
    label = "live"
    verbose_name = _("Live selling")

    def ready(self) -> None:
        # The sales report (shop, a layer below) names live sales through this resolver.
        from hoptac.live.selectors.channels import live_names
        from hoptac.shop import channels
        from hoptac.shop.models import Channel

        channels.register(Channel.LIVE, live_names)
