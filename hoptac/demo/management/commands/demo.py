from django.core.management.base import BaseCommand

from hoptac.demo.loaders import load_all


class Command(BaseCommand):
    help = (
        "Load the Hà Giang demo: cooperatives, members, accounts, seasons, receipts and ledgers (idempotent)."
    )

    def handle(self, *args, **options):
        load_all(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo ready."))
