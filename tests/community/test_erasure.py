"""What erasing an author does to what they published: kept for the community anonymised, or
anonymised tombstones; either way forks keep their parent and the lineage survives."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.hooks import ErasureOptions
from community import services
from community.models import Blueprint, BlueprintVersion, DailyUsage, Import
from community.selectors import blueprint_lineage, blueprints_listed
from memory.services import user_erase
from tests.community.factories import blueprint_factory, listing_factory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def published_and_forked():
    author, forker, user = UserFactory(), UserFactory(), UserFactory()
    root = blueprint_factory(author=author, title="Morning water", description="Drink first.")
    fork = services.blueprint_fork(
        user=forker, blueprint=root, listing=listing_factory(title="Evening water"), confirmed=True
    )
    installed = services.blueprint_import(user=user, blueprint=root)
    return author, root, fork, installed


def test_kept_blueprints_stay_usable_and_show_a_former_member():
    author, root, fork, installed = published_and_forked()

    counts = user_erase(user=author, options=ErasureOptions(keep_published=True))

    assert counts["community.blueprints_anonymised"] == 1
    assert counts["community.blueprints_removed"] == 0
    root.refresh_from_db()
    assert root.author_id is None and not root.is_removed
    assert (root.title, root.description) == ("Morning water", "Drink first.")
    assert blueprints_listed().filter(pk=root.pk).exists()
    page = Client().get(f"/community/b/{root.slug}/").content.decode()
    assert "by a former member" in page and "Morning water" in page
    cards = Client().get("/community/").content.decode()
    assert "by a former member" in cards
    # Still imported and forked by others; the existing install is untouched.
    newcomer = UserFactory()
    assert services.blueprint_import(user=newcomer, blueprint=root).blueprint_id == root.id
    services.blueprint_fork(user=newcomer, blueprint=root, confirmed=True)
    assert Import.objects.filter(pk=installed.pk).exists()
    fork.refresh_from_db()
    assert fork.parent_id == root.id and fork.root_id == root.id
    lineage = blueprint_lineage(user=None, blueprint=fork)
    [node] = [n for n in lineage["nodes"] if n["id"] == root.id]
    assert node["status"] == "active" and node["title"] == "Morning water"
    assert node["author"] is None


def test_removed_blueprints_become_anonymised_tombstones_and_forks_keep_their_parent():
    author, root, fork, installed = published_and_forked()
    BlueprintVersion.objects.filter(blueprint=root).update(changelog="My first version")
    old_slug = root.slug

    counts = user_erase(user=author, options=ErasureOptions(keep_published=False))

    assert counts["community.blueprints_removed"] == 1
    assert counts["community.blueprints_anonymised"] == 0
    root.refresh_from_db()
    assert root.author_id is None and root.is_removed
    assert (root.title, root.description, root.tags, root.slug) == (
        "",
        "",
        [],
        f"removed--{root.pk}",
    )
    assert root.embedding is None
    assert set(BlueprintVersion.objects.filter(blueprint=root).values_list("changelog", flat=True))
    assert not BlueprintVersion.objects.filter(blueprint=root).exclude(changelog="").exists()
    assert not blueprints_listed().filter(pk=root.pk).exists()
    assert Client().get(f"/community/b/{old_slug}/").status_code == 404
    # The fork keeps its parent; the lineage shows an anonymous removed node.
    fork.refresh_from_db()
    assert fork.parent_id == root.id and fork.root_id == root.id
    lineage = blueprint_lineage(user=None, blueprint=fork)
    [node] = [n for n in lineage["nodes"] if n["id"] == root.id]
    assert (node["status"], node["title"], node["slug"], node["author"]) == (
        "removed",
        None,
        None,
        None,
    )
    fork_page = Client().get(f"/community/b/{fork.slug}/").content.decode()
    assert "a removed blueprint" in fork_page and "Morning water" not in fork_page
    # Someone who installed it keeps their copy.
    assert Import.objects.filter(pk=installed.pk).exists()
    with pytest.raises(services.Conflict):
        services.blueprint_fork(user=UserFactory(), blueprint=root, confirmed=True)


def test_private_blueprints_are_removed_even_when_the_author_keeps_the_public_ones():
    author = UserFactory()
    public = blueprint_factory(author=author, title="Public one")
    private = blueprint_factory(author=author, title="Private one", visibility="private")

    user_erase(user=author, options=ErasureOptions(keep_published=True))

    public.refresh_from_db()
    private.refresh_from_db()
    assert not public.is_removed and public.author_id is None
    assert private.is_removed and private.title == ""
    assert Blueprint.objects.filter(author__isnull=True).count() == 2


def test_usage_of_a_kept_blueprint_still_counts_and_a_tombstone_gets_none():
    author = UserFactory()
    kept = blueprint_factory(author=author, title="Kept")
    gone = blueprint_factory(author=author, title="Gone", visibility="private")
    user_erase(user=author, options=ErasureOptions(keep_published=True))
    reader = UserFactory()
    at = datetime(2026, 3, 4, 9, tzinfo=UTC)
    for blueprint in (kept, gone):
        services.usage_record(user_id=reader.id, blueprint_id=blueprint.id, kind="open", at=at)

    services.usage_aggregate_day(day=at.date())

    assert DailyUsage.objects.get(blueprint=kept, day=at.date()).unique_users == 1
    assert not DailyUsage.objects.filter(blueprint=gone).exists()
