"""Locks and writes by rule (issue 9, deliverable 9). These tests read the code with
``ast`` (so comments and docstrings do not count) and fail on:

(a) a ``select_for_update`` anywhere but ``hoptac/core/locks.py``;
(b) an ORM write outside ``services.py`` and the few service-like modules below, with a
    short allowlist where each entry says why;
(c) an ORM query in a template tag library (``templatetags/*.py`` read through selectors).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hoptac.core import locks

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hoptac"

LOCKS_MODULE = "hoptac/core/locks.py"

# Modules that are services in all but name: they write, in the caller's transaction or
# their own, for the services that call them.
SERVICE_LIKE = {
    "hoptac/core/locks.py": "counter_next writes the counter row it has just locked",
    "hoptac/core/audit.py": "audit_record: called by services, inside their transaction",
    "hoptac/outbox/dispatch.py": "the worker's claim, send and record: the outbox's services, split out for size",
    "hoptac/api/idempotency.py": "create_once: the API's idempotency record, written with the service's result",
}

# Not services, allowed to write anyway; each with its reason.
ALLOWED = {
    "migrations": "migrations are the schema's history and may move data",
    "demo.py": "demo loaders backdate rows and fake a season's history, which no service may do",
    "hoptac/demo/province.py": "the province generator bulk-inserts what services would have written, to measure",
    "hoptac/accounts/models.py": "UserManager.create_user is Django's contract (createsuperuser calls it)",
}

WRITE_METHODS = {
    "save",
    "create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
MANAGERS = {"objects", "unscoped", "_default_manager"}
QUERYSET_METHODS = {
    "all",
    "filter",
    "exclude",
    "select_related",
    "prefetch_related",
    "order_by",
    "annotate",
    "only",
    "defer",
    "distinct",
    "none",
    "using",
    "values",
    "values_list",
}

# In a template tag: queryset methods and writes (not ``all``/``values``/``update``, which
# dicts and iterables also have).
TAG_FORBIDDEN = (QUERYSET_METHODS - {"all", "values"}) | (WRITE_METHODS - {"update"})


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"), str(path))


def _is_service_module(name: str) -> bool:
    parts = name.split("/")
    return parts[-1] == "services.py" or "services" in parts[:-1] or name in SERVICE_LIKE


def _allowed(name: str) -> bool:
    parts = name.split("/")
    return "migrations" in parts or parts[-1] == "demo.py" or name in ALLOWED


def _receiver_chain(node: ast.expr) -> list[ast.AST]:
    """The receiver of a method call and everything it is built from: ``a.b().c`` gives
    the nodes of ``a.b().c``, ``a.b()``, ``a.b`` and ``a``."""
    chain = []
    while True:
        chain.append(node)
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return chain


def _looks_like_orm(receiver: ast.expr) -> bool:
    for node in _receiver_chain(receiver):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            return True
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in QUERYSET_METHODS:
            return True
    return False


def orm_writes(tree: ast.AST) -> list[tuple[int, str]]:
    """Calls that write through the ORM, by their shape:

    - ``create``, ``bulk_create``, ``bulk_update``, ``get_or_create``, ``update_or_create``:
      always;
    - ``x.save()`` and ``x.delete()`` without positional arguments (a model instance; a
      workbook or an image is saved *to* something);
    - ``update(...)`` and ``delete(...)`` on a manager or a queryset chain
      (``Model.objects.filter(...).update(...)``), not on a dict;
    - never ``super().save()``: a model's own ``save`` is not a write of its caller.
    """
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        if method not in WRITE_METHODS:
            continue
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "super":
            continue
        if method in ("save", "delete") and not node.args:
            write = True
        elif method in ("update", "delete", "save"):
            write = _looks_like_orm(receiver)
        else:
            write = True
        if write:
            found.append((node.lineno, ast.unparse(node)[:80]))
    return found


def test_every_row_lock_is_in_core_locks():
    offenders = []
    for name, tree in _modules():
        if name == LOCKS_MODULE:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "select_for_update":
                offenders.append(f"{name}:{node.lineno}")
    assert not offenders, (
        "select_for_update outside hoptac/core/locks.py (add a helper there, in the lock order): "
        + ", ".join(offenders)
    )


def test_core_locks_documents_every_level_of_its_order():
    source = (ROOT / LOCKS_MODULE).read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(source)) or ""
    helpers = [name for name in dir(locks) if name.endswith(("_lock", "_claim", "_next", "_lock_first"))]
    for helper in helpers:
        assert f"``{helper}``" in doc, helper
    assert len(set(locks.LOCK_ORDER)) == len(locks.LOCK_ORDER)
    for level in locks.LOCK_ORDER:
        assert level.replace("_", " ") in doc.replace("_", " ").lower(), level


def test_orm_writes_live_in_services():
    offenders = []
    for name, tree in _modules():
        if _is_service_module(name) or _allowed(name):
            continue
        offenders += [f"{name}:{line}: {text}" for line, text in orm_writes(tree)]
    assert not offenders, "ORM writes outside services.py (move them into a service):\n" + "\n".join(offenders)


def test_template_tags_read_through_selectors():
    offenders = []
    for name, tree in _modules():
        if "/templatetags/" not in name:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
                offenders.append(f"{name}:{node.lineno}: .{node.attr}")
            method = getattr(node.func, "attr", None) if isinstance(node, ast.Call) else None
            if method in TAG_FORBIDDEN:
                offenders.append(f"{name}:{node.lineno}: .{method}()")
    assert not offenders, "template tags must call selectors, not the ORM: " + ", ".join(offenders)


# --- the detectors themselves catch what they should, and only that -------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "Member.objects.create(name='x')",
        "Member.unscoped.filter(pk=1).update(name='x')",
        "Member.objects.filter(pk=1).delete()",
        "member.save(update_fields=['name'])",
        "member.delete()",
        "Entry.objects.bulk_create(rows)",
        "Counter.objects.get_or_create(key='x')",
        "qs.all().update(name='x')",
    ],
)
def test_the_write_detector_finds_orm_writes(code):
    assert orm_writes(ast.parse(code)), code


@pytest.mark.parametrize(
    "code",
    [
        "changes.update(status='sent')",
        "book.save(buffer)",
        "image.save(buffer, format='JPEG')",
        "super().save(*args, **kwargs)",
        "cache.delete('key')",
    ],
)
def test_the_write_detector_leaves_other_calls_alone(code):
    assert not orm_writes(ast.parse(code)), code


def test_the_allowlist_is_short_and_explained():
    assert len(SERVICE_LIKE) + len(ALLOWED) <= 8
    assert all(reason.strip() and "\n" not in reason for reason in [*SERVICE_LIKE.values(), *ALLOWED.values()])
    for name in [*SERVICE_LIKE, *(n for n in ALLOWED if "/" in n)]:
        assert (ROOT / name).is_file(), f"{name} is allowlisted but does not exist"


# --- the lock order, checked on the code ----------------------------------------------------------

# The helpers of core.locks and the level of the order each one takes.
HELPER_LEVEL = {
    "announcement_lock": "announcement",
    "offer_lock": "offer",
    "receipts_lock": "receipt",
    "bank_transaction_lock": "bank_transaction",
    "live_items_lock": "live_item",
    "shipment_lock": "shipment",
    "orders_lock": "order",
    "counter_next": "counter",
    "members_lock": "member",
    "lots_lock": "lot",
    "messaging_settings_lock": "messaging_settings",
    "messages_lock": "message",
    "message_lock": "message",
    "message_lock_first": "message",
    "messages_claim": "message",
    "zalo_token_lock": "zalo_token",
    "api_token_lock": "api_token",
}
# Writes that hold a row lock without select_for_update (a conditional UPDATE).
IMPLICIT_LEVEL = {
    ("hoptac.outbox.services", "quota_take"): "quota",
    ("hoptac.outbox.services", "quota_refund"): "quota",
}


class _Module:
    def __init__(self, name: str, tree: ast.Module):
        self.name = name
        self.functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.aliases: dict[str, str] = {}  # local name -> module
        self.imported: dict[str, tuple[str, str]] = {}  # local name -> (module, function)
        package = name.rsplit(".", 1)[0]
        for node in tree.body:
            if not isinstance(node, ast.ImportFrom):
                continue
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            for alias in node.names:
                local = alias.asname or alias.name
                if (ROOT / Path(*f"{base}.{alias.name}".split("."))).with_suffix(".py").is_file():
                    self.aliases[local] = f"{base}.{alias.name}"
                else:
                    self.imported[local] = (base, alias.name)


def _project():
    modules = {}
    for name, tree in _modules():
        dotted = name[:-3].replace("/", ".")
        if dotted.endswith(".__init__"):
            dotted = dotted[: -len(".__init__")]
        modules[dotted] = _Module(dotted, tree)
    return modules


def _calls_in_order(node: ast.AST) -> list[ast.Call]:
    return sorted(
        (n for n in ast.walk(node) if isinstance(n, ast.Call)), key=lambda c: (c.lineno, c.col_offset)
    )


def _levels(project, module: _Module, node: ast.AST, seen: frozenset) -> list[tuple[str, str]]:
    """The lock levels a piece of code takes, in order, following calls into project
    functions it can resolve (by name, imported name or module alias)."""
    found = []
    for call in _calls_in_order(node):
        target = None
        if isinstance(call.func, ast.Name):
            name = call.func.id
            if name in HELPER_LEVEL and module.imported.get(name, ("",))[0] == "hoptac.core.locks":
                found.append((HELPER_LEVEL[name], f"{module.name}:{call.lineno}"))
                continue
            if name in module.functions:
                target = (module.name, name)
            elif name in module.imported:
                target = module.imported[name]
        elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
            alias = module.aliases.get(call.func.value.id)
            if alias == "hoptac.core.locks" and call.func.attr in HELPER_LEVEL:
                found.append((HELPER_LEVEL[call.func.attr], f"{module.name}:{call.lineno}"))
                continue
            if alias:
                target = (alias, call.func.attr)
        if target is None:
            continue
        if target in IMPLICIT_LEVEL:
            found.append((IMPLICIT_LEVEL[target], f"{module.name}:{call.lineno}"))
            continue
        callee_module = project.get(target[0])
        if callee_module is None or target[1] not in callee_module.functions or target in seen:
            continue
        found += _levels(project, callee_module, callee_module.functions[target[1]], seen | {target})
    return found


def _is_atomic(expr: ast.expr) -> bool:
    func = expr.func if isinstance(expr, ast.Call) else expr
    return (isinstance(func, ast.Attribute) and func.attr == "atomic") or (
        isinstance(func, ast.Name) and func.id == "atomic"
    )


def _transactions(project):
    """Every transaction the code opens: ``@transaction.atomic`` functions and
    ``with transaction.atomic():`` blocks."""
    for module in project.values():
        # The demo loader is one transaction that runs alone, on an empty database, before
        # anything else starts: nobody can wait on it in a circle.
        if module.name == "hoptac.core.locks" or module.name.startswith("hoptac.demo."):
            continue
        for function in module.functions.values():
            if any(_is_atomic(d) for d in function.decorator_list):
                yield module, function, f"{module.name}.{function.name}"
        for node in ast.walk(ast.Module(body=list(module.functions.values()), type_ignores=[])):
            if isinstance(node, ast.With) and any(_is_atomic(item.context_expr) for item in node.items):
                yield module, node, f"{module.name}:{node.lineno}"


def test_every_transaction_takes_its_locks_in_the_documented_order():
    project = _project()
    rank = {level: index for index, level in enumerate(locks.LOCK_ORDER)}
    problems = []
    checked = 0
    for module, node, where in _transactions(project):
        levels = _levels(project, module, node, frozenset())
        checked += bool(levels)
        for (before, at_before), (after, at_after) in zip(levels, levels[1:], strict=False):
            if rank[after] < rank[before]:
                problems.append(f"{where}: {before} ({at_before}) then {after} ({at_after})")
    assert checked >= 15, checked  # the walk does find the transactions that lock
    assert not problems, "locks taken against the order of core/locks.py:\n" + "\n".join(problems)


def test_the_order_check_sees_a_service_that_goes_back_up():
    tree = ast.parse(
        "from django.db import transaction\n"
        "from hoptac.core.locks import lots_lock, members_lock\n"
        "@transaction.atomic\n"
        "def bad(*, lot, member):\n"
        "    lots_lock(Lot, [lot.pk])\n"
        "    members_lock(Member, [member.pk])\n"
    )
    module = _Module("hoptac.example.services", tree)
    levels = [level for level, _where in _levels({}, module, module.functions["bad"], frozenset())]
    assert levels == ["lot", "member"]
