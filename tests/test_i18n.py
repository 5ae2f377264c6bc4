"""The Vietnamese catalogue: complete, compiled, current with the code, and used by pages.

The interface is Vietnamese first: every string in the code is an English msgid and
``hoptac/locale/vi/LC_MESSAGES/django.po`` gives its Vietnamese. The compiled ``.mo`` is
committed so that a machine without GNU gettext still shows Vietnamese. After changing
strings, run ``make messages`` and translate the new entries.

An app may keep its own ``locale/vi`` catalogue for a while (Django loads it too, and
``makemessages`` writes that app's strings there): every catalogue in the package is held
to the same rules, and together they must cover every string of the code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
from django.conf import settings

import hoptac

PACKAGE_DIR = Path(hoptac.__file__).resolve().parent
PO_PATH = PACKAGE_DIR / "locale" / "vi" / "LC_MESSAGES" / "django.po"
FIX = "Run `make messages`, translate the new entries in django.po and compile it again."

# Python format placeholders (named or positional) and Django template variables.
_NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifgeExXr]")
_POSITIONAL = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdifgeExXr]")
_TEMPLATE_VAR = re.compile(r"\{\{\s*([\w.|:\"']+?)\s*\}\}")


def placeholders(text: str) -> tuple[frozenset[str], Counter]:
    """Named placeholders (``%(x)s``, ``{{ x }}``) as a set; positional ones (``%s``) counted."""
    text = text.replace("%%", "")
    named = {f"%({name})" for name in _NAMED.findall(text)}
    named |= {"{{ %s }}" % name for name in _TEMPLATE_VAR.findall(text)}  # noqa: UP031
    rest = _TEMPLATE_VAR.sub("", _NAMED.sub("", text))
    return frozenset(named), Counter(_POSITIONAL.findall(rest))


def catalogue_paths() -> list[Path]:
    """The main catalogue first, then any app's own (``hoptac/<app>/locale/vi/...``)."""
    assert PO_PATH.exists(), f"{PO_PATH} is missing. {FIX}"
    others = sorted(p for p in PACKAGE_DIR.glob("*/**/locale/vi/LC_MESSAGES/django.po") if p != PO_PATH)
    return [PO_PATH, *others]


def _catalogue(path: Path = PO_PATH) -> polib.POFile:
    assert path.exists(), f"{path} is missing. {FIX}"
    return polib.pofile(str(path))


