"""Checks of the security headers and of inline code against the Content-Security-Policy,
shared by the walks of tests/test_tenancy.py and tests/test_api.py and by
tests/test_web_security.py."""

from __future__ import annotations

import base64
import hashlib
import re

# The parts of the policy every response carries (hoptac.core.security).
CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_STYLE_ATTR = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE)
_HANDLER_ATTR = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def csp(response) -> dict[str, str]:
    """The response's Content-Security-Policy as {directive: sources}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        if name:
            directives[name] = sources.strip()
    return directives


def sha256_source(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def header_problems(response, *, private: bool = True) -> list[str]:
    """What is missing from ``response``'s security headers ([] when all is well)."""
    problems = []
    policy = csp(response)
    if not policy:
        problems.append("no Content-Security-Policy")
    for name, sources in CSP_DIRECTIVES.items():
        if policy and policy.get(name) != sources:
            problems.append(f"CSP {name} is {policy.get(name)!r}, not {sources!r}")
    style = policy.get("style-src", "").split()
    if policy and (not style or style[0] != "'self'" or any(s.startswith("'unsafe") for s in style)):
        problems.append(f"CSP style-src is {policy.get('style-src')!r}")
    permissions = response.headers.get("Permissions-Policy", "")
    for feature in ("camera=()", "geolocation=()", "microphone=()", "payment=()", "usb=()"):
        if feature not in permissions:
            problems.append(f"Permissions-Policy lacks {feature}")
    if private:
        cache = {part.strip() for part in response.headers.get("Cache-Control", "").split(",")}
        if not {"private", "no-store"} <= cache:
            problems.append(
                f"Cache-Control is {response.headers.get('Cache-Control')!r}, not private, no-store"
            )
    return problems


def inline_problems(response) -> list[str]:
    """Inline script or style in an HTML ``response`` that its own CSP does not allow."""
    if "text/html" not in response.headers.get("Content-Type", ""):
        return []
    body = response.content.decode("utf-8", errors="replace")
    allowed = set(csp(response).get("style-src", "").split())
    problems = []
    for css in _STYLE_BLOCK.findall(body):
        if sha256_source(css) not in allowed:
            problems.append(f"<style> not allowed by its hash: {css.strip()[:60]!r}")
    if _STYLE_ATTR.search(body):
        problems.append(f"style attribute: {_STYLE_ATTR.search(body).group()[:80]!r}")
    if _HANDLER_ATTR.search(body):
        problems.append(f"event handler attribute: {_HANDLER_ATTR.search(body).group()[:80]!r}")
    for attributes, code in _SCRIPT.findall(body):
        if re.search(r"type\s*=\s*[\"']?application/(ld\+)?json", attributes):
            continue  # a data block, never run
        if "src=" not in attributes or code.strip():
            problems.append(f"inline <script>: {code.strip()[:60]!r}")
    if _JS_URL.search(body):
        problems.append("javascript: URL")
    return problems
