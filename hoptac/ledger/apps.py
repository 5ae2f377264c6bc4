from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "hoptac.ledger"
    label = "ledger"
    verbose_name = _("Member ledger")

    def ready(self):
        from hoptac.core import exports
        from hoptac.ledger.xlsx import statement_job

        exports.register("statement", label=_("Member statement"), write=statement_job)
