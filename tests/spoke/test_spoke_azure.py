"""spoke-azure-<team>, proven offline like hub-azure (synthesis, guardrails, inventory), and its
cross-subscription wiring followed back to the hub's own resources."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from tests.hub.stack_proof import check_inventory, resolve_hub_ref

pytestmark = pytest.mark.synth
hub_ref = functools.partial(resolve_hub_ref, hub_id="hub-azure")


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
    hub = azure_estate["hub-azure"]
    assert (
        hub_ref(variables["GOVHUB_SERVICE_URL"], hub)
        == "https://${azurerm_linux_function_app.hub-service.default_hostname}"
    )
    assert variables["GOVHUB_SERVICE_AUDIENCE"] == "api://bbbbbbbb-0000-0000-0000-000000000001"


def test_the_workspace_data_and_vault_are_reached_through_private_endpoints(azure_estate: dict) -> None:
    spoke = azure_estate["spoke-azure-credit"]["resource"]
    endpoints = spoke["azurerm_private_endpoint"]
    targets = {e["private_service_connection"]["private_connection_resource_id"]: e for e in endpoints.values()}
    assert set(targets) == {
        "${azurerm_machine_learning_workspace.workspace.id}", "${azurerm_storage_account.team-data.id}",
        "${azurerm_key_vault.team-vault.id}",
    }  # fmt: skip
    assert all(e["subnet_id"] == "${azurerm_subnet.endpoints-subnet.id}" for e in endpoints.values())
    assert spoke["azurerm_subnet"]["endpoints-subnet"]["address_prefixes"] == ["10.100.0.0/24"]
    zones = {z["name"] for z in spoke["azurerm_private_dns_zone"].values()}
    assert zones == {"privatelink.api.azureml.ms", "privatelink.notebooks.azure.net",
                     "privatelink.blob.core.windows.net", "privatelink.vaultcore.azure.net"}  # fmt: skip
    assert len(spoke["azurerm_private_dns_zone_virtual_network_link"]) == len(zones)


def test_the_team_subscriptions_activity_log_goes_to_the_hub(azure_estate: dict) -> None:
    hub, spoke = azure_estate["hub-azure"], azure_estate["spoke-azure-credit"]
    setting = spoke["resource"]["azurerm_monitor_diagnostic_setting"]["activity-log-to-hub"]
    assert setting["target_resource_id"] == "/subscriptions/77777777-8888-9999-0000-111111111111"
    assert hub_ref(setting["storage_account_id"], hub) == "${azurerm_storage_account.audit-store.id}"
    assert hub_ref(setting["log_analytics_workspace_id"], hub) == "${azurerm_log_analytics_workspace.logs.id}"
    assert {c["category"] for c in setting["enabled_log"]} >= {"Administrative", "Security", "Policy"}


def test_registry_rights_are_scoped_to_one_registry_each(azure_estate: dict) -> None:
    hub, spoke = azure_estate["hub-azure"], azure_estate["spoke-azure-credit"]
    grants = spoke["resource"]["azurerm_role_assignment"]
    for name in ("ci-registers-candidates", "workspace-registers-candidates"):
        assert grants[name]["role_definition_name"] == "AzureML Registry User"
        assert hub_ref(grants[name]["scope"], hub) == "${azapi_resource.candidates-registry.id}"
        assert grants[name]["provider"] == "azurerm.hub"
    read = grants["workspace-reads-governed"]
    assert hub_ref(read["scope"], hub) == "${azapi_resource.governed-registry.id}"
    assert (
        hub_ref(read["role_definition_id"], hub)
        == "${azurerm_role_definition.registry-reader.role_definition_resource_id}"
    )
    assert "role_definition_name" not in read


def test_a_vended_spoke_builds_in_the_subscription_the_hub_vends(azure_estate: dict) -> None:
    hub, spoke = azure_estate["hub-azure"], azure_estate["spoke-azure-pricing"]
    (main,) = [p for p in spoke["provider"]["azurerm"] if "alias" not in p]
    assert hub_ref(main["subscription_id"], hub) == "${azurerm_subscription.vend-pricing.subscription_id}"
    join = spoke["resource"]["azurerm_management_group_subscription_association"]["join-ml-management-group"]
    assert join["subscription_id"] == f"/subscriptions/{main['subscription_id']}"
    assert "ci-identity" not in spoke["resource"]["azurerm_user_assigned_identity"]  # no CI configured
    names = [a["name"] for a in spoke["resource"]["azurerm_storage_account"].values()]
    assert names == [n for n in names if re.fullmatch(r"[a-z0-9]{3,24}", n)]  # literal, stable names


def test_the_stacks_keep_their_state_in_the_azurerm_backend(azure_estate: dict) -> None:
    """hubs.azure.state: one blob per stack, Entra ID and OIDC; the spokes read the hub's outputs there."""
    for name, doc in azure_estate.items():
        backend = doc["terraform"]["backend"]["azurerm"]
        assert backend["key"] == f"{name}.tfstate" and backend["storage_account_name"] == "acmetfstate"
        assert backend["use_azuread_auth"] is True and backend["use_oidc"] is True and "access_key" not in backend
    (remote,) = azure_estate["spoke-azure-credit"]["data"]["terraform_remote_state"].values()
    assert remote["backend"] == "azurerm" and remote["config"]["key"] == "hub-azure.tfstate"
