"""An import is a real installed sub-agent, and its use flows back to the blueprint."""

from community import services
from community.models import Import, UsageEvent
from subagents.models import Installation
from subagents.selectors import installation_spec
from subagents.services import entry_create, installation_uninstall, tool_opened
from tests.community.factories import blueprint_factory
from tests.factories import UserFactory


def test_import_installs_the_pinned_spec_in_the_persons_tools(db):
    blueprint = blueprint_factory(title="Water for everyone")
    importer = UserFactory()
    record = services.blueprint_import(user=importer, blueprint=blueprint)
    installation = Installation.objects.get(user=importer)
    assert installation.source == f"community:{blueprint.slug}@{record.version.version}"
    assert installation_spec(installation) == record.version.spec
    assert Installation.objects.filter(user=blueprint.author).count() == 0


def test_use_of_an_imported_tool_is_counted_for_its_blueprint(db):
    blueprint = blueprint_factory()
    importer = UserFactory()
    services.blueprint_import(user=importer, blueprint=blueprint)
    installation = Installation.objects.get(user=importer)
    tool_opened(user=importer, installation_id=installation.id)
    entry_create(user=importer, installation_id=installation.id, values={"amount": 2})
    kinds = sorted(
        UsageEvent.objects.filter(blueprint=blueprint, user=importer).values_list("kind", flat=True)
    )
    assert kinds == ["entry", "open"]


def test_uninstalling_the_tool_ends_the_import(db):
    blueprint = blueprint_factory()
    importer = UserFactory()
    services.blueprint_import(user=importer, blueprint=blueprint)
    installation = Installation.objects.get(user=importer)
    installation_uninstall(user=importer, installation_id=installation.id)
    assert Import.objects.get(user=importer).uninstalled_at is not None
    services.blueprint_import(user=importer, blueprint=blueprint)  # importing again is allowed
    assert Installation.objects.filter(user=importer, uninstalled_at__isnull=True).count() == 1
