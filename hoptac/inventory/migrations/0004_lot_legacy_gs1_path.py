"""Public codes go into the GS1 Digital Link from now on; the lots that exist now keep the
old /01/<GTIN>/10/<lot code> address of their printed labels (docs/traceability.md, "Old labels")."""

from django.db import migrations, models


def flag_printed_lots(apps, schema_editor):
    # Every lot whose product has a GTIN now could have been labelled with the old address.
    Lot = apps.get_model("inventory", "Lot")
    Lot._base_manager.exclude(product__gtin="").update(legacy_gs1_path=True)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_products_photos_certificates"),
        ("inventory", "0003_lot_source_removal"),
    ]

    operations = [
        migrations.AddField(
            model_name="lot",
            name="legacy_gs1_path",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(flag_printed_lots, migrations.RunPython.noop, elidable=True),
    ]
