"""The JSON API (django-ninja) under ``/api/v1/``: routers that parse and authorise, then
call the domain apps' services and selectors. The top layer: no domain app imports it."""
