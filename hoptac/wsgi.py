import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoptac.settings")

from hoptac.core.bodylimit import BodyLimitWSGI  # noqa: E402 - after the settings module is named

# Every body over HOPTAC_MAX_BODY is refused before Django reads it (hoptac.core.bodylimit).
application = BodyLimitWSGI(get_wsgi_application())
