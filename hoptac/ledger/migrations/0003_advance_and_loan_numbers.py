"""Cash advances and input loans carry their number (TU-000123, VT-000123: the entry's id,
what the field app showed) in ``code``, shown on the member's ledger page. The entries
written before get theirs here, and the reversals of them the same code (as a reversal
copies the code of what it reverses)."""

from django.db import migrations

# As ledger.models.entry_number was when this was written.
PREFIX = {"advance": "TU", "input_loan": "VT"}


def number_advances_and_loans(apps, schema_editor):
    Entry = apps.get_model("ledger", "Entry")
    entries = Entry._base_manager
    numbered = entries.filter(kind__in=list(PREFIX), code="").only("pk", "kind").order_by("pk")
    while chunk := list(numbered[:1000]):  # numbered ones leave the query
        for entry in chunk:
            entry.code = f"{PREFIX[entry.kind]}-{entry.pk:06d}"
        entries.bulk_update(chunk, ["code"])
    reversals = entries.filter(kind="reversal", code="", reverses__kind__in=list(PREFIX)).select_related(
        "reverses"
    )
    for reversal in reversals.iterator():
        entries.filter(pk=reversal.pk).update(code=reversal.reverses.code)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_closed_periods_and_bank_payouts")]

    operations = [migrations.RunPython(number_advances_and_loans, migrations.RunPython.noop, elidable=True)]
