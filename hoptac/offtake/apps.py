from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfftakeConfig(AppConfig):
    name = "hoptac.offtake"
    label = "offtake"
    verbose_name = _("Buying from members")
