"""The person's access log page: who read their data and what happened to their account."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from macaron.i18n import active_language
from memory.privacy.access_log import access_events, access_items, access_summary

PAGE_SIZE = 25


@login_required
def access_log(request):
    language = active_language()
    page = Paginator(access_events(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "summary": access_summary(user=request.user, language=language),
        "page": page,
        "items": access_items(user=request.user, events=list(page.object_list), language=language),
    }
    return render(request, "privacy/access_log.html", context)
