from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoopsConfig(AppConfig):
    name = "hoptac.coops"
    label = "coops"
    verbose_name = _("Cooperatives")

    def ready(self):
        from hoptac.coops import checks  # noqa: F401 - registers the demo accounts check
        from hoptac.coops.excel import members_export_job
        from hoptac.core import exports

        exports.register("members", label=_("Member list"), write=members_export_job)
