"""Load the whole demo, app by app, lower layers first. Each loader is idempotent."""

from __future__ import annotations

from django.db import transaction

from hoptac.catalog.demo import load_demo as load_catalog
from hoptac.coops.demo import load_demo as load_coops
from hoptac.federation.demo import load_demo as load_directory
from hoptac.federation.summaries.services import overview_refresh
from hoptac.inventory.demo import load_demo as load_inventory
from hoptac.live.demo import load_demo as load_live
from hoptac.notify.demo import load_demo as load_notify
from hoptac.offtake.demo import load_demo as load_offtake
from hoptac.shop.demo import load_demo as load_shop


@transaction.atomic
def load_all(stdout=None) -> dict[str, dict]:
    return {
        "coops": load_coops(stdout=stdout),
        "offtake": load_offtake(stdout=stdout),
        "catalog": load_catalog(stdout=stdout),
        "inventory": load_inventory(stdout=stdout),
        "notify": load_notify(stdout=stdout),
        "shop": load_shop(stdout=stdout),
        "live": load_live(stdout=stdout),
        # The alliance's overview reads summaries the worker keeps: make them now.
        "directory": load_directory(stdout=stdout),
        "federation": {"cooperatives": overview_refresh()},
    }
