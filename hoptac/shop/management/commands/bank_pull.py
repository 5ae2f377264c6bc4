"""``hoptac manage bank_pull --coop <slug> --provider sepay|casso [--since YYYY-MM-DD]``:
fetch the account's transactions from SePay's or Casso's API (what a lost webhook missed)
and receive each one; the provider's id makes a transaction already known change nothing.

The token comes from ``--token`` or the environment: ``HOPTAC_SEPAY_TOKEN`` /
``HOPTAC_CASSO_API_KEY`` (per cooperative: ``HOPTAC_SEPAY_TOKEN_<SLUG>``, the slug in upper
case with ``-`` as ``_``, wins over the shared one)."""

from __future__ import annotations

import datetime as dt
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hoptac.coops.models import Cooperative
from hoptac.core.tenancy import tenant
from hoptac.lib.banknotify import BankApiError, CassoClient, SepayClient
from hoptac.shop.models import Shop
from hoptac.shop.services.payments import transaction_receive
from hoptac.shop.services.statements import incoming

BASE_URLS = {"sepay": "https://my.sepay.vn", "casso": "https://oauth.casso.vn"}
ENV = {"sepay": "HOPTAC_SEPAY_TOKEN", "casso": "HOPTAC_CASSO_API_KEY"}


def token_for(provider: str, slug: str) -> str:
    name = ENV[provider]
    own = f"{name}_{slug.upper().replace('-', '_')}"
    return os.environ.get(own) or os.environ.get(name) or ""


class Command(BaseCommand):
    help = "Fetch a cooperative's bank transactions from SePay or Casso and match them to orders."

    def add_arguments(self, parser):
        parser.add_argument("--coop", required=True, help="the cooperative's slug")
        parser.add_argument("--provider", choices=sorted(BASE_URLS), default="sepay")
        parser.add_argument("--since", help="first day (YYYY-MM-DD); default: 3 days ago")
        parser.add_argument("--token", default="", help="API token (else from the environment)")
        parser.add_argument("--base-url", default="", help="the provider's API address (tests, proxies)")

    def handle(self, *args, coop, provider, since, token, base_url, **options):
        cooperative = Cooperative.objects.filter(slug=coop, is_active=True).first()
        if cooperative is None:
            raise CommandError(f"No active cooperative {coop!r}.")
        try:
            first_day = dt.date.fromisoformat(since) if since else timezone.localdate() - dt.timedelta(days=3)
        except ValueError:
            raise CommandError("--since must be a date YYYY-MM-DD.") from None
        token = token or token_for(provider, coop)
        if not token:
            raise CommandError(f"No token: give --token or set {ENV[provider]}.")
        with tenant(cooperative):
            shop = Shop.objects.filter(cooperative=cooperative).first()
        if shop is None:
            raise CommandError(f"{coop} has no shop.")
        url = base_url or BASE_URLS[provider]
        try:
            if provider == "sepay":
                lines = SepayClient(url, token).transactions(
                    since=first_day, account_number=shop.bank_account
                )
            else:
                lines = CassoClient(url, token).transactions(since=first_day)
        except BankApiError as error:
            raise CommandError(f"{provider}: {error.message} ({error.code})") from None
        new = refused = 0
        with tenant(cooperative):
            for line in lines:
                try:
                    _tx, created = transaction_receive(line=incoming(line))
                except ValidationError as error:
                    refused += 1
                    self.stderr.write(f"{line.provider_id}: {'; '.join(error.messages)}")
                    continue
                new += created
        self.stdout.write(
            f"{provider} {coop}: {len(lines)} fetched, {new} new, {len(lines) - new - refused} known, {refused} refused"
        )
