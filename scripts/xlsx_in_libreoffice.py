"""Open exported workbooks in LibreOffice, as a person would: prints, for each file, the
formulas its sheets hold, how many A4 pages it prints to, and the first lines of each sheet
as LibreOffice shows them (so a user text such as ``=HYPERLINK(...)`` is seen as text).

    scripts/xlsx_in_libreoffice.py members.xlsx statement.xlsx …

Needs LibreOffice (``apt-get install libreoffice-calc-nogui``); the tests do not (they read
the sheet XML). Used once for issue 10: the member export of 120 households prints on 2
pages (18 before), every export of the hostile test data shows the hostile text as typed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def formulas(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        found = []
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                found += re.findall(r"<f[^>]*>([^<]*)</f>", archive.read(name).decode("utf-8", "replace"))
        return found


def convert(soffice: str, path: Path, target: str, outdir: Path) -> None:
    subprocess.run(  # noqa: S603 - our own files, a fixed program
        [soffice, "--headless", "--convert-to", target, "--outdir", str(outdir), str(path)],
        check=True,
        capture_output=True,
        timeout=300,
    )


def main(paths: list[str]) -> int:
    soffice = shutil.which("soffice")
    if soffice is None:
        print("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
        return 2
    for name in paths:
        path = Path(name).resolve()
        with tempfile.TemporaryDirectory() as temp:
            outdir = Path(temp)
            convert(soffice, path, "pdf", outdir)
            # Every sheet to its own CSV (LibreOffice 7.2+: the last option, -1).
            convert(
                soffice,
                path,
                "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                outdir,
            )
            pdf = (outdir / f"{path.stem}.pdf").read_bytes()
            pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
            print(f"== {path.name}: {pages} page(s), formulas: {formulas(path) or 'none'}")
            for csv in sorted(outdir.glob("*.csv")):
                lines = csv.read_text(encoding="utf-8", errors="replace").splitlines()
                print(f"   -- {csv.stem}")
                for line in lines[:6]:
                    print(f"      {line[:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
