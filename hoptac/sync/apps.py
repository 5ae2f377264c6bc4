from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    name = "hoptac.sync"
    label = "sync"
    verbose_name = _("Field app and sync")
