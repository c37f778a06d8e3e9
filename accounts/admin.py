from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html

from accounts.erasure import deletion_pending, erasure_request_create, erasure_request_execute
from accounts.models import ErasureRequest, User
from macaron.sealed import sealed_preload


class SealedNamesChangeList(ChangeList):
    """A page of people whose display names decrypt with keys loaded in one query."""

    def get_results(self, request) -> None:
        super().get_results(request)
        sealed_preload(self.result_list)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "date_joined"]

    def get_changelist(self, request, **kwargs):
        return SealedNamesChangeList

    search_fields = ["email"]  # the display name is encrypted: not searchable
    # The password hash is not shown, not even Django's masked summary (it shows the first
    # characters of the salt and hash); the change-password form is linked instead. The display
    # name is shown decrypted, never as ciphertext.
    readonly_fields = ["password_status", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password_status"]}),
        ("Profile", {"fields": ["display_name", "time_zone", "preferred_language"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    # Deleting a person here erases them as an executed erasure request does (their keys
    # shredded, every app's data removed, the audit chain told): a plain row delete would
    # leave their data's keys behind and the audit log without a tombstone.
    def delete_model(self, request, obj: User) -> None:
        _erase_from_admin(staff=request.user, person=obj)

    def delete_queryset(self, request, queryset) -> None:
        for person in queryset:
            _erase_from_admin(staff=request.user, person=person)

    @admin.display(description="Password")
    def password_status(self, obj: User) -> str:
        if obj.pk is None:
            return "-"
        state = "set" if obj.has_usable_password() else "not set (cannot log in with one)"
        return format_html('{} · <a href="../password/">change it</a>', state)


ADMIN_DELETE_REASON = "Deleted on the admin console's person page."


def _erase_from_admin(*, staff: User, person: User) -> None:
    """The person's pending erasure request (their own deletion, or one staff filed) or a new
    one, executed now by `staff`."""
    pending = deletion_pending(user=person) or erasure_request_create(
        staff=staff, user=person, reason=ADMIN_DELETE_REASON
    )
    erasure_request_execute(request_id=pending.pk, actor=staff)


class ErasureRequestForm(forms.ModelForm):
    class Meta:
        model = ErasureRequest
        fields = ["user", "reason", "keep_published"]
        help_texts = {
            "reason": "Recorded in the audit log with the erasure (e.g. the ticket of the request).",
            "keep_published": "The person asked to keep their published sub-agents for the "
            "community, anonymised (otherwise they become anonymous removed entries).",
        }

    def clean(self):
        data = super().clean()
        user = data.get("user")
        if self.instance.pk is None and user is not None and deletion_pending(user=user):
            self.add_error("user", "An erasure of this person is already pending.")
        return data


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    """Staff file an erasure request with a reason, then execute it (the "Execute" action):
    the same service as a person deleting their account. Only ids, the reason and counts are
    shown, never anything the person wrote."""

    form = ErasureRequestForm
    list_display = ["id", "subject_id", "user", "origin", "state", "due_at", "created_at"]
    list_filter = ["state", "origin"]
    search_fields = ["user__email", "=subject_id"]
    raw_id_fields = ["user"]
    actions = ["execute"]
    readonly_fields = [
        "subject_id",
        "origin",
        "requested_by",
        "state",
        "due_at",
        "executed_at",
        "executed_by",
        "cancelled_at",
        "counts",
        "created_at",
        "updated_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "user", "reason", "keep_published"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "reason", "keep_published"]
        return ["user", "reason", "keep_published", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of an erasure stays

    def save_model(self, request, obj, form, change):
        if change:
            return  # a filed request is not edited: execute it or file another
        created = erasure_request_create(
            staff=request.user,
            user=form.cleaned_data["user"],
            reason=form.cleaned_data["reason"],
            keep_published=form.cleaned_data["keep_published"],
        )
        obj.pk = created.pk

    @admin.action(description="Execute the selected erasure requests (erase the people now)")
    def execute(self, request, queryset):
        done = 0
        for erasure in queryset.filter(state=ErasureRequest.State.PENDING):
            erasure_request_execute(request_id=erasure.pk, actor=request.user)
            done += 1
        self.message_user(request, f"Executed {done} erasure request(s).", messages.SUCCESS)
