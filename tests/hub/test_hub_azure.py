"""hub-azure, proven offline: no azurerm provider binary can be downloaded here, so the stack is
checked by synthesis against the typed bindings, the guardrail rules (synthesis refuses a
violation) and a YAML inventory of the whole resource set and its key values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hub.stack_proof import check_checkov, check_inventory

pytestmark = pytest.mark.synth
INVENTORY = Path(__file__).parent / "azure" / "inventory.yaml"


@pytest.fixture(scope="module")
def hub_azure(azure_estate: dict[str, dict]) -> dict:
    return azure_estate["hub-azure"]


def test_checkov_finds_nothing_beyond_the_reviewed_azure_skips(azure_dir: Path) -> None:
    from tools.checkov_gate import AZURE_SKIPS_FILE

    check_checkov(azure_dir, AZURE_SKIPS_FILE, 40)


def test_the_resource_set_matches_the_inventory(hub_azure: dict) -> None:
    check_inventory(hub_azure, INVENTORY)


def test_every_resource_carries_the_required_tags_as_azure_tags(hub_azure: dict) -> None:
    untaggable = {"azurerm_management_group", "azurerm_management_group_policy_assignment", "azurerm_role_assignment",
                  "azurerm_storage_container", "azurerm_storage_container_immutability_policy",
                  "azurerm_servicebus_queue", "azurerm_eventgrid_event_subscription", "azurerm_monitor_diagnostic_setting",
                  "azurerm_role_definition", "azurerm_federated_identity_credential", "azurerm_subnet",
                  "azurerm_subnet_network_security_group_association"}  # fmt: skip
    for rtype, items in hub_azure["resource"].items():
        if rtype in untaggable:
            continue
        for name, body in items.items():
            if body.get("type", "").startswith("Microsoft.Subscription/policies@"):
                continue  # a tenant setting: ARM takes no tags on it
            tags = body.get("tags") or {}
            assert {"owner", "team", "cost-centre", "data-classification"} <= set(tags), f"{rtype}.{name}"


def test_the_provider_uses_federated_credentials_and_entra_for_storage(hub_azure: dict) -> None:
    (provider,) = hub_azure["provider"]["azurerm"]
    assert provider["use_oidc"] is True and provider["storage_use_azuread"] is True
    assert "client_secret" not in provider


def assignments(doc: dict) -> list[dict]:
    return list(doc["resource"].get("azurerm_role_assignment", {}).values())


def test_only_the_service_identity_may_write_the_audit_log_artifacts_and_governed_registry(azure_estate: dict) -> None:
    """Across the hub and every spoke: every assignment of a write role on the audit store, the
    artifact store or the governed registry is the hub service's identity's."""
    from infra.azure import roles

    governed = {
        "${azurerm_storage_container.audit-container.id}", "${azurerm_storage_account.audit-store.id}",
        "${azurerm_storage_account.artifact-store.id}", "${azapi_resource.governed-registry.id}",
        "${azurerm_resource_group.hub-rg.id}",
    }  # fmt: skip
    hub = azure_estate["hub-azure"]
    writers = set()
    for name, doc in azure_estate.items():
        for grant in assignments(doc):
            scope = grant["scope"]
            if name != "hub-azure":  # a spoke's reference to a hub output, resolved to the hub's value
                match = re.fullmatch(r"\$\{data\.terraform_remote_state\.[^.]+\.outputs\.([^}]+)\}", scope)
                scope = hub["output"][match.group(1)]["value"] if match else scope
            if scope in governed and grant.get("role_definition_name") in roles.WRITE_ROLES:
                writers.add((name, grant["principal_id"], scope))
    assert {p for _, p, _ in writers} == {"${azurerm_user_assigned_identity.service-identity.principal_id}"}
    assert {s for _, _, s in writers} == {
        "${azurerm_storage_container.audit-container.id}", "${azurerm_storage_account.artifact-store.id}",
        "${azapi_resource.governed-registry.id}",
    }  # fmt: skip
    assert not [g for d in azure_estate.values() for g in assignments(d) if g.get("role_definition_name") == "Owner"]


def test_the_hub_service_runs_behind_entra_authentication(hub_azure: dict) -> None:
    app = hub_azure["resource"]["azurerm_linux_function_app"]["hub-service"]
    auth = app["auth_settings_v2"]
    assert auth["auth_enabled"] and auth["require_authentication"] and auth["unauthenticated_action"] == "Return401"
    aad = auth["active_directory_v2"]
    assert aad["client_id"] == "bbbbbbbb-0000-0000-0000-000000000001"
    assert aad["allowed_audiences"] == ["api://bbbbbbbb-0000-0000-0000-000000000001"]
    assert aad["tenant_auth_endpoint"] == "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0"
    assert app["https_only"] and app["identity"]["type"] == "UserAssigned"
    assert app["site_config"]["ftps_state"] == "Disabled"
    assert app["identity"]["identity_ids"] == ["${azurerm_user_assigned_identity.service-identity.id}"]


def test_the_service_accepts_exactly_the_team_ci_identities_the_spokes_create(azure_estate: dict) -> None:
    """GOVHUB_AZURE_SUBMITTERS maps each CI identity's ARM id (its tokens' xms_mirid) to its team; the
    spoke creates that identity under exactly that subscription, resource group and name."""
    from govhub.service.azure_function import submitters

    settings = azure_estate["hub-azure"]["resource"]["azurerm_linux_function_app"]["hub-service"]["app_settings"]
    table = submitters(settings)
    assert set(table.values()) == {"credit"}  # pricing has no CI configured: nobody may submit for it
    # hubs.azure.registry (default: the cloud's own) reaches the service with the tracking server, if any
    assert (settings["GOVHUB_REGISTRY"], settings["GOVHUB_MLFLOW_TRACKING_URI"]) == ("azureml", "")
    (mirid,) = table
    spoke = azure_estate["spoke-azure-credit"]
    identity = spoke["resource"]["azurerm_user_assigned_identity"]["ci-identity"]
    group = spoke["resource"]["azurerm_resource_group"]["team-rg"]["name"]
    subscription = spoke["provider"]["azurerm"][0]["subscription_id"]
    assert mirid == (
        f"/subscriptions/{subscription}/resourcegroups/{group}/providers/"
        f"microsoft.managedidentity/userassignedidentities/{identity['name']}"
    )
    assert identity["resource_group_name"] == "${azurerm_resource_group.team-rg.name}"


def test_the_platform_ci_is_federated_and_cannot_hand_out_owner(hub_azure: dict) -> None:
    from infra.azure import roles

    creds = hub_azure["resource"]["azurerm_federated_identity_credential"]
    assert {c["subject"] for c in creds.values()} == {
        "repo:acme/platform:ref:refs/heads/main", "repo:acme/platform:pull_request",
    }  # fmt: skip
    assert all(c["audience"] == ["api://AzureADTokenExchange"] for c in creds.values())
    deployer = [g for g in assignments(hub_azure) if "platform-ci-deployer" in g["principal_id"]]
    admin = [g for g in deployer if g["role_definition_name"] == roles.RBAC_ADMIN]
    assert admin and all(g["condition_version"] == "2.0" for g in admin)
    for grant in admin:
        assert roles.BUILTIN_ROLE_IDS[roles.OWNER] not in grant["condition"]
        assert roles.BUILTIN_ROLE_IDS[roles.RBAC_ADMIN] not in grant["condition"]
        assert roles.BUILTIN_ROLE_IDS[roles.REGISTRY_USER] in grant["condition"]
    planner = [g for g in assignments(hub_azure) if "platform-ci-planner" in g["principal_id"]]
    assert {g["role_definition_name"] for g in planner} == {roles.READER}
    scopes = {g["scope"] for g in planner}
    assert "/subscriptions/${azurerm_subscription.vend-pricing.subscription_id}" in scopes  # the vended one too


def test_subscriptions_may_not_leave_the_tenant_and_vending_uses_the_billing_scope(hub_azure: dict) -> None:
    apis = hub_azure["resource"]["azapi_resource"]
    policy = apis["tenant-subscription-policy"]
    assert policy["type"] == "Microsoft.Subscription/policies@2021-10-01" and policy["parent_id"] == "/"
    assert policy["body"]["properties"]["blockSubscriptionsLeavingTenant"] is True
    vend = hub_azure["resource"]["azurerm_subscription"]["vend-pricing"]
    assert vend["billing_scope_id"].endswith("/enrollmentAccounts/7654321") and vend["alias"] == "acme-govhub-pricing"
    assert hub_azure["terraform"]["required_providers"]["azapi"] == {"source": "Azure/azapi", "version": "~> 2.5"}


def test_the_registries_are_private_and_teams_can_only_read_the_governed_one(azure_estate: dict) -> None:
    hub = azure_estate["hub-azure"]
    for name in ("governed-registry", "candidates-registry"):
        props = hub["resource"]["azapi_resource"][name]["body"]["properties"]
        assert props["publicNetworkAccess"] == "Disabled"
    reader = hub["resource"]["azurerm_role_definition"]["registry-reader"]
    assert reader["permissions"] == [{"actions": [
        "Microsoft.MachineLearningServices/registries/read",
        "Microsoft.MachineLearningServices/registries/assets/read",
    ]}]  # fmt: skip
    spoke = azure_estate["spoke-azure-credit"]["resource"]["azurerm_role_assignment"]
    assert spoke["ci-registers-candidates"]["role_definition_name"] == "AzureML Registry User"
    assert spoke["workspace-reads-governed"]["role_definition_id"].endswith("registry_reader_role_id}") or (
        "registry-reader" in spoke["workspace-reads-governed"]["role_definition_id"]
    )


def test_the_function_app_carries_every_setting_the_services_builder_reads(hub_azure: dict) -> None:
    """govhub.backends.azure.hub builds the service's stores, registry and bus from these settings."""
    from govhub.backends.azure.hub import SETTINGS

    settings = hub_azure["resource"]["azurerm_linux_function_app"]["hub-service"]["app_settings"]
    assert set(SETTINGS) <= set(settings)
    assert settings["GOVHUB_ARTIFACT_CONTAINER_ID"] == "${azurerm_storage_container.artifact-container.id}"
    assert settings["GOVHUB_AUDIT_CONTAINER_ID"] == "${azurerm_storage_container.audit-container.id}"
