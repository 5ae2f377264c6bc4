from django.core.management.base import BaseCommand

from hoptac.coops.demo import load_demo


class Command(BaseCommand):
    help = "Load the Hà Giang demo cooperatives, members and accounts (idempotent)."

    def handle(self, *args, **options):
        counts = load_demo(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo ready ({sum(counts.values())} new members)."))
