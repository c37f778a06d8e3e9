from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from macaron.health import health_report


@never_cache
def healthz(request):
    healthy, report = health_report(detailed=request.user.is_staff)
    return JsonResponse(report, status=200 if healthy else 503)


@login_required
def home(request):
    return render(request, "home.html")
