from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoopsConfig(AppConfig):
    name = "hoptac.coops"
    label = "coops"
    verbose_name = _("Cooperatives")
