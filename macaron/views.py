from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from macaron.health import health_report


@never_cache
def healthz(request):
    healthy, report = health_report(detailed=request.user.is_staff)
    return JsonResponse(report, status=200 if healthy else 503)


def home(request):
    """A person's home; for a visitor, the landing page that explains the product."""
    if not request.user.is_authenticated:
        return render(request, "landing.html", {"demo_login": settings.DEMO_LOGIN})
    return render(request, "home.html")
