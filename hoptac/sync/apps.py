from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    name = "hoptac.sync"
    label = "sync"
    verbose_name = _("Field app and sync")

    def ready(self) -> None:
        # Field records handed over by SMS ("HT1 …"): the inbound webhook (notify, a layer
        # below) hands such texts to this handler before the member commands.
        from hoptac.notify import prefixes
        from hoptac.sync import smsform, smsinbound

        prefixes.register(smsform.FORM, smsinbound.handle)
