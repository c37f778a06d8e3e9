"""The chat pages: the conversation list (search, start, delete) and a conversation.

A conversation page streams replies through `static/js/chat.js`, which posts to the REST
endpoint (`/api/v1/conversations/<id>/messages/`, server-sent events) so there is one code
path for sending. Without JavaScript the composer still works: it posts here, waits for the
whole reply and redirects back (POST-redirect-GET). Someone else's conversation is a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from macaron.errors import DomainError, NotFound, RateLimited
from macaron.forms import add_domain_error
from memory.companion.chat import (
    MAX_TITLE_CHARS,
    chat_reply,
    chat_turn_start,
    companion_context,
    conversation_delete,
    conversation_detail,
    conversation_messages,
    conversation_rename,
    conversation_start,
    conversations_for_user,
)
from memory.services import MAX_MESSAGE_CHARS

PAGE_SIZE = 20
SHOWN_MESSAGES = 200  # the latest messages of a conversation shown on its page


class ConversationSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search conversations"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("peanuts, Lisbon, …")}
        ),
    )


class RenameForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=MAX_TITLE_CHARS)


def _detail_or_404(user, conversation_id: int):
    try:
        return conversation_detail(user=user, conversation_id=conversation_id)
    except NotFound:
        raise Http404("No such conversation.") from None


@login_required
def chat(request):
    """GET: the person's conversations (searchable). POST: start a new conversation."""
    if request.method == "POST":
        conversation = conversation_start(user=request.user)
        return redirect("chat-conversation", conversation_id=conversation.id)
    search = ConversationSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    conversations = conversations_for_user(user=request.user, search=query)
    page = Paginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "chat/list.html",
        {"search": search, "query": query, "page": page},
        status=400 if search.errors else 200,
    )


@login_required
def chat_conversation(request, conversation_id: int):
    conversation = _detail_or_404(request.user, conversation_id)
    history = conversation_messages(user=request.user, conversation_id=conversation_id)
    total = len(history)
    shown = history[max(0, total - SHOWN_MESSAGES) :]
    context = {
        "conversation": conversation,
        "chat_messages": shown,
        "hidden_count": total - len(shown),
        "companion": companion_context(user=request.user),
        "rename_form": RenameForm(initial={"title": conversation.title}),
        "max_chars": MAX_MESSAGE_CHARS,
    }
    return render(request, "chat/conversation.html", context)


@login_required
@require_POST
def chat_send(request, conversation_id: int):
    """The composer without JavaScript: store, wait for the whole reply, come back."""
    back = reverse("chat-conversation", kwargs={"conversation_id": conversation_id})
    try:
        turn = chat_turn_start(
            user=request.user,
            conversation_id=conversation_id,
            text=request.POST.get("text", ""),
            client_id=request.POST.get("client_id") or None,
        )
        chat_reply(turn)
    except NotFound:
        raise Http404("No such conversation.") from None
    except RateLimited as error:
        return HttpResponse(error.message, status=429, content_type="text/plain; charset=utf-8")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(back)


@login_required
@require_POST
def chat_rename(request, conversation_id: int):
    _detail_or_404(request.user, conversation_id)
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            conversation_rename(
                user=request.user,
                conversation_id=conversation_id,
                title=form.cleaned_data["title"],
            )
        except DomainError as error:
            add_domain_error(form, error)
    if form.errors:
        messages.error(request, next(iter(form.errors.values()))[0])
    else:
        messages.success(request, _("Conversation renamed."))
    return redirect("chat-conversation", conversation_id=conversation_id)


@login_required
def chat_delete(request, conversation_id: int):
    """GET: ask to confirm. POST: delete the conversation and its messages."""
    conversation = _detail_or_404(request.user, conversation_id)
    if request.method == "POST":
        conversation_delete(user=request.user, conversation_id=conversation_id)
        messages.success(
            request, _("Conversation deleted. What I learned from it stays remembered.")
        )
        return redirect("chat")
    return render(request, "chat/delete.html", {"conversation": conversation})
