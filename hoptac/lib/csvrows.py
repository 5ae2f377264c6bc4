"""CSV files as the banks and carriers export them, read into numbered rows.

One reader for the bank statements (``lib/banknotify.py``) and the carriers' COD remittance
reports (``lib/remittance.py``): UTF-8 with or without BOM, else Windows-1258 (whose tones
come as combining marks, so the text is NFC-normalised); the delimiter is the commonest of
``;`` ``,`` and tab in the first 50 lines; the row and column limits are those of
``lib/xlsx.Limits`` so a CSV is held to what a workbook is. Pure: no models.
"""

from __future__ import annotations

import csv
import io
import unicodedata

from django.utils.translation import gettext as _

from hoptac.lib import xlsx

ENCODINGS = ("utf-8-sig", "cp1258")
DELIMITERS = (";", ",", "\t")


class CsvRefused(ValueError):
    """A CSV file refused. ``code``: ``encoding``, ``binary`` (not text: the caller says
    what it expected instead), ``rows``, ``columns`` or ``csv`` (damaged); ``message`` is
    for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def read_csv_rows(content: bytes, limits: xlsx.Limits | None = None) -> tuple[list[tuple[int, tuple]], str]:
    """``(row number from 1, values)`` of every row, and the encoding it was read in
    (``utf-8`` or ``cp1258``)."""
    limits = limits or xlsx.Limits()
    for encoding in ENCODINGS:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1258 decodes almost everything
        raise CsvRefused("encoding", _("The file's text encoding could not be read."))
    if "\x00" in text:
        raise CsvRefused("binary", "")
    text = unicodedata.normalize("NFC", text)  # cp1258 writes tones as combining marks
    sample = "\n".join(text.splitlines()[:50])
    counts = {d: sample.count(d) for d in DELIMITERS}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    rows = []
    try:
        for number, values in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            if number > limits.rows:
                raise CsvRefused(
                    "rows",
                    _("The file has more than %(max)s rows.") % {"max": f"{limits.rows:,}".replace(",", ".")},
                )
            if len(values) > limits.columns:
                raise CsvRefused(
                    "columns", _("The file has more than %(max)s columns.") % {"max": limits.columns}
                )
            rows.append((number, tuple(values)))
    except csv.Error:
        raise CsvRefused("csv", _("The CSV file is damaged and could not be read.")) from None
    return rows, "utf-8" if encoding == "utf-8-sig" else encoding
