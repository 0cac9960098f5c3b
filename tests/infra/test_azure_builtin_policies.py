"""The built-in Azure Policy definitions the ML guardrail initiative pins, against vendored copies."""

from __future__ import annotations

import json

import pytest

from infra.azure.builtin_policies import DEFINITION_PREFIX, ML_GUARDRAIL_INITIATIVE, BuiltinPolicy
from tests.helpers import ROOT

VENDORED = {
    json.loads(p.read_text())["name"]: json.loads(p.read_text())
    for p in (ROOT / "tests" / "fixtures" / "azure-policy").glob("*.json")
}


@pytest.mark.parametrize("policy", ML_GUARDRAIL_INITIATIVE, ids=lambda p: p.display_name)
def test_every_pinned_id_is_the_published_definition_with_that_name(policy: BuiltinPolicy) -> None:
    doc = VENDORED.get(policy.guid)
    assert doc is not None, f"{policy.guid} has no vendored copy in tests/fixtures/azure-policy"
    assert doc["id"] == policy.id == DEFINITION_PREFIX + policy.guid
    props = doc["properties"]
    assert props["displayName"] == policy.display_name and props["policyType"] == "BuiltIn"
    allowed = props.get("parameters", {}).get("effect", {}).get("allowedValues")
    if allowed is None:  # a fixed effect (Allowed locations denies)
        assert props["policyRule"]["then"]["effect"].lower() == policy.effect.lower()
    else:
        assert policy.effect in allowed, f"{policy.display_name}: {policy.effect} is not one of {allowed}"


def test_the_initiative_denies_wherever_the_definition_allows_it() -> None:
    for policy in ML_GUARDRAIL_INITIATIVE:
        allowed = VENDORED[policy.guid]["properties"].get("parameters", {}).get("effect", {}).get("allowedValues", [])
        if "Deny" in allowed:
            assert policy.effect == "Deny", policy.display_name
