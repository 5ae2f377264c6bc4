"""Included at ``api/v1/`` by hoptac/urls.py."""

from hoptac.api.api import api

urlpatterns, _app_name, app_name = api.urls  # the instance namespace ("api") as app_name
