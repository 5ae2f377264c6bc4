from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hoptac.demo.province import Size, province_check, province_generate, size_from_scale


class Command(BaseCommand):
    help = (
        "Generate a whole province for measuring (800 cooperatives, 80,000 households and "
        "1,000,000 purchase receipts by default; --scale 0.01 for a hundredth), then check it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, help="a fraction of the full province, e.g. 0.01")
        parser.add_argument("--cooperatives", type=int)
        parser.add_argument("--households", type=int)
        parser.add_argument("--receipts", type=int)
        parser.add_argument("--seed", type=int, default=15)
        parser.add_argument("--prefix", default="tinh", help="slug prefix of the generated cooperatives")
        parser.add_argument("--check-only", action="store_true", help="only check a generated province")

    def handle(self, *args, **options):
        prefix = options["prefix"]
        if not options["check_only"]:
            size = size_from_scale(options["scale"]) if options["scale"] else Size()
            size = Size(
                cooperatives=options["cooperatives"] or size.cooperatives,
                households=options["households"] or size.households,
                receipts=size.receipts if options["receipts"] is None else options["receipts"],
            )
            try:
                counts = province_generate(size=size, seed=options["seed"], prefix=prefix, stdout=self.stdout)
            except (ValidationError, ValueError) as error:
                raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
            self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))
        problems = province_check(prefix=prefix)
        if problems:
            raise CommandError("\n".join(problems[:20]))
        self.stdout.write(self.style.SUCCESS("The province is valid."))
