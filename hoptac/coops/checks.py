"""System check: the published demo accounts must not exist on a real installation.

``hoptac run --demo`` (and ``make run``) start the demo with ``HOPTAC_DEMO=1``; anywhere
else, an account of :data:`DEMO_PHONES` that still opens with the published demo password
is an ERROR of ``manage.py check --deploy`` (and of ``hoptac check``), so that a database
started from the demo is not put on the internet with a known superuser password.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from hoptac.coops.demo import ACCOUNTS, DEMO_PASSWORD

# Every account the demo loaders create (coops.demo.ACCOUNTS, and the member household's own
# account of notify.demo, which this layer may not import); tests/test_roles_deploy.py checks
# that the list printed by ``hoptac run --demo`` is the same.
DEMO_MEMBER_LOGIN = "0911000004"
DEMO_PHONES = tuple(phone for phone, *_rest in ACCOUNTS) + (DEMO_MEMBER_LOGIN,)


def demo_accounts_left() -> list[str]:
    """Phones of demo accounts that still sign in with the published demo password."""
    from hoptac.accounts.models import User

    found = []
    for user in User.objects.filter(phone__in=DEMO_PHONES, is_active=True).order_by("phone"):
        if user.check_password(DEMO_PASSWORD):
            found.append(user.phone)
    return found


@checks.register(checks.Tags.security, deploy=True)
def check_demo_accounts(app_configs=None, **kwargs):
    if getattr(settings, "DEMO", False):
        return []
    try:
        phones = demo_accounts_left()
    except DatabaseError:  # no database yet (not migrated): nothing to find
        return []
    if not phones:
        return []
    return [
        checks.Error(
            "Demo accounts with the published demo password exist on an installation that is not "
            f"a demo: {', '.join(phones)}.",
            hint=(
                "Delete these accounts (or give them new passwords) before going live, e.g. "
                "`hoptac manage shell`; or, for a demo, start it with `hoptac run --demo` "
                "(HOPTAC_DEMO=1)."
            ),
            id="hoptac.E001",
        )
    ]
