import zoneinfo

from django.utils import timezone, translation


def activate_time_zone(user) -> None:
    """Read and show times in the person's own zone for the rest of this request."""
    try:
        timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()


class UserTimezoneMiddleware:
    """Show times in the person's own time zone and their preferred language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_time_zone(user)
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        else:
            timezone.deactivate()
        return self.get_response(request)
