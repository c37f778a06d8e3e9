"""API authentication: a token-authenticated call is read in the person's time zone, like a
session one (the middleware runs before DRF knows who a token belongs to)."""

from rest_framework import authentication

from accounts.middleware import activate_time_zone


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            activate_time_zone(found[0])
        return found
