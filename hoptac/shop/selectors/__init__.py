"""Reads of the shop, one module per area: catalogue, orders, reports, payments."""
