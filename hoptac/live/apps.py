from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "hoptac.live"
    label = "live"
    verbose_name = _("Live selling")

    def ready(self) -> None:
        # The sales report (shop, a layer below) names live sales through this resolver.
        from hoptac.core import exports
        from hoptac.live.selectors.channels import live_names
        from hoptac.live.xlsx import live_report_job
        from hoptac.shop import channels
        from hoptac.shop.models import Channel

        channels.register(Channel.LIVE, live_names)
        exports.register("live_report", label=_("Results of the live"), write=live_report_job)
