from io import StringIO

from django.core.management import call_command


def test_models_and_migrations_agree(db):
    """Every model change has its migration (a missing one would surface only in production)."""
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when one is missing
        raise AssertionError(out.getvalue()) from exc
