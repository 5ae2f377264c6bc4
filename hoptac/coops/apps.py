from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoopsConfig(AppConfig):
    name = "hoptac.coops"
    label = "coops"
    verbose_name = _("Cooperatives")

    def ready(self):
        from hoptac.coops import checks  # noqa: F401 - registers the demo accounts check
