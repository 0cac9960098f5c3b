"""spoke-azure-<team>, proven offline like hub-azure (synthesis, guardrails, inventory), and its
cross-subscription wiring followed back to the hub's own resources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.hub.stack_proof import check_inventory, synth_alone

pytestmark = pytest.mark.synth
CONFIG = ROOT / "tests" / "fixtures" / "config" / "azure-hub.yaml"
REMOTE = re.compile(r"\$\{data\.terraform_remote_state\.cross-stack-reference-input-hub-azure\.outputs\.([^}]+)\}")


@pytest.fixture(scope="module")
def azure_estate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("azure-estate.out")
    synth_alone(CONFIG, ["hub-azure", "spoke-azure-credit"], out)
    return {
        s: json.loads((out / "stacks" / s / "cdk.tf.json").read_text()) for s in ("hub-azure", "spoke-azure-credit")
    }


def hub_ref(value: str, hub: dict) -> str:
    return REMOTE.sub(lambda m: hub["output"][m.group(1)]["value"], value)


def test_the_spoke_matches_its_inventory(azure_estate: dict) -> None:
    check_inventory(azure_estate["spoke-azure-credit"], Path(__file__).parent / "azure" / "inventory.yaml")


def test_cross_subscription_wiring_reads_the_hubs_own_resources(azure_estate: dict) -> None:
    hub, spoke = azure_estate["hub-azure"], azure_estate["spoke-azure-credit"]
    join = spoke["resource"]["azurerm_management_group_subscription_association"]["join-ml-management-group"]
    assert hub_ref(join["management_group_id"], hub) == "${azurerm_management_group.ml-management-group.id}"
    forward = spoke["resource"]["azurerm_eventgrid_system_topic_event_subscription"]["forward-to-hub"]
    assert hub_ref(forward["service_bus_queue_endpoint_id"], hub) == "${azurerm_servicebus_queue.spoke-events.id}"
    grant = spoke["resource"]["azurerm_role_assignment"]["send-to-hub-queue"]
    assert hub_ref(grant["scope"], hub) == "${azurerm_servicebus_queue.spoke-events.id}"  # that queue, nothing wider
    assert (
        forward["delivery_identity"]["user_assigned_identity"] == "${azurerm_user_assigned_identity.events-identity.id}"
    )
    assert grant["principal_id"] == "${azurerm_user_assigned_identity.events-identity.principal_id}"
    providers = {p.get("alias", ""): p["subscription_id"] for p in spoke["provider"]["azurerm"]}
    assert providers == {"": "77777777-8888-9999-0000-111111111111", "hub": "66666666-7777-8888-9999-000000000000"}
    assert all(p["use_oidc"] and "client_secret" not in p for p in spoke["provider"]["azurerm"])


def test_the_teams_ci_variables_name_its_federated_identity(azure_estate: dict) -> None:
    spoke = azure_estate["spoke-azure-credit"]
    variables = spoke["output"]["out-ci_variables"]["value"]
    assert variables["AZURE_CLIENT_ID"] == "${azurerm_user_assigned_identity.ci-identity.client_id}"
    assert variables["AZURE_SUBSCRIPTION_ID"] == "77777777-8888-9999-0000-111111111111"
