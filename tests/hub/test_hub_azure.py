"""hub-azure, proven offline: no azurerm provider binary can be downloaded here, so the stack is
checked by synthesis against the typed bindings, the guardrail rules (synthesis refuses a
violation) and a YAML inventory of the whole resource set and its key values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.hub.stack_proof import check_checkov, check_inventory, synth_alone

pytestmark = pytest.mark.synth
INVENTORY = Path(__file__).parent / "azure" / "inventory.yaml"
CONFIG = ROOT / "tests" / "fixtures" / "config" / "azure-hub.yaml"


@pytest.fixture(scope="module")
def azure_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("azure.out")


@pytest.fixture(scope="module")
def hub_azure(azure_out: Path) -> dict:
    return synth_alone(CONFIG, ["hub-azure", "spoke-azure-credit"], azure_out)


def test_checkov_finds_nothing_beyond_the_reviewed_azure_skips(hub_azure: dict, azure_out: Path) -> None:
    from tools.checkov_gate import AZURE_SKIPS_FILE

    check_checkov(azure_out, AZURE_SKIPS_FILE, 40)


def test_the_resource_set_matches_the_inventory(hub_azure: dict) -> None:
    check_inventory(hub_azure, INVENTORY)


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
