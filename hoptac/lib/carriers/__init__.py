"""Carriers' APIs (GHTK, GHN) behind one interface: :mod:`.base`. ``client_for(name, …)``
returns the client of a carrier; the shop's shipping service only sees the interface."""
