"""Writes of money in that are not a single transaction: importing a bank statement (every
line received in one database transaction, all or nothing) with the column mapping kept for
next time, and the keys the bank-notification services (SePay, Casso) sign with."""

from __future__ import annotations

import dataclasses
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hoptac.core.audit import audit_record
from hoptac.core.tenancy import require_cooperative
from hoptac.lib.banknotify import BankLine, ColumnMapping
from hoptac.shop.models import BankTransaction, Shop
from hoptac.shop.services.payments import IncomingLine, transaction_receive

MAX_LINES = 5000
PROVIDERS = ("sepay", "casso")


def incoming(line: BankLine) -> IncomingLine:
    """A library line as the payments service takes it."""
    return IncomingLine(
        source=line.source,
        provider_id=line.provider_id,
        at=line.at,
        amount=line.amount,
        memo=line.memo,
        account_number=line.account_number,
        bank=line.bank,
        reference=line.reference,
        checksum=line.checksum,
        raw=line.raw,
    )


def mapping_as_dict(mapping: ColumnMapping | None) -> dict:
    return dataclasses.asdict(mapping) if mapping is not None else {}


def mapping_from_dict(data) -> ColumnMapping | None:
    """The saved mapping, or ``None`` when there is none or it no longer makes sense."""
    if not isinstance(data, dict) or not data:
        return None
    fields = {f.name for f in dataclasses.fields(ColumnMapping)}
    try:
        values = {k: (None if v is None else int(v)) for k, v in data.items() if k in fields}
        return ColumnMapping(**values)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def statement_import(
    *, lines: list[BankLine], actor, mapping: ColumnMapping | None = None, save_mapping: bool = False
) -> list[tuple[BankTransaction, bool]]:
    """Receive every line of a statement in one transaction: one refused line refuses the
    file. Each line is matched like a webhook's (a line already known is kept as duplicate).
    ``save_mapping``: remember ``mapping`` for the cooperative's next statement."""
    coop = require_cooperative()
    if not lines:
        raise ValidationError(_("The statement holds no transaction lines."), code="empty")
    if len(lines) > MAX_LINES:
        raise ValidationError(
            _("A statement may hold at most %(count)s lines.") % {"count": MAX_LINES}, code="too_many"
        )
    if any(line.source != "statement" for line in lines):
        raise ValidationError(_("Only statement lines can be imported here."), code="source")
    results = [transaction_receive(line=incoming(line), actor=actor) for line in lines]
    if save_mapping and mapping is not None:
        shop = Shop.objects.filter(cooperative=coop).first()
        if shop is not None:
            shop.statement_mapping = mapping_as_dict(mapping)
            shop.save(update_fields=["statement_mapping", "updated_at"])
    audit_record(
        action="bank.statement_import",
        actor=actor,
        cooperative=coop,
        obj=None,
        data={"lines": len(lines), "new": sum(1 for _tx, created in results if created)},
    )
    return results


def new_key() -> str:
    """A strong random key (256 bits), URL- and header-safe."""
    return secrets.token_urlsafe(32)


@transaction.atomic
def shop_bank_key_rotate(*, shop: Shop, provider: str, actor) -> str:
    """Give the shop a new key for ``provider`` (``sepay``: the API key SePay sends, also the
    HMAC secret; ``casso``: the webhook's signing key). The old key stops working at once.
    Returns the new key, to be shown once."""
    coop = require_cooperative()
    if shop.cooperative_id != coop.pk:
        raise ValidationError(_("Unknown shop."), code="shop")
    if provider not in PROVIDERS:
        raise ValidationError(_("Unknown bank service."), code="provider")
    key = new_key()
    field = "sepay_api_key" if provider == "sepay" else "casso_secret"
    setattr(shop, field, key)
    shop.save(update_fields=[field, "updated_at"])
    audit_record(
        action="bank.key_rotate", actor=actor, cooperative=coop, obj=shop, data={"provider": provider}
    )
    return key


@transaction.atomic
def shop_bank_key_clear(*, shop: Shop, provider: str, actor) -> None:
    """Turn a bank service's notifications off: with no key every delivery is refused."""
    coop = require_cooperative()
    if shop.cooperative_id != coop.pk or provider not in PROVIDERS:
        raise ValidationError(_("Unknown bank service."), code="provider")
    field = "sepay_api_key" if provider == "sepay" else "casso_secret"
    setattr(shop, field, "")
    shop.save(update_fields=[field, "updated_at"])
    audit_record(
        action="bank.key_clear", actor=actor, cooperative=coop, obj=shop, data={"provider": provider}
    )
