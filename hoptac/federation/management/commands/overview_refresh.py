"""``hoptac manage overview_refresh [--province CODE]``: recompute the alliance overview's
summaries now (the worker does it every hour)."""

from django.core.management.base import BaseCommand

from hoptac.federation.summaries.services import overview_refresh


class Command(BaseCommand):
    help = "Recompute the provincial overview's summaries (buying, payments, activity, waiting members)."

    def add_arguments(self, parser):
        parser.add_argument("--province", type=int, default=None, help="Only this province's code.")

    def handle(self, *args, province=None, **options):
        count = overview_refresh(province_code=province)
        self.stdout.write(f"{count} cooperatives refreshed")
