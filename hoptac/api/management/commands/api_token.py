"""``hoptac manage api_token <phone> <name>``: make a personal API token and print it once.

``--list`` shows a user's tokens (prefix, name, dates); ``--revoke PREFIX`` revokes one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hoptac.accounts.selectors import user_by_identifier
from hoptac.api import services
from hoptac.api.models import ApiToken


class Command(BaseCommand):
    help = "Make a personal API token for a user (printed once), list or revoke their tokens."

    def add_arguments(self, parser):
        parser.add_argument("phone", help="The user's phone number (or email).")
        parser.add_argument(
            "name", nargs="?", default="", help="What the token is for, e.g. 'field phone 1'."
        )
        parser.add_argument("--list", action="store_true", help="List the user's tokens.")
        parser.add_argument("--revoke", metavar="PREFIX", help="Revoke the user's token with this prefix.")

    def handle(self, *args, phone: str, name: str, list: bool, revoke: str | None, **options):  # noqa: A002
        user = user_by_identifier(phone)
        if user is None:
            raise CommandError(f"No user with the phone or email {phone!r}.")
        if list:
            for token in ApiToken.objects.filter(user=user):
                state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(
                    f"hoptac_{token.prefix}…  {token.name}  created {token.created_at:%Y-%m-%d}  used {used}  {state}"
                )
            return
        if revoke:
            token = ApiToken.objects.filter(
                user=user, prefix=revoke.removeprefix(services.TOKEN_PREFIX)[:8]
            ).first()
            if token is None:
                raise CommandError(f"{user} has no token starting with {revoke!r}.")
            services.token_revoke(token=token)
            self.stdout.write(f"Revoked hoptac_{token.prefix}… ({token.name}).")
            return
        if not name:
            raise CommandError("Give the token a name: api_token <phone> <name>.")
        try:
            made = services.token_create(user=user, name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(
            f"Token {made.token.name!r} for {user}. Copy it now: it is not stored and cannot be shown again.\n"
            "Send it as the header  Authorization: Bearer <token>"
        )
        self.stdout.write(made.secret)
