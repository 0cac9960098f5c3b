"""hub-azure, proven offline: no azurerm provider binary can be downloaded here, so the stack is
checked by synthesis against the typed bindings, the guardrail rules (synthesis refuses a
violation) and a YAML inventory of the whole resource set and its key values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT

pytestmark = pytest.mark.synth
INVENTORY = Path(__file__).parent / "azure" / "inventory.yaml"
CONFIG = ROOT / "tests" / "fixtures" / "config" / "azure-hub.yaml"


@pytest.fixture(scope="module")
def azure_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from govhub.config import load_config
    from main import build_estate, synthesize

    out = tmp_path_factory.mktemp("azure.out")
    app, stacks = build_estate(load_config(CONFIG), outdir=out)
    assert list(stacks) == ["hub-azure"]
    synthesize(app)  # the guardrail aspect runs here: a violation refuses the synth
    return out


@pytest.fixture(scope="module")
def hub_azure(azure_out: Path) -> dict:
    return json.loads((azure_out / "stacks" / "hub-azure" / "cdk.tf.json").read_text())


def test_checkov_finds_nothing_beyond_the_reviewed_azure_skips(azure_out: Path) -> None:
    import os

    from tools import checkov_gate

    try:
        reports, failed = checkov_gate.scan(azure_out / "stacks")
    except checkov_gate.CheckovMissing as exc:
        if os.environ.get("GOVHUB_REQUIRE_ALL_TESTS"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    assert sum(r["summary"]["passed"] for r in reports) > 40  # the scan really read the stack
    reviewed = checkov_gate.skips(checkov_gate.AZURE_SKIPS_FILE)
    code, lines = checkov_gate.verdict(reports, failed, reviewed)
    assert code == 0, lines
    assert not set(reviewed) - set(failed), f"stale: {sorted(set(reviewed) - set(failed))}"
    for check_id, entry in reviewed.items():
        assert len(entry["reason"].split()) >= 30, f"{check_id}: the reason is too short to review"


def _subset(want, have, where: str) -> None:
    if isinstance(want, dict):
        assert isinstance(have, dict), f"{where}: expected a mapping, got {have!r}"
        for k, v in want.items():
            assert k in have, f"{where}.{k} is missing"
            _subset(v, have[k], f"{where}.{k}")
    else:
        assert have == want, f"{where}: {have!r} != {want!r}"


def test_the_resource_set_matches_the_inventory(hub_azure: dict) -> None:
    inventory = yaml.safe_load(INVENTORY.read_text())
    assert {t: len(v) for t, v in hub_azure["resource"].items()} == inventory["counts"]
    for address, values in inventory["values"].items():
        rtype, name = address.split(".", 1)
        _subset(values, hub_azure["resource"][rtype][name], address)


def test_every_resource_carries_the_required_tags_as_azure_tags(hub_azure: dict) -> None:
    untaggable = {"azurerm_management_group", "azurerm_management_group_policy_assignment", "azurerm_role_assignment",
                  "azurerm_storage_container", "azurerm_storage_container_immutability_policy",
                  "azurerm_servicebus_queue", "azurerm_eventgrid_event_subscription", "azurerm_monitor_diagnostic_setting"}  # fmt: skip
    for rtype, items in hub_azure["resource"].items():
        if rtype in untaggable:
            continue
        for name, body in items.items():
            tags = body.get("tags") or {}
            assert {"owner", "team", "cost-centre", "data-classification"} <= set(tags), f"{rtype}.{name}"


def test_the_provider_uses_federated_credentials_and_entra_for_storage(hub_azure: dict) -> None:
    (provider,) = hub_azure["provider"]["azurerm"]
    assert provider["use_oidc"] is True and provider["storage_use_azuread"] is True
    assert "client_secret" not in provider
