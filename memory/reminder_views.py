"""The notifications page: what the companion raised (dismiss with a POST) and what is coming
up. Someone else's reminder id is a plain 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from macaron.errors import NotFound
from memory.companion.reminders import notifications_for, reminder_dismiss, upcoming_reminders_for


@login_required
def notification_list(request):
    context = {
        "notifications": notifications_for(user=request.user),
        "upcoming": upcoming_reminders_for(user=request.user),
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_dismiss(request, reminder_id: int):
    try:
        reminder_dismiss(user=request.user, reminder_id=reminder_id)
    except NotFound:
        raise Http404("No such reminder.") from None
    messages.success(request, _("Dismissed."))
    return redirect("notifications")
