"""The Azure governance hub (``hub-azure``): guardrails, audit and artifact stores, keys, the
governance bus, the container registry and the human roles, in the hub subscription.

This is the first part of the Azure estate (issue 16). Built: the ML management group with the
guardrail initiative's built-in policies assigned, a Key Vault (purge protection, RBAC) with a
rotating key, the audit store (infrastructure encryption, customer-managed key, a container under a
locked time-based immutability policy with protected append writes) receiving the subscription's
activity logs next to a Log Analytics workspace, the artifact store, the governance bus (Event Grid
topic to a Service Bus ticket queue with dead-lettering, and an alert action group), a container
registry without an admin user, and role assignments for the approver, auditor and platform-admin
groups. Not built yet: the Azure ML registry (azapi), the hub service's Function App and its
identity, the platform CI's federated credential and the tenant-wide subscription policy (the teams'
spokes are spoke/stacks/azure.py).
No azurerm provider binary can be downloaded here, so the stack is proven by synthesis, the
guardrail rules and an inventory (tests/hub/test_hub_azure.py), never by an apply.
"""

from __future__ import annotations

import json
from typing import Any

from govhub.config import PlatformConfig
from infra import engine
from infra.aspects import apply_guardrails
from infra.azure.builtin_policies import ALLOWED_LOCATIONS, ML_GUARDRAIL_INITIATIVE
from infra.azure.facts import AzureTeamHubFacts
from infra.azure.names import storage_name

az = engine.provider("azurerm")

STACK_ID = "hub-azure"
ACTIVITY_LOG_CATEGORIES = ("Administrative", "Security", "Policy", "Alert", "ServiceHealth", "ResourceHealth")
KEY_OPERATIONS = ["decrypt", "encrypt", "sign", "unwrapKey", "verify", "wrapKey"]
# Built-in role names, assigned by name (the ids are the same in every tenant)
ROLE_READER = "Reader"
ROLE_KEY_USER = "Key Vault Crypto Service Encryption User"
ROLE_BLOB_READER = "Storage Blob Data Reader"
ROLE_BLOB_CONTRIBUTOR = "Storage Blob Data Contributor"


