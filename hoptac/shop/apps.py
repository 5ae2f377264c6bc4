from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "hoptac.shop"
    label = "shop"
    verbose_name = _("Shop")

    def ready(self) -> None:
        from hoptac.core import exports
        from hoptac.shop import channels
        from hoptac.shop.models import Channel
        from hoptac.shop.selectors.share import share_link_names
        from hoptac.shop.xlsx import cash_book_job, sales_job

        channels.register(Channel.SHARE, share_link_names)
        exports.register("sales", label=_("Sales reports"), write=sales_job)
        exports.register("cash_book", label=_("Cash book"), write=cash_book_job)
