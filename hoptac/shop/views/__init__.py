"""Views of the shop, one module per area: public, cart, staff, money."""
