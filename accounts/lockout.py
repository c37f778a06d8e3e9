def login_username(request, credentials: dict | None = None) -> str | None:
    """The name django-axes counts failures under: the e-mail, case-folded so that changing its
    case does not reset the count. Axes passes it under "email" (our USERNAME_FIELD) from its
    backend and under "username" from Django's login signals and form posts."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or request.POST.get("username")
    return value.strip().lower() if value else None


def lockout_response(request, original_response, credentials: dict | None = None):
    """What a locked-out login gets: our JSON error under /api/, the friendly page elsewhere."""
    from django.http import JsonResponse
    from django.shortcuts import render

    from macaron.api import error_body

    if request.path.startswith("/api/"):
        body = error_body("locked_out", "Too many failed logins; try again later.")
        return JsonResponse(body, status=429)
    return render(request, "accounts/locked_out.html", status=429)
