"""VietQR (NAPAS, EMVCo merchant-presented) payloads for bank transfers.

Built with ``vietnam-qr-pay``, which writes the TLV fields and the CRC-16/CCITT-FALSE.
Every Vietnamese banking app scans these; a dynamic payload carries the amount and a
purpose that lets the receiver match the transfer (e.g. the payout code ``CHI000123``).
"""

from __future__ import annotations

import re

from vietnam_qr_pay import QRPay

from hoptac.lib.text import unaccent

MAX_PURPOSE = 25
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{4,19}$")
_BIN = re.compile(r"^\d{6}$")


class VietQRError(ValueError):
    pass


def clean_purpose(text: str) -> str:
    """ASCII, upper case, letters, digits and spaces only, at most 25 characters."""
    ascii_text = unaccent(text or "").upper()
    ascii_text = re.sub(r"[^A-Z0-9 ]+", " ", ascii_text)
    return " ".join(ascii_text.split())[:MAX_PURPOSE].strip()


def payload(*, bank_bin: str, account: str, amount: int | None = None, purpose: str = "") -> str:
    """The VietQR text for a transfer to ``account`` at the bank ``bank_bin``.

    Without an amount it is a static QR (the payer types the amount).
    """
    if not _BIN.match(bank_bin or ""):
        raise VietQRError("bank BIN must be 6 digits")
    if not _ACCOUNT.match(account or ""):
        raise VietQRError("account must be 4-19 letters or digits")
    if amount is not None and (not isinstance(amount, int) or amount <= 0 or amount > 9_999_999_999_999):
        raise VietQRError("amount must be a positive whole number of dong")
    kwargs = {"bank_bin": bank_bin, "bank_number": account}
    if amount is not None:
        kwargs["amount"] = str(amount)
    purpose = clean_purpose(purpose)
    if purpose:
        kwargs["purpose"] = purpose
    return QRPay.init_viet_qr(**kwargs).build()


def parse(text: str) -> dict:
    """Read a VietQR payload back (bank BIN, account, amount, purpose); checks the CRC."""
    qr = QRPay(text)
    if not qr.is_valid:
        raise VietQRError("not a valid VietQR payload (bad CRC or layout)")
    return {
        "bank_bin": qr.consumer.bank_bin,
        "account": qr.consumer.bank_number,
        "amount": int(qr.amount) if qr.amount else None,
        "purpose": qr.additional_data.purpose if qr.additional_data else "",
    }
