from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfftakeConfig(AppConfig):
    name = "hoptac.offtake"
    label = "offtake"
    verbose_name = _("Buying from members")

    def ready(self):
        from hoptac.core import exports
        from hoptac.offtake.exports import purchase_list_job, season_summary_job

        exports.register("purchase_list", label=_("Purchase list without invoices"), write=purchase_list_job)
        exports.register("season_summary", label=_("Season summary"), write=season_summary_job)
