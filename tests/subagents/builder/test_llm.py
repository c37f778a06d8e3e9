"""The builder with an LLM provider: the fake OpenAI-compatible server on loopback."""

import copy
import json

import pytest

from subagents.services import spec_build, spec_revise
from tests.fake_llm import completion, status
from tests.subagents.spec.test_validation import HYDRATION

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_llm(fake_llm, settings):
    settings.LLM_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_S = 2
    return fake_llm


def llm_spec(**changes):
    spec = copy.deepcopy(HYDRATION)
    spec.update(changes)
    return spec


def test_a_valid_model_spec_is_used_as_is(fake_llm):
    wanted = llm_spec(name="Water with the model")
    fake_llm.then(completion(json.dumps(wanted)))
    result = spec_build(request="I want to drink more water, 8 glasses a day")
    assert result.source == "llm"
    assert result.spec == wanted
    body = fake_llm.body()
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"][-1]["content"] == "I want to drink more water, 8 glasses a day"
    assert '"spec_version"' in body["messages"][0]["content"]  # the schema is in the prompt


def test_an_invalid_model_spec_is_repaired_with_the_validation_errors(fake_llm):
    broken = llm_spec()
    broken["goals"] = [dict(broken["goals"][0], field="litres")]  # names no field
    fake_llm.then(completion(json.dumps(broken)), completion(json.dumps(llm_spec())))
    result = spec_build(request="I want to drink more water, 8 glasses a day")
    assert result.source == "llm"
    assert result.spec["goals"][0]["field"] == "amount"
    assert len(fake_llm.requests) == 2
    repair = fake_llm.body()["messages"][-1]["content"]
    assert "$.goals[0].field: no field 'litres'" in repair


def test_a_model_that_never_gives_a_valid_spec_falls_back_to_the_catalogue(fake_llm):
    broken = llm_spec()
    broken["views"] = [{"type": "bar", "field": "nope"}]
    fake_llm.then(*[completion(json.dumps(broken)) for _ in range(2)])
    result = spec_build(request="I want to drink more water, 8 glasses a day")
    assert result.source == "catalogue:hydration"
    assert result.spec["goals"][0]["target"] == 8
    assert len(fake_llm.requests) == 2  # bounded attempts


def test_an_unavailable_provider_falls_back_to_the_catalogue(fake_llm):
    fake_llm.then(status(500), status(500), status(500))
    result = spec_build(request="Log my runs in km")
    assert result.source == "catalogue:running"


def test_refusals_happen_before_the_model_is_asked(fake_llm):
    from subagents.builder.matching import BuildRefused

    with pytest.raises(BuildRefused):
        spec_build(request="make a 3D racing game")
    assert fake_llm.requests == []


def test_a_revision_through_the_model_returns_its_spec_and_the_diff(fake_llm):
    revised = llm_spec(name="Water (ml)")
    fake_llm.then(completion(json.dumps(revised)))
    result = spec_revise(spec=HYDRATION, instruction="rename it to Water (ml)")
    assert result.source == "llm"
    assert result.spec["name"] == "Water (ml)"
    assert [c["text"] for c in result.changes] == ["Name: Hydration log → Water (ml)"]
    assert "rename it to Water (ml)" in fake_llm.body()["messages"][-1]["content"]


def test_a_failed_model_revision_falls_back_to_the_rules(fake_llm):
    fake_llm.then(status(500), status(500), status(500))
    result = spec_revise(spec=HYDRATION, instruction="use ml")
    assert result.source == "rules"
    assert result.spec["fields"][0]["unit"] == "ml"
