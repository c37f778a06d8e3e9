from django.utils import timezone, translation

from macaron.timezones import zone_activate


class UserTimezoneMiddleware:
    """Show times in the person's own time zone and their preferred language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone_activate(user=user)
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        else:
            timezone.deactivate()
        return self.get_response(request)