class AzureHubStack(engine.TerraformStack):
    """``hub-azure``: the hub subscription and the ML management group's guardrails."""

    def __init__(self, scope: Any, config: PlatformConfig):
        super().__init__(scope, STACK_ID)
        hub = config.hubs.azure
        assert hub is not None, "the config loader guarantees hubs.azure when the Azure hub is built"
        self.config, self.hub = config, hub
        org = config.organization
        self.tags = {
            "owner": hub.owner,
            "team": "platform",
            "cost-centre": hub.cost_centre,
            **config.guardrails.default_tags,
        }
        az.provider.AzurermProvider(
            self,
            "azurerm",
            features=[
                az.provider.AzurermProviderFeatures(
                    key_vault=[az.provider.AzurermProviderFeaturesKeyVault(purge_soft_delete_on_destroy=False)]
                )
            ],
            tenant_id=hub.tenant_id,
            subscription_id=hub.subscription_id,
            use_oidc=True,  # the platform CI's workload identity federation: no client secret
            storage_use_azuread=True,  # shared keys are off on every account
        )
        location = hub.location
        self.group = az.resource_group.ResourceGroup(
            self, "hub-rg", name=f"{org}-govhub-hub", location=location, tags=self.tags
        )
        rg = self.group.name
        self._guardrails(org)

        self.identity = az.user_assigned_identity.UserAssignedIdentity(
            self, "store-identity", name=f"{org}-govhub-stores", location=location, resource_group_name=rg,
            tags=self.tags,
        )  # fmt: skip
        self.vault = az.key_vault.KeyVault(
            self,
            "vault",
            name=storage_name(org, "kv", hub.subscription_id),
            location=location,
            resource_group_name=rg,
            tenant_id=hub.tenant_id,
            sku_name="premium",
            purge_protection_enabled=True,
            soft_delete_retention_days=90,
            rbac_authorization_enabled=True,
            public_network_access_enabled=False,
            network_acls=az.key_vault.KeyVaultNetworkAcls(bypass="AzureServices", default_action="Deny"),
            tags=self.tags,
        )
        self.key = az.key_vault_key.KeyVaultKey(
            self,
            "hub-key",
            name="govhub-hub",
            key_vault_id=self.vault.id,
            key_type="RSA-HSM",
            key_size=3072,
            key_opts=KEY_OPERATIONS,
            rotation_policy=az.key_vault_key.KeyVaultKeyRotationPolicy(
                automatic=az.key_vault_key.KeyVaultKeyRotationPolicyAutomatic(time_before_expiry="P30D"),
                expire_after="P365D",
                notify_before_expiry="P29D",
            ),
            tags=self.tags,
        )
        az.role_assignment.RoleAssignment(
            self, "stores-use-key", scope=self.vault.id, role_definition_name=ROLE_KEY_USER,
            principal_id=self.identity.principal_id,
        )  # fmt: skip

        self.audit = self._account("audit-store", storage_name(org, "audit", hub.subscription_id))
        self.audit_container = az.storage_container.StorageContainer(
            self, "audit-container", name="govhub-audit-log", storage_account_id=self.audit.id,
            container_access_type="private",
        )  # fmt: skip
        az.storage_container_immutability_policy.StorageContainerImmutabilityPolicy(
            self,
            "audit-immutability",
            storage_container_resource_manager_id=self.audit_container.id,
            immutability_period_in_days=config.guardrails.audit_retention_days,
            locked=True,
            protected_append_writes_enabled=True,
        )
        self.artifacts = self._account("artifact-store", storage_name(org, "art", hub.subscription_id))
        self.logs = az.log_analytics_workspace.LogAnalyticsWorkspace(
            self, "logs", name=f"{org}-govhub-logs", location=location, resource_group_name=rg, sku="PerGB2018",
            retention_in_days=730, tags=self.tags,
        )  # fmt: skip
        az.monitor_diagnostic_setting.MonitorDiagnosticSetting(
            self,
            "activity-log",
            name="govhub-activity-log",
            target_resource_id=f"/subscriptions/{hub.subscription_id}",
            storage_account_id=self.audit.id,
            log_analytics_workspace_id=self.logs.id,
            enabled_log=[
                az.monitor_diagnostic_setting.MonitorDiagnosticSettingEnabledLog(category=c)
                for c in ACTIVITY_LOG_CATEGORIES
            ],
        )
        self._bus(org, location, rg)
        self.registry_images = az.container_registry.ContainerRegistry(
            self,
            "pipeline-images",
            name=storage_name(org, "images", hub.subscription_id),
            location=location,
            resource_group_name=rg,
            sku="Premium",
            admin_enabled=False,
            anonymous_pull_enabled=False,
            public_network_access_enabled=False,
            zone_redundancy_enabled=True,
            data_endpoint_enabled=True,
            trust_policy_enabled=True,  # content trust: signed images only
            quarantine_policy_enabled=True,  # new images wait for the scan before they can be pulled
            retention_policy_in_days=30,  # untagged manifests are cleaned up
            identity=az.container_registry.ContainerRegistryIdentity(
                type="UserAssigned", identity_ids=[self.identity.id]
            ),
            encryption=[
                az.container_registry.ContainerRegistryEncryption(
                    key_vault_key_id=self.key.id, identity_client_id=self.identity.client_id
                )
            ],
            tags=self.tags,
        )
        self._people()
        self.facts = {
            team.name: AzureTeamHubFacts(
                team=team.name,
                tenant_id=hub.tenant_id,
                hub_subscription_id=hub.subscription_id,
                management_group_id=self.management_group.id,
                spoke_events_queue_id=self.spoke_events.id,
            )
            for team in config.teams_on("azure")
        }
        for name, value in {
            "management_group_id": self.management_group.id,
            "audit_container_id": self.audit_container.id,
            "artifact_account_id": self.artifacts.id,
            "event_topic_id": self.topic.id,
            "ticket_queue_id": self.queue.id,
            "key_vault_id": self.vault.id,
        }.items():
            engine.TerraformOutput(self, f"out-{name}", value=value, description=f"govhub hub-azure: {name}")
        self.guardrails = apply_guardrails(self, config.guardrails.required_tags)

    def _guardrails(self, org: str) -> None:
        """The ML management group under the tenant root, with the guardrail initiative's built-in
        definitions assigned to it (deny where the definition allows it)."""
        hub = self.hub
        self.management_group = az.management_group.ManagementGroup(
            self,
            "ml-management-group",
            name=f"{org}-{hub.ml_management_group}"[:90],
            display_name=f"{org} ML workloads (govhub)",
            parent_management_group_id=f"/providers/Microsoft.Management/managementGroups/{hub.tenant_id}",
        )
        for policy in ML_GUARDRAIL_INITIATIVE:
            parameters: dict[str, Any] = {}
            if policy is ALLOWED_LOCATIONS:
                parameters = {"listOfAllowedLocations": {"value": list(self.config.guardrails.allowed_regions.azure)}}
            elif policy.effect != "deny":
                parameters = {"effect": {"value": policy.effect}}
            az.management_group_policy_assignment.ManagementGroupPolicyAssignment(
                self,
                f"guardrail-{policy.guid[:8]}",
                name=f"govhub-{policy.guid[:8]}",
                display_name=f"govhub: {policy.display_name}"[:128],
                management_group_id=self.management_group.id,
                policy_definition_id=policy.id,
                parameters=json.dumps(parameters, sort_keys=True),
                enforce=True,
                non_compliance_message=[
                    az.management_group_policy_assignment.ManagementGroupPolicyAssignmentNonComplianceMessage(
                        content=f"govhub guardrail ({policy.guardrail}): {policy.display_name}"
                    )
                ],
            )

    def _account(self, id_: str, name: str) -> Any:
        """A storage account with infrastructure encryption and the hub's key, no public network
        access, no public blobs and no shared keys (Entra ID only)."""
        return az.storage_account.StorageAccount(
            self,
            id_,
            name=name,
            resource_group_name=self.group.name,
            location=self.hub.location,
            account_tier="Standard",
            account_replication_type="GZRS",  # zone- and geo-redundant: the audit record survives a region
            account_kind="StorageV2",
            min_tls_version="TLS1_2",
            https_traffic_only_enabled=True,
            infrastructure_encryption_enabled=True,
            public_network_access_enabled=False,
            allow_nested_items_to_be_public=False,
            shared_access_key_enabled=False,
            default_to_oauth_authentication=True,
            cross_tenant_replication_enabled=False,
            identity=az.storage_account.StorageAccountIdentity(type="UserAssigned", identity_ids=[self.identity.id]),
            customer_managed_key=az.storage_account.StorageAccountCustomerManagedKey(
                key_vault_key_id=self.key.versionless_id, user_assigned_identity_id=self.identity.id
            ),
            blob_properties=az.storage_account.StorageAccountBlobProperties(
                versioning_enabled=True,
                delete_retention_policy=az.storage_account.StorageAccountBlobPropertiesDeleteRetentionPolicy(days=30),
            ),
            tags=self.tags,
        )

    def _bus(self, org: str, location: str, rg: str) -> None:
        """Gate decisions and registry events: an Event Grid topic, routed to a Service Bus ticket
        queue (dead-lettering on expiry) and an alert action group."""
        self.topic = az.eventgrid_topic.EventgridTopic(
            self, "governance-topic", name=f"{org}-govhub-bus", location=location, resource_group_name=rg,
            local_auth_enabled=False, public_network_access_enabled=False, input_schema="CloudEventSchemaV1_0",
            identity=az.eventgrid_topic.EventgridTopicIdentity(type="UserAssigned", identity_ids=[self.identity.id]),
            tags=self.tags,
        )  # fmt: skip
        self.bus_namespace = az.servicebus_namespace.ServicebusNamespace(
            self, "tickets-namespace", name=f"{org}-govhub-tickets", location=location, resource_group_name=rg,
            sku="Premium", capacity=1, premium_messaging_partitions=1, local_auth_enabled=False,
            public_network_access_enabled=False, minimum_tls_version="1.2", tags=self.tags,
            identity=az.servicebus_namespace.ServicebusNamespaceIdentity(
                type="UserAssigned", identity_ids=[self.identity.id]
            ),
            customer_managed_key=az.servicebus_namespace.ServicebusNamespaceCustomerManagedKey(
                identity_id=self.identity.id, key_vault_key_id=self.key.versionless_id,
                infrastructure_encryption_enabled=True,
            ),
        )  # fmt: skip
        self.queue = az.servicebus_queue.ServicebusQueue(
            self, "ticket-queue", name="govhub-tickets", namespace_id=self.bus_namespace.id,
            dead_lettering_on_message_expiration=True, max_delivery_count=10, default_message_ttl="P14D",
        )  # fmt: skip
        az.eventgrid_event_subscription.EventgridEventSubscription(
            self,
            "failed-decisions-to-tickets",
            name="govhub-failed-decisions",
            scope=self.topic.id,
            event_delivery_schema="CloudEventSchemaV1_0",
            service_bus_queue_endpoint_id=self.queue.id,
            included_event_types=["govhub.gate.decision"],
            advanced_filter=az.eventgrid_event_subscription.EventgridEventSubscriptionAdvancedFilter(
                string_in=[
                    az.eventgrid_event_subscription.EventgridEventSubscriptionAdvancedFilterStringIn(
                        key="data.outcome", values=["fail", "error"]
                    )
                ]
            ),
        )
        # model-registry and job events forwarded by every spoke's Event Grid system topic
        self.spoke_events = az.servicebus_queue.ServicebusQueue(
            self, "spoke-events", name="govhub-spoke-events", namespace_id=self.bus_namespace.id,
            dead_lettering_on_message_expiration=True, max_delivery_count=10, default_message_ttl="P14D",
        )  # fmt: skip
        self.alerts = az.monitor_action_group.MonitorActionGroup(
            self, "alerts", name=f"{org}-govhub-alerts", resource_group_name=rg, short_name="govhub",
            email_receiver=[
                az.monitor_action_group.MonitorActionGroupEmailReceiver(
                    name="platform", email_address=self.hub.owner, use_common_alert_schema=True
                )
            ],
            tags=self.tags,
        )  # fmt: skip

    def _people(self) -> None:
        """Approvers and auditors read the hub's records; the platform admins read everything in the
        hub's resource group. Nobody but the hub service (to come) may write the audit container."""
        hub = self.hub
        grants = [
            ("approvers-read-artifacts", hub.approver_group_id, self.artifacts.id, ROLE_BLOB_READER),
            ("auditors-read-audit", hub.auditor_group_id, self.audit.id, ROLE_BLOB_READER),
            ("auditors-read-hub", hub.auditor_group_id, self.group.id, ROLE_READER),
            ("admins-read-hub", hub.platform_admin_group_id, self.group.id, ROLE_READER),
        ]
        for id_, group, scope, role in grants:
            if group:
                az.role_assignment.RoleAssignment(
                    self, id_, scope=scope, role_definition_name=role, principal_id=group, principal_type="Group"
                )
