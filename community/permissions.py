"""Who may do what with a blueprint: the one place every community service, selector and view
asks. Roles: the author (owner), collaborators (an object permission granted with
django-guardian when the owner invites them: edit the listing and publish versions), anyone
with the link for an unlisted one, and moderators (the `community.moderate_community`
permission, through a group or directly, or staff)."""

from django.contrib.auth.models import Group
from django.utils.translation import gettext
from guardian.shortcuts import assign_perm, remove_perm

from community.models import Blueprint
from macaron.errors import Conflict, PermissionDenied

MODERATE_PERMISSION = "community.moderate_community"
EDIT_PERMISSION = "community.change_blueprint"
MODERATORS_GROUP = "community moderators"


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_moderator(user) -> bool:
    return _signed_in(user) and (user.is_staff or user.has_perm(MODERATE_PERMISSION))


def is_owner(user, blueprint: Blueprint) -> bool:
    return _signed_in(user) and blueprint.author_id == user.id


def is_collaborator(user, blueprint: Blueprint) -> bool:
    return (
        _signed_in(user)
        and blueprint.author_id != user.id
        and user.has_perm(EDIT_PERMISSION, blueprint)
    )


def can_view(user, blueprint: Blueprint) -> bool:
    """Public and unlisted ones (by link) for anyone unless hidden; private or hidden ones for
    their owner, collaborators and moderators."""
    if is_owner(user, blueprint) or is_moderator(user) or is_collaborator(user, blueprint):
        return True
    return blueprint.visibility != Blueprint.Visibility.PRIVATE and not blueprint.hidden


def can_edit(user, blueprint: Blueprint) -> bool:
    """Edit the listing and publish new versions: the owner and collaborators."""
    return is_owner(user, blueprint) or is_collaborator(user, blueprint)


def require_edit(user, blueprint: Blueprint) -> None:
    if not can_edit(user, blueprint):
        raise PermissionDenied(
            gettext("Only the author and collaborators can change this blueprint.")
        )
    if blueprint.is_removed:
        raise Conflict(gettext("This blueprint was removed."))


def require_owner(user, blueprint: Blueprint) -> None:
    if not is_owner(user, blueprint):
        raise PermissionDenied(gettext("Only the author can do this."))
    if blueprint.is_removed:
        raise Conflict(gettext("This blueprint was removed."))


def require_moderator(user) -> None:
    if not is_moderator(user):
        raise PermissionDenied(gettext("Only moderators can do this."))


def collaborator_grant(*, user, blueprint: Blueprint) -> None:
    assign_perm("change_blueprint", user, blueprint)


def collaborator_revoke(*, user, blueprint: Blueprint) -> None:
    remove_perm("change_blueprint", user, blueprint)


def moderators_group() -> Group:
    """The group whose members moderate (created with its permission on first use)."""
    from django.contrib.auth.models import Permission

    group, _created = Group.objects.get_or_create(name=MODERATORS_GROUP)
    permission = Permission.objects.get(
        codename="moderate_community", content_type__app_label="community"
    )
    group.permissions.add(permission)
    return group
