"""Vietnamese banks by their NAPAS BIN, from the ``vietnam-qr-pay`` bank table."""

from __future__ import annotations

from functools import lru_cache

from vietnam_qr_pay import BanksObject


@lru_cache(maxsize=1)
def bank_choices() -> list[tuple[str, str]]:
    """``[(bin, "Agribank — Ngân hàng Nông nghiệp…"), …]`` of banks that receive VietQR transfers."""
    seen: dict[str, str] = {}
    for bank in BanksObject.values():
        if not bank.bin or bank.deprecated or bank.bin in seen:
            continue
        seen[bank.bin] = f"{bank.short_name} — {bank.name}"
    return sorted(seen.items(), key=lambda item: item[1].casefold())


def bank_name(bin_code: str) -> str:
    return dict(bank_choices()).get(bin_code, bin_code or "")


@lru_cache(maxsize=1)
def _short_names() -> dict[str, str]:
    return {bank.bin: bank.short_name for bank in BanksObject.values() if bank.bin and not bank.deprecated}


def bank_short_name(bin_code: str) -> str:
    """``"Agribank"`` for ``"970405"``: what fits a list row on a phone."""
    return _short_names().get(bin_code, bin_code or "")


def is_bank_bin(bin_code: str) -> bool:
    return bin_code in dict(bank_choices())
