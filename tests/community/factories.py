"""Community test helpers: a valid spec (the spec tests' complete example) and blueprints made
through the real services."""

import copy

from community import services
from tests.factories import UserFactory
from tests.subagents.spec.test_validation import HYDRATION


def spec_factory(**changes) -> dict:
    spec = copy.deepcopy(HYDRATION)
    spec.update(changes)
    return spec


def listing_factory(**changes) -> services.Listing:
    values = {"title": "Hydration log", "description": "Drink more water.", "tags": ("health",)}
    values.update(changes)
    return services.Listing(**values)


def blueprint_factory(*, author=None, spec=None, **listing):
    author = author or UserFactory()
    return services.blueprint_publish(
        user=author,
        spec=spec or spec_factory(),
        listing=listing_factory(**listing),
        confirmed=True,
    )
