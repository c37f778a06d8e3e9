"""The community end to end in a real browser: A shares a tool → B finds it from a sentence →
imports it (consent) → forks and edits → the tree shows both → B rates and uses it → after the
jobs run, its ranking numbers move. And the tree page with ~200 nodes."""

import json
import re

import pytest

from community import selectors, services
from community.models import Blueprint, BlueprintVersion, Import
from community.tasks import recompute_scores
from subagents.services import installation_create
from tests.community.factories import spec_factory
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def log_out(page):
    page.click("text=Log out")
    page.wait_for_url(re.compile(r".*/accounts/login/"))


def trending(page) -> float:
    page.locator(".why summary").first.click()
    return float(page.locator(".why-trending").first.inner_text())


def test_publish_find_import_fork_tree_rate_and_rank(live_server, page, password):
    author = UserFactory(email="ana@example.org", display_name="Ana")
    UserFactory(email="bo@example.org", display_name="Bo")
    spec = spec_factory(name="Rest day", description="Stay in bed and rest without guilt.")
    tool = installation_create(user=author, spec=spec, source="builder")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # A shares the tool from its page
    log_in(page, live_server, "ana@example.org", password)
    page.goto(f"{live_server.url}/tools/{tool.id}/")
    page.click("#share-button")
    page.fill("#id_title", "Lazy day rest log")
    page.fill("#id_description", "For days when you stay in bed all day: rest, water, no guilt.")
    page.fill("#id_tags", "rest, sleep")
    page.click("#publish-button")
    page.wait_for_selector(".message >> text=Published.")
    original = Blueprint.objects.get(author=author)
    assert page.locator("h1").inner_text().strip().endswith("Lazy day rest log")
    recompute_scores()
    log_out(page)

    # B finds it from a sentence and imports it, allowing what it reads
    log_in(page, live_server, "bo@example.org", password)
    page.click("nav >> text=Community")
    page.fill("#community-wish", "I want to be someone who stays in bed all day")
    page.get_by_role("button", name="Recommend").click()
    card = page.locator(f"#bp-{original.id}")
    assert card.is_visible() and "by Ana" in card.inner_text()
    card.locator("a", has_text="Lazy day rest log").click()
    page.wait_for_url(f"{live_server.url}/community/b/{original.slug}/")
    before = trending(page)
    assert page.locator("input[name=domains][value=health]").is_checked()
    page.click("#import-button")
    page.wait_for_selector(".message >> text=Installed in your tools.")
    record = Import.objects.get(blueprint=original)
    assert record.consented_domains == ["health"]

    # B logs an entry with the imported tool (usage), then forks and edits the fork
    page.fill("#id_amount", "2")
    page.get_by_role("button", name="Log", exact=True).click()
    page.wait_for_selector(".message >> text=Logged.")
    page.goto(f"{live_server.url}/community/b/{original.slug}/")
    page.click("#fork-button")
    page.wait_for_selector(".message >> text=Forked. Make it yours.")
    fork = Blueprint.objects.get(parent=original)
    edited = json.loads(page.locator("#id_spec-spec").input_value())
    edited["name"] = "Lazy day, my way"
    edited["goals"][0]["target"] = 6
    page.fill("#id_spec-spec", json.dumps(edited))
    page.fill("#id_spec-changelog", "Six glasses are enough")
    page.click("#save-spec")
    page.wait_for_selector(".message >> text=Saved as a new version.")
    assert "Lazy day, my way" in page.locator(".parent-diff").inner_text()
    assert fork.versions.count() == 2

    # the tree shows both, the fork highlighted
    page.goto(f"{live_server.url}/community/b/{fork.slug}/tree/")
    page.wait_for_selector("#lineage-tree[data-drawn='2']")
    assert page.locator("g.tree-node").count() == 2
    assert page.locator("g.tree-node.current").get_attribute("data-id") == str(fork.id)

    # B rates the original; after the jobs, its numbers move
    page.goto(f"{live_server.url}/community/b/{original.slug}/")
    page.select_option("#id_value", "5")
    page.fill("#id_comment", "Just right for lazy Sundays")
    page.get_by_role("button", name="Rate").click()
    page.wait_for_selector(".message >> text=Thank you for rating.")
    recompute_scores()
    page.reload()
    after = trending(page)
    assert after > before
    assert page.locator(".bp-hero .stat-active").inner_text() == "1"
    assert page.locator(".bp-hero .stat-rating").inner_text() == "5.0"
    assert "Just right for lazy Sundays" in page.locator(".rating-list").inner_text()
    assert selectors.blueprint_explanation(blueprint=original)["trending"] == pytest.approx(
        after, abs=1e-4
    )
    assert errors == []


def test_the_tree_with_two_hundred_nodes_folds_zooms_and_opens(live_server, page):
    author = UserFactory()
    root = services.blueprint_publish(
        user=author, spec=spec_factory(), listing=services.Listing(title="Root"), confirmed=True
    )
    spec = BlueprintVersion.objects.get(blueprint=root).spec
    nodes = [root]
    for n in range(1, 200):
        parent = nodes[(n - 1) // 3]  # a ternary tree, 5 levels deep
        node = Blueprint.objects.create(
            author=author, slug=f"node-{n}", title=f"Node {n}", parent=parent,
            root=root, depth=parent.depth + 1,
        )  # fmt: skip
        BlueprintVersion.objects.create(
            blueprint=node, version="1.0.0", major=1, minor=0, patch=0, spec=spec
        )
        nodes.append(node)
    Blueprint.objects.filter(pk=nodes[5].pk).update(status=Blueprint.Status.REMOVED)
    current = nodes[150]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/community/b/{current.slug}/tree/")
    page.wait_for_selector("#lineage-tree[data-drawn]")
    drawn = int(page.locator("#lineage-tree").get_attribute("data-drawn"))
    assert 10 < drawn < 200  # branches off the current one's path start folded
    assert page.locator("g.tree-node.current").get_attribute("data-id") == str(current.id)
    assert (
        page.locator(f"g.tree-node[data-id='{nodes[5].id}']")
        .get_attribute("class")
        .count("status-removed")
        == 1
    )
    folded = page.locator("g.tree-node.folded").first
    folded.dispatch_event("dblclick")
    page.wait_for_function(
        f"() => +document.getElementById('lineage-tree').dataset.drawn > {drawn}"
    )
    # zoom with the wheel changes the canvas transform
    before = page.locator("g.tree-canvas").get_attribute("transform")
    page.locator("#lineage-tree").hover()
    page.mouse.wheel(0, -300)
    page.wait_for_function(
        "(t) => document.querySelector('g.tree-canvas').getAttribute('transform') !== t", arg=before
    )
    page.locator(f"g.tree-node[data-id='{nodes[1].id}'] circle").dispatch_event("click")
    page.wait_for_url(f"{live_server.url}/community/b/{nodes[1].slug}/")
    assert errors == []
