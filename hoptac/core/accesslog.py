"""gunicorn's access log without webhook secrets (``hoptac run`` sets it as the logger
class). Imports gunicorn, so it is loaded only where gunicorn serves the site."""

from __future__ import annotations

from gunicorn.glogging import Logger

from hoptac.core.redact import MASK, SECRET_HEADERS, redact


class RedactingLogger(Logger):
    """Every atom of the access log (request line, path, referer, environ) with webhook
    secrets masked, and the secret and signature headers never written."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            atoms[key] = redact(value)
        for header in SECRET_HEADERS:
            if f"{{{header}}}i" in atoms:
                atoms[f"{{{header}}}i"] = MASK
        return atoms
