"""Models of the app (filled by the issue's work)."""

# The overview's summaries (kept by the worker): alliance-overview's own module.
from hoptac.federation.overview_models import BuyingMonth, CoopFigures, CoopMonth  # noqa: E402,F401
