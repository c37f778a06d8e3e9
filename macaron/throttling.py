"""The real client address behind a configured number of trusted proxies, for every limiter.

`TRUSTED_PROXY_COUNT = 0` ignores X-Forwarded-For entirely (anyone can send one); with N
trusted proxies each appending the address it saw, the client is the Nth entry from the right.
DRF throttles (`ScopedRateThrottle` here) and django-axes (`AXES_CLIENT_IP_CALLABLE`) both key on
`client_ip()`, so a forged header dodges neither.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from rest_framework import throttling


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address as far as the trusted proxies can vouch for it."""
    remote_addr = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote_addr
    addresses = [part for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote_addr
    # Fewer entries than proxies: the leftmost is the furthest hop any proxy recorded.
    return _valid_ip(addresses[-min(proxies, len(addresses))]) or remote_addr


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's scoped throttle keyed on `client_ip()` for anonymous callers."""

    def get_ident(self, request) -> str:
        return client_ip(request)
