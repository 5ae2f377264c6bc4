"""Redocly's own lint of the API schema: ``redocly lint --extends=recommended``.

    .venv/bin/python scripts/lint_openapi.py

Needs Node and the Redocly CLI (``npm install -g @redocly/cli``). The test suite checks the
schema with openapi-spec-validator and our own copy of the recommended rules that matter
(tests/test_openapi.py); this script runs Redocly itself, before closing an issue that
touches the API. Prints Redocly's report; exits non-zero on any error or warning.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    redocly = shutil.which("redocly")
    if redocly is None:
        print("redocly is not on PATH: npm install -g @redocly/cli", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hoptac-openapi-") as folder:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")
        os.environ.setdefault("HOPTAC_DATA_DIR", folder)
        import django

        django.setup()
        from hoptac.api.api import api

        document = Path(folder) / "openapi.json"
        document.write_text(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), ensure_ascii=False))
        result = subprocess.run(  # noqa: S603 - a fixed command on our own file
            [redocly, "lint", "--extends=recommended", "--format=stylish", str(document)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=folder,
            env={**os.environ, "REDOCLY_TELEMETRY": "off", "HOME": folder},
        )
    output = result.stdout + result.stderr
    print(output)
    warned = "warning" in output.lower().replace("deprecation warning", "")
    return 1 if result.returncode or warned else 0


if __name__ == "__main__":
    sys.exit(main())
