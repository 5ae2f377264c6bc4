from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "hoptac.shop"
    label = "shop"
    verbose_name = _("Shop")

    def ready(self) -> None:
        from hoptac.shop import channels
        from hoptac.shop.models import Channel
        from hoptac.shop.selectors.share import share_link_names

        channels.register(Channel.SHARE, share_link_names)
