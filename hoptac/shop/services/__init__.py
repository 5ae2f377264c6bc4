"""Writes of the shop: orders (orders.py) and money (payments.py), settings (settings.py)."""
