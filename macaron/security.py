"""Security headers on every response: a strict Content-Security-Policy and a Permissions-Policy.

Django's SecurityMiddleware already sends Referrer-Policy, X-Content-Type-Options and
Cross-Origin-Opener-Policy (SECURE_REFERRER_POLICY, SECURE_CONTENT_TYPE_NOSNIFF, ...); this adds
the two headers it does not know. The policies are settings (CONTENT_SECURITY_POLICY as a dict of
directive → sources, PERMISSIONS_POLICY as feature → allow-list) so a deployment can read them,
and a view that sets its own header keeps it.

Every page is built to run under the policy: scripts are static files reading their
configuration from data- attributes or `json_script` blocks (type="application/json", which
browsers never execute), and no template carries a style= attribute or a <style> block — a
colour from a spec or the companion travels in a data-color attribute and static/js/page.js sets
it through the CSSOM, which CSP does not restrict (tests/macaron/test_security_headers.py checks
the templates and every page; tests/browser/test_csp.py watches a real browser for violations).
"""

from collections.abc import Callable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def policy_header(directives: Mapping[str, list[str] | tuple[str, ...]]) -> str:
    """A Content-Security-Policy value: `default-src 'self'; object-src 'none'; ...`."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def permissions_header(features: Mapping[str, list[str] | tuple[str, ...]]) -> str:
    """A Permissions-Policy value: `camera=(), microphone=(), fullscreen=(self)`."""
    return ", ".join(f"{name}=({' '.join(allowed)})" for name, allowed in features.items())


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response (static files too,
    when placed before WhiteNoise)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.csp = policy_header(settings.CONTENT_SECURITY_POLICY)
        self.permissions = permissions_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.csp:
            response.headers.setdefault("Content-Security-Policy", self.csp)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
