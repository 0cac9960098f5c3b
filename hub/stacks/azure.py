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

import hashlib
import json
import uuid
from typing import Any

from govhub import vocabulary as v
from govhub.config import PlatformConfig
from infra import engine
from infra.aspects import apply_guardrails
from infra.azure import arm_types, names, roles
from infra.azure.azapi import AzapiProvider, AzapiResource
from infra.azure.builtin_policies import ALLOWED_LOCATIONS, ML_GUARDRAIL_INITIATIVE
from infra.azure.facts import AzureTeamHubFacts
from infra.azure.names import storage_name
from infra.azure.network import Endpoint, PrivateNetwork
from infra.service_config import config_text

az = engine.provider("azurerm")

STACK_ID = "hub-azure"
# Gate decisions and registry events, as the hub service publishes them (CloudEvents ``type``)
GATE_DECISION_TYPE = v.GATE_DECISION_TYPE
ALERTED_EVENTS = (
    GATE_DECISION_TYPE,
    "govhub.registry.registered",
    "govhub.registry.promoted",
    "govhub.registry.rejected",
)
BLOB_LOG_CATEGORIES = ("StorageRead", "StorageWrite", "StorageDelete")
KEY_OPERATIONS = ["decrypt", "encrypt", "sign", "unwrapKey", "verify", "wrapKey"]
# What a workspace needs to deploy an approved model from the governed registry, and nothing more
REGISTRY_READ_ACTIONS = (
    "Microsoft.MachineLearningServices/registries/read",
    "Microsoft.MachineLearningServices/registries/assets/read",
)


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
            self,
            "hub-rg",
            name=f"{org}-govhub-hub",
            location=location,
            tags=self.tags,  # named in the service's settings
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
            self, "stores-use-key", scope=self.vault.id, role_definition_name=roles.KEY_USER,
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
        self.artifact_container = az.storage_container.StorageContainer(
            self, "artifact-container", name="govhub-artifacts", storage_account_id=self.artifacts.id,
            container_access_type="private",
        )  # fmt: skip
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
                for c in names.ACTIVITY_LOG_CATEGORIES
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
        self.azapi = AzapiProvider(self, "azapi", tenant_id=hub.tenant_id, subscription_id=hub.subscription_id)
        self._registries(org, location)
        self._tenant_policy()
        self.subscriptions = self._vend(org)
        self._service(org, location, rg, config)
        self._blob_logs()
        self._platform_ci(org, location, rg)
        self._people()
        self.facts = {
            team.name: AzureTeamHubFacts(
                team=team.name,
                tenant_id=hub.tenant_id,
                hub_subscription_id=hub.subscription_id,
                subscription_id=self.subscriptions[team.name],
                management_group_id=self.management_group.id,
                spoke_events_queue_id=self.spoke_events.id,
                audit_account_id=self.audit.id,
                log_workspace_id=self.logs.id,
                candidates_registry_id=self.candidates.id,
                governed_registry_id=self.governed.id,
                registry_reader_role_id=self.registry_reader.role_definition_resource_id,
                service_url=f"https://{self.service.default_hostname}",
                service_audience=self.service_audience,
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
            "governed_registry_id": self.governed.id,
            "candidates_registry_id": self.candidates.id,
            "service_url": f"https://{self.service.default_hostname}",
            "service_identity_principal_id": self.service_identity.principal_id,
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
            included_event_types=[GATE_DECISION_TYPE],
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
        # every gate decision and registry event also lands in an alerts queue; Event Grid cannot deliver
        # to an action group, so metric alerts on the queues (and on undelivered events) page it
        self.alert_queue = az.servicebus_queue.ServicebusQueue(
            self, "alert-queue", name="govhub-alerts", namespace_id=self.bus_namespace.id,
            dead_lettering_on_message_expiration=True, max_delivery_count=10, default_message_ttl="P14D",
        )  # fmt: skip
        az.eventgrid_event_subscription.EventgridEventSubscription(
            self, "events-to-alerts", name="govhub-alerts", scope=self.topic.id,
            event_delivery_schema="CloudEventSchemaV1_0", service_bus_queue_endpoint_id=self.alert_queue.id,
            included_event_types=list(ALERTED_EVENTS),
        )  # fmt: skip
        mma = az.monitor_metric_alert
        alerting = [
            ("alert-waiting", self.bus_namespace.id, "Microsoft.ServiceBus/namespaces", "ActiveMessages",
             ["govhub-tickets", "govhub-alerts"], "a ticket or governance event is waiting"),
            ("alert-dead-letters", self.bus_namespace.id, "Microsoft.ServiceBus/namespaces", "DeadletteredMessages",
             ["*"], "a governance message could not be delivered and was dead-lettered"),
            ("alert-dropped-events", self.topic.id, "Microsoft.EventGrid/topics", "DroppedEventCount", [],
             "Event Grid dropped a governance event"),
        ]  # fmt: skip
        for id_, scope, namespace, metric, entities, what in alerting:
            dimension = [
                mma.MonitorMetricAlertCriteriaDimension(name="EntityName", operator="Include", values=entities)
            ]
            mma.MonitorMetricAlert(
                self, id_, name=f"govhub-{id_}", resource_group_name=rg, scopes=[scope], severity=2,
                description=f"govhub: {what}", frequency="PT5M", window_size="PT5M",
                criteria=[mma.MonitorMetricAlertCriteria(
                    metric_namespace=namespace, metric_name=metric, aggregation="Maximum" if entities else "Total",
                    operator="GreaterThan", threshold=0, dimension=dimension if entities else None,
                )],
                action=[mma.MonitorMetricAlertAction(action_group_id=self.alerts.id)], tags=self.tags,
            )  # fmt: skip

    def _registries(self, org: str, location: str) -> None:
        """Two Azure ML registries (azapi: azurerm has no resource for them). Teams register candidate
        versions in the candidates registry, where each team's identities hold AzureML Registry User
        (granted from the spokes, scoped to that registry alone). The governed registry holds what the
        hub approved: only the hub service's identity may write it; workspaces read it through a custom
        role with the two read actions, so a team can deploy an approved model and change nothing."""

        def registry(id_: str, purpose: str) -> AzapiResource:
            return AzapiResource(
                self,
                id_,
                type=arm_types.ML_REGISTRY,
                name=f"{org}-govhub-{purpose}"[:33],
                parent_id=self.group.id,
                location=location,
                identity={"type": "SystemAssigned"},
                tags=self.tags,
                response_export_values=["properties.discoveryUrl", "properties.mlFlowRegistryUri"],
                provider=self.azapi,
                body={
                    "properties": {
                        "publicNetworkAccess": "Disabled",
                        "regionDetails": [
                            {
                                "location": location,
                                # a registry's storage and ACR are created by the service (bringing our
                                # own is not supported); both stay private
                                "storageAccountDetails": [
                                    {
                                        "systemCreatedStorageAccount": {
                                            "storageAccountType": "Standard_GRS",
                                            "storageAccountHnsEnabled": False,
                                            "allowBlobPublicAccess": False,
                                        }
                                    }
                                ],
                                "acrDetails": [{"systemCreatedAcrAccount": {"acrAccountSku": "Premium"}}],
                            }
                        ],
                    }
                },
            )

        self.governed = registry("governed-registry", "models")
        self.candidates = registry("candidates-registry", "candidates")
        self.registry_reader_guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"govhub:{org}:registry-reader"))
        self.registry_reader = az.role_definition.RoleDefinition(
            self,
            "registry-reader",
            name=f"govhub registry reader ({org})",
            role_definition_id=self.registry_reader_guid,
            scope=self.group.id,
            assignable_scopes=[self.governed.id, self.candidates.id],
            description="govhub: read an Azure ML registry and its assets, nothing else",
            permissions=[az.role_definition.RoleDefinitionPermissions(actions=list(REGISTRY_READ_ACTIONS))],
        )

    def _tenant_policy(self) -> None:
        """The tenant's subscription policy (``Microsoft.Subscription/policies/default``, azapi):
        subscriptions may not leave the tenant, so a team cannot take its subscription and its
        history out of the guardrails' reach. Needs a Global Administrator's elevated access once."""
        AzapiResource(
            self,
            "tenant-subscription-policy",
            type=arm_types.SUBSCRIPTION_POLICY,
            name="default",
            parent_id="/",
            provider=self.azapi,
            body={
                "properties": {
                    "blockSubscriptionsLeavingTenant": True,
                    "blockSubscriptionsIntoTenant": False,
                    "exemptedPrincipals": [],
                }
            },
        )

    def _vend(self, org: str) -> dict[str, str]:
        """Every Azure team's subscription id: the configured one, or one vended here through a
        subscription alias on the hub's billing scope (the spoke then joins it to the ML management
        group and builds in it)."""
        subscriptions = {}
        for team in self.config.teams_on("azure"):
            if not team.vended:
                subscriptions[team.name] = team.account
                continue
            alias = az.subscription.Subscription(
                self, f"vend-{team.name}", subscription_name=f"{org}-govhub-{team.name}",
                alias=f"{org}-govhub-{team.name}", billing_scope_id=self.hub.billing_scope_id, workload="Production",
                tags={"owner": team.owner, "team": team.name, "cost-centre": team.cost_centre,
                      **self.config.guardrails.default_tags},
            )  # fmt: skip
            subscriptions[team.name] = alias.subscription_id
        return subscriptions

    def _service(self, org: str, location: str, rg: str, config: PlatformConfig) -> None:
        """The hub service's home: a Function App behind Entra authentication (every request needs a
        token for the service's app registration, or it gets 401 before any code runs), running as a
        user-assigned identity that is the only principal with write roles on the audit container,
        the artifact store and the governed registry. The service reads the caller from the token
        (``xms_mirid`` for a team CI identity, ``groups`` for people), never from the request; the team
        identities it accepts are listed in ``GOVHUB_AZURE_SUBMITTERS`` from platform.yaml."""
        hub = self.hub
        self.service_identity = az.user_assigned_identity.UserAssignedIdentity(
            self, "service-identity", name=f"{org}-govhub-service", location=location, resource_group_name=rg,
            tags=self.tags,
        )  # fmt: skip
        store = self.service_store = self._account("service-store", storage_name(org, "svc", hub.subscription_id))
        # the stores and the vault deny public access: private endpoints in the hub's network, which the
        # service joins through its own delegated subnet
        self.network = PrivateNetwork(
            self, name=f"{org}-govhub-hub", location=location, resource_group=rg, cidr=hub.network_cidr,
            tags=self.tags, delegated=[("hub-service", "Microsoft.Web/serverFarms")],
            endpoints={
                "audit": Endpoint(self.audit.id, "blob"), "artifacts": Endpoint(self.artifacts.id, "blob"),
                "service-store": Endpoint(store.id, "blob"), "vault": Endpoint(self.vault.id, "vault"),
            },
        )  # fmt: skip
        plan = az.service_plan.ServicePlan(
            self, "service-plan", name=f"{org}-govhub-service", location=location, resource_group_name=rg,
            os_type="Linux", sku_name="P1v3", worker_count=3, zone_balancing_enabled=True, tags=self.tags,
        )  # fmt: skip
        insights = az.application_insights.ApplicationInsights(
            self, "service-insights", name=f"{org}-govhub-service", location=location, resource_group_name=rg,
            application_type="other", workspace_id=self.logs.id, local_authentication_disabled=True, tags=self.tags,
        )  # fmt: skip
        self.service_audience = f"api://{hub.service_client_id}"
        submitters = {
            names.identity_resource_id(
                self.subscriptions[team.name], names.team_resource_group(team.name), names.team_ci_identity(team.name)
            ): team.name
            for team in config.teams_on("azure")
            if team.ci is not None
        }
        fa = az.linux_function_app
        self.service = fa.LinuxFunctionApp(
            self,
            "hub-service",
            name=f"{org}-govhub-service",
            location=location,
            resource_group_name=rg,
            service_plan_id=plan.id,
            storage_account_name=store.name,
            storage_uses_managed_identity=True,
            https_only=True,
            public_network_access_enabled=True,  # team CI runners call it from anywhere, with a token
            client_certificate_mode="Optional",
            functions_extension_version="~4",
            builtin_logging_enabled=False,
            virtual_network_subnet_id=self.network.delegated["hub-service"].id,
            identity=fa.LinuxFunctionAppIdentity(type="UserAssigned", identity_ids=[self.service_identity.id]),
            key_vault_reference_identity_id=self.service_identity.id,
            site_config=fa.LinuxFunctionAppSiteConfig(
                application_stack=fa.LinuxFunctionAppSiteConfigApplicationStack(python_version="3.11"),
                application_insights_connection_string=insights.connection_string,
                ftps_state="Disabled",
                minimum_tls_version="1.2",
                scm_minimum_tls_version="1.2",
                http2_enabled=True,
                remote_debugging_enabled=False,
                vnet_route_all_enabled=True,  # every outbound call goes through the hub network
            ),
            auth_settings_v2=fa.LinuxFunctionAppAuthSettingsV2(
                auth_enabled=True,
                require_authentication=True,
                require_https=True,
                unauthenticated_action="Return401",
                default_provider="azureactivedirectory",
                active_directory_v2=fa.LinuxFunctionAppAuthSettingsV2ActiveDirectoryV2(
                    client_id=hub.service_client_id,
                    tenant_auth_endpoint=f"https://login.microsoftonline.com/{hub.tenant_id}/v2.0",
                    allowed_audiences=[self.service_audience],
                ),
                login=fa.LinuxFunctionAppAuthSettingsV2Login(token_store_enabled=False),
            ),
            app_settings={
                "AzureWebJobsStorage__credential": "managedidentity",
                "AzureWebJobsStorage__clientId": self.service_identity.client_id,
                "AZURE_CLIENT_ID": self.service_identity.client_id,
                "GOVHUB_TENANT_ID": hub.tenant_id,
                "GOVHUB_HUB_SUBSCRIPTION_ID": hub.subscription_id,
                "GOVHUB_AZURE_DEPLOYER": (
                    names.identity_resource_id(hub.subscription_id, f"{org}-govhub-hub", f"{org}-govhub-ci-deployer")
                    if hub.platform_ci
                    else ""
                ),
                "GOVHUB_APPROVER_GROUP_ID": hub.approver_group_id or "",
                "GOVHUB_PLATFORM_ADMIN_GROUP_ID": hub.platform_admin_group_id or "",
                "GOVHUB_PLATFORM_CONFIG_SHA256": hashlib.sha256(config_text(config, STACK_ID).encode()).hexdigest(),
                "GOVHUB_AZURE_SUBMITTERS": json.dumps(submitters, sort_keys=True),
                "GOVHUB_AUDIT_CONTAINER_ID": self.audit_container.id,
                "GOVHUB_ARTIFACT_ACCOUNT_ID": self.artifacts.id,
                "GOVHUB_ARTIFACT_CONTAINER_ID": self.artifact_container.id,
                "GOVHUB_GOVERNED_REGISTRY_ID": self.governed.id,
                "GOVHUB_CANDIDATES_REGISTRY_ID": self.candidates.id,
                "GOVHUB_EVENT_TOPIC_ENDPOINT": self.topic.endpoint,
                "GOVHUB_REGISTRY": hub.registry,  # azureml, or mlflow at the tracking server below
                "GOVHUB_MLFLOW_TRACKING_URI": hub.mlflow.tracking_uri if hub.mlflow else "",
            },
            tags=self.tags,
        )
        principal = self.service_identity.principal_id
        reader = {"role_definition_id": self.registry_reader.role_definition_resource_id}
        grants: list[tuple[str, str, dict[str, str]]] = [
            # the Functions host's own leases and keys
            ("service-runtime-store", store.id, {"role_definition_name": roles.BLOB_OWNER}),
            ("service-writes-audit", self.audit_container.id, {"role_definition_name": roles.BLOB_CONTRIBUTOR}),
            ("service-writes-artifacts", self.artifacts.id, {"role_definition_name": roles.BLOB_CONTRIBUTOR}),
            ("service-writes-governed-registry", self.governed.id, {"role_definition_name": roles.REGISTRY_USER}),
            ("service-reads-candidates", self.candidates.id, reader),
            ("service-publishes-events", self.topic.id, {"role_definition_name": roles.EVENTGRID_SENDER}),
            ("service-reads-spoke-events", self.spoke_events.id, {"role_definition_name": roles.BUS_RECEIVER}),
        ]
        for id_, scope, role in grants:
            az.role_assignment.RoleAssignment(
                self, id_, scope=scope, principal_id=principal, principal_type="ServicePrincipal", **role
            )

    def _blob_logs(self) -> None:
        """Every read, write and delete on the hub's blob services, to the Log Analytics workspace: who
        read the audit log is itself on record."""
        ds = az.monitor_diagnostic_setting
        for key, account in (
            ("audit", self.audit),
            ("artifacts", self.artifacts),
            ("service-store", self.service_store),
        ):
            ds.MonitorDiagnosticSetting(
                self, f"blob-log-{key}", name="govhub-blob-access", target_resource_id=f"{account.id}/blobServices/default",
                log_analytics_workspace_id=self.logs.id,
                enabled_log=[ds.MonitorDiagnosticSettingEnabledLog(category=c) for c in BLOB_LOG_CATEGORIES],
            )  # fmt: skip

    def _platform_ci(self, org: str, location: str, rg: str) -> None:
        """The platform repository's CI signs in with workload identity federation, no secret: a
        deployer identity trusted on the main branch only, and (GitHub) a planner trusted on pull
        requests with Reader. The deployer manages the hub and team subscriptions and may assign only
        the roles the estate uses (an ABAC condition on its access administration)."""
        ci = self.hub.platform_ci
        if ci is None:
            return
        issuer = f"https://{ci.issuer_host}"
        scopes = [f"/subscriptions/{self.hub.subscription_id}"]
        scopes += [f"/subscriptions/{sub}" for sub in self.subscriptions.values()]
        identities = [("deployer", ci.subject)]
        if ci.provider == "github":
            identities.append(("planner", f"repo:{ci.repository}:pull_request"))
        assignable = [
            roles.BUILTIN_ROLE_IDS[r]
            for r in (roles.READER, roles.KEY_USER, roles.BLOB_READER, roles.BLOB_CONTRIBUTOR, roles.BLOB_OWNER,
                      roles.REGISTRY_USER, roles.EVENTGRID_SENDER, roles.BUS_SENDER, roles.BUS_RECEIVER)
        ] + [self.registry_reader_guid]  # fmt: skip
        for kind, subject in identities:
            identity = az.user_assigned_identity.UserAssignedIdentity(
                self, f"platform-ci-{kind}", name=f"{org}-govhub-ci-{kind}", location=location,
                resource_group_name=rg, tags=self.tags,
            )  # fmt: skip
            az.federated_identity_credential.FederatedIdentityCredential(
                self, f"platform-ci-{kind}-federation", name=f"{org}-govhub-ci-{kind}", resource_group_name=rg,
                parent_id=identity.id, issuer=issuer, subject=subject, audience=[names.FEDERATION_AUDIENCE],
            )  # fmt: skip
            grants: list[tuple[str, str, str | None]]
            if kind == "planner":
                grants = [(roles.READER, scope, None) for scope in scopes]
            else:
                grants = [(roles.CONTRIBUTOR, scope, None) for scope in scopes]
                grants += [(roles.RBAC_ADMIN, scope, roles.delegation_condition(assignable)) for scope in scopes]
                grants.append((roles.MG_CONTRIBUTOR, self.management_group.id, None))
            for i, (role, scope, condition) in enumerate(grants):
                extra: dict[str, str] = {"condition": condition, "condition_version": "2.0"} if condition else {}
                az.role_assignment.RoleAssignment(
                    self, f"platform-ci-{kind}-{i}", scope=scope, role_definition_name=role,
                    principal_id=identity.principal_id, principal_type="ServicePrincipal", **extra,
                )  # fmt: skip

    def _people(self) -> None:
        """Approvers and auditors read the hub's records; the platform admins read everything in the
        hub's resource group. Nobody but the hub service (to come) may write the audit container."""
        hub = self.hub
        grants = [
            ("approvers-read-artifacts", hub.approver_group_id, self.artifacts.id, roles.BLOB_READER),
            ("auditors-read-audit", hub.auditor_group_id, self.audit.id, roles.BLOB_READER),
            ("auditors-read-hub", hub.auditor_group_id, self.group.id, roles.READER),
            ("admins-read-hub", hub.platform_admin_group_id, self.group.id, roles.READER),
        ]
        for id_, group, scope, role in grants:
            if group:
                az.role_assignment.RoleAssignment(
                    self, id_, scope=scope, role_definition_name=role, principal_id=group, principal_type="Group"
                )
