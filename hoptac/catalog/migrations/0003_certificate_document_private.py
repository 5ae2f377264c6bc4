"""Certificate scans become private files: from MEDIA_ROOT/certificates/ (served to anyone
with the link) to PRIVATE_MEDIA_ROOT/certificates/ (served only by a view that checks the
permission). The stored names stay the same; only the files move."""

import shutil
from pathlib import Path

from django.conf import settings
from django.db import migrations, models

import hoptac.core.media


def _move(apps, source_root, target_root) -> None:
    Certificate = apps.get_model("catalog", "Certificate")
    names = Certificate._base_manager.exclude(document="").values_list("document", flat=True)
    for name in names:
        if not name or ".." in Path(name).parts or Path(name).is_absolute():
            continue
        source = Path(source_root) / name
        target = Path(target_root) / name
        if source.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)


def to_private(apps, schema_editor):
    _move(apps, settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)


def to_public(apps, schema_editor):
    _move(apps, settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_products_photos_certificates"),
    ]

    operations = [
        migrations.AlterField(
            model_name="certificate",
            name="document",
            field=models.FileField(
                blank=True,
                storage=hoptac.core.media.private_storage,
                upload_to="certificates/",
                verbose_name="document",
            ),
        ),
        migrations.RunPython(to_private, to_public),
    ]