def _key(entry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def _pairs(catalogue) -> set[tuple]:
    """(context, msgid, msgid_plural, translations) of every entry of a .po or .mo file."""
    pairs = set()
    for entry in catalogue:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            forms = tuple(sorted((int(k), v) for k, v in entry.msgstr_plural.items()))
            pairs.add((entry.msgctxt or "", entry.msgid, entry.msgid_plural, forms))
        else:
            pairs.add((entry.msgctxt or "", entry.msgid, "", entry.msgstr))
    return pairs


def _translated_keys(path: Path) -> set[tuple[str, str]]:
    return {_key(e) for e in _catalogue(path) if e.translated()}


def assert_catalogue_complete(path: Path = PO_PATH) -> None:
    """(a) Every entry translated, nothing fuzzy, the placeholders kept, the header right.

    An app's own catalogue may leave an entry empty (``makemessages`` adds the app's
    strings there) when the main catalogue translates it: Django then uses the main one.
    """
    po = _catalogue(path)
    elsewhere = _translated_keys(PO_PATH) if path != PO_PATH else set()
    assert not po.metadata_is_fuzzy, f"The header of {path} is still marked fuzzy."
    assert po.metadata.get("Language") == "vi", path
    assert "charset=UTF-8" in po.metadata.get("Content-Type", ""), path
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;", path

    problems = []
    for entry in po:
        where = f"{entry.msgid!r} ({', '.join(f'{f}:{n}' for f, n in entry.occurrences[:2])})"
        if entry.obsolete:
            problems.append(f"obsolete entry kept: {where}")
            continue
        if not entry.translated() and _key(entry) in elsewhere:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {where}")
        if entry.msgid_plural:
            # Vietnamese has one form, used for every number: it must say what the plural says.
            if set(entry.msgstr_plural) != {0}:
                problems.append(f"needs exactly one plural form msgstr[0]: {where}")
            translations = list(entry.msgstr_plural.values())
            expected = placeholders(entry.msgid_plural)
        else:
            translations = [entry.msgstr]
            expected = placeholders(entry.msgid)
        for text in translations:
            if not text.strip():
                problems.append(f"untranslated: {where}")
            elif placeholders(text) != expected:
                problems.append(f"placeholders differ: {where} -> {text!r}")
    assert not problems, f"{path} has problems:\n" + "\n".join(problems)


def assert_mo_current(tmp_path: Path, path: Path = PO_PATH) -> None:
    """(b) The committed .mo holds exactly what the .po says (compiled here with polib)."""
    mo_path = path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing. {FIX}"
    po = _catalogue(path)
    fresh_path = tmp_path / f"fresh-{abs(hash(str(path)))}.mo"
    po.save_as_mofile(str(fresh_path))
    fresh, committed = polib.mofile(str(fresh_path)), polib.mofile(str(mo_path))
    expected, actual = _pairs(fresh), _pairs(committed)
    stale = sorted(str(p[1]) for p in actual - expected)
    absent = sorted(str(p[1]) for p in expected - actual)
    assert not stale and not absent, (
        f"{mo_path} is out of date with its .po. {FIX}\n"
        f"different or removed in .po: {stale[:20]}\nnot yet in .mo: {absent[:20]}"
    )
    for field in ("Plural-Forms", "Language"):
        assert committed.metadata.get(field) == po.metadata.get(field), f"{field} differs in {mo_path}"


def test_catalogue_is_complete():
    for path in catalogue_paths():
        assert_catalogue_complete(path)


def test_compiled_catalogue_is_up_to_date(tmp_path):
    for path in catalogue_paths():
        assert_mo_current(tmp_path, path)


def test_catalogue_has_every_string_of_the_code(tmp_path):
    """(c) Extract the strings again, in a copy of the package, and find none missing."""
    if shutil.which("xgettext") is None:
        # Without GNU gettext the strings cannot be extracted here; the committed catalogue
        # must at least be complete and compiled.
        for path in catalogue_paths():
            assert_catalogue_complete(path)
            assert_mo_current(tmp_path, path)
        return

    src = tmp_path / "src"
    copy = src / "hoptac"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "locale"))
    # Settings that write the catalogue into the copy, never into the committed one.
    (src / "i18n_check_settings.py").write_text(
        f"from hoptac.settings import *  # noqa: F403\nLOCALE_PATHS = [{str(copy / 'locale')!r}]\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])),
        "HOPTAC_DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "i18n_check_settings",
    }
    django_admin = Path(sys.executable).parent / "django-admin"
    command = [str(django_admin)] if django_admin.exists() else [sys.executable, "-m", "django"]
    before = PO_PATH.read_bytes()
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [
            *command,
            "makemessages",
            "-l",
            "vi",
            "--no-obsolete",
            "--ignore=migrations",
            "--settings=i18n_check_settings",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert PO_PATH.read_bytes() == before, "makemessages wrote into the committed catalogue"

    fresh_path = copy / "locale" / "vi" / "LC_MESSAGES" / "django.po"
    assert fresh_path.exists(), result.stdout + result.stderr
    fresh = polib.pofile(str(fresh_path))
    committed = {_key(e) for path in catalogue_paths() for e in _catalogue(path) if not e.obsolete}
    missing = [
        f"{entry.msgid!r} ({', '.join(f'{f}:{n}' for f, n in entry.occurrences[:2])})"
        for entry in fresh
        if not entry.obsolete and _key(entry) not in committed
    ]
    assert len(fresh) > 0, "makemessages found no strings at all"
    assert not missing, f"Strings in the code missing from django.po. {FIX}\n" + "\n".join(missing)


def test_pages_are_vietnamese_by_default_and_english_on_request(client):
    """(d) The sign-in page speaks Vietnamese, or English when the language cookie says so."""
    # The browser's own language does not matter: only the language switch (a cookie) does.
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page
    assert "Mật khẩu" in page
    assert "Sign in" not in page

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Sign in" in page
    assert "Password" in page
    assert "Đăng nhập" not in page


def test_placeholder_parsing():
    """The helper above sees the placeholders the checks rely on."""
    assert placeholders("%(name)s, born %(year)s") == (frozenset({"%(name)", "%(year)"}), Counter())
    assert placeholders("%s of %d, 100%%") == (frozenset(), Counter({"%s": 1, "%d": 1}))
    assert placeholders("Page {{ number }} of {{total}}")[0] == frozenset({"{{ number }}", "{{ total }}"})
