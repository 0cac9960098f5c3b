"""An Azure team spoke (``spoke-azure-<team>``), first part: the team's existing subscription joined
to the ML management group, an Azure ML workspace that cannot be reached from the internet, the
team's data store and key, events forwarded to the hub, the team CI's federated identity and a
budget. Not built yet: subscription vending (alias and billing scope), private endpoints and the
CI identity's right to submit to the hub service (the service's Azure home is not built). Proven
offline by synthesis, the guardrail rules and an inventory (tests/spoke/test_spoke_azure.py).
"""

from __future__ import annotations

from typing import Any

from govhub.config import PlatformConfig, Team
from infra import engine
from infra.aspects import apply_guardrails
from infra.azure import names, roles
from infra.azure.facts import AzureTeamHubFacts
from infra.azure.names import storage_name
from infra.azure.network import Endpoint, PrivateNetwork

az = engine.provider("azurerm")

ML_EVENTS = (
    "Microsoft.MachineLearningServices.ModelRegistered",
    "Microsoft.MachineLearningServices.ModelDeployed",
    "Microsoft.MachineLearningServices.RunCompleted",
    "Microsoft.MachineLearningServices.RunStatusChanged",
)


def spoke_stack_id(team: str) -> str:
    return f"spoke-azure-{team}"


class AzureSpokeStack(engine.TerraformStack):
    """``spoke-azure-<team>``: the team's subscription, workspace, data, events, CI identity and budget."""

    def __init__(self, scope: Any, config: PlatformConfig, team: Team, hub: AzureTeamHubFacts):
        super().__init__(scope, spoke_stack_id(team.name))
        self.config, self.team, self.hub = config, team, hub
        sub = hub.subscription_id  # the configured id, or the hub's vended subscription (a reference)
        seed = f"vend:{config.organization}:{team.name}" if team.vended else team.account  # stable names
        location = team.region or (config.hubs.azure.location if config.hubs.azure else "")
        self.tags = {"owner": team.owner, "team": team.name, "cost-centre": team.cost_centre,
                     **config.guardrails.default_tags}  # fmt: skip
        common = {"tenant_id": hub.tenant_id, "use_oidc": True, "storage_use_azuread": True}
        features = [az.provider.AzurermProviderFeatures()]
        az.provider.AzurermProvider(self, "azurerm", subscription_id=sub, features=features, **common)
        # the hub subscription, for the one grant the spoke needs there: sending its events to the hub
        hub_provider = az.provider.AzurermProvider(
            self, "hub", alias="hub", subscription_id=hub.hub_subscription_id, features=features, **common
        )
        az.management_group_subscription_association.ManagementGroupSubscriptionAssociation(
            self, "join-ml-management-group", management_group_id=hub.management_group_id,
            subscription_id=f"/subscriptions/{sub}",
        )  # fmt: skip
        self.group = az.resource_group.ResourceGroup(
            self, "team-rg", name=names.team_resource_group(team.name), location=location, tags=self.tags
        )
        rg = self.group.name
        self.identity = az.user_assigned_identity.UserAssignedIdentity(
            self, "workspace-identity", name=f"govhub-{team.name}-workspace", location=location,
            resource_group_name=rg, tags=self.tags,
        )  # fmt: skip
        self.vault = az.key_vault.KeyVault(
            self, "team-vault", name=storage_name(team.name, "kv", seed), location=location, resource_group_name=rg,
            tenant_id=hub.tenant_id, sku_name="premium", purge_protection_enabled=True,
            soft_delete_retention_days=90, rbac_authorization_enabled=True, public_network_access_enabled=False,
            network_acls=az.key_vault.KeyVaultNetworkAcls(bypass="AzureServices", default_action="Deny"),
            tags=self.tags,
        )  # fmt: skip
        self.key = az.key_vault_key.KeyVaultKey(
            self, "team-key", name=f"govhub-{team.name}", key_vault_id=self.vault.id, key_type="RSA-HSM",
            key_size=3072, key_opts=["decrypt", "encrypt", "unwrapKey", "wrapKey"],
            rotation_policy=az.key_vault_key.KeyVaultKeyRotationPolicy(
                automatic=az.key_vault_key.KeyVaultKeyRotationPolicyAutomatic(time_before_expiry="P30D"),
                expire_after="P365D", notify_before_expiry="P29D",
            ),
            tags=self.tags,
        )  # fmt: skip
        az.role_assignment.RoleAssignment(
            self, "workspace-uses-key", scope=self.vault.id, role_definition_name=roles.KEY_USER,
            principal_id=self.identity.principal_id,
        )  # fmt: skip
        sa = az.storage_account
        self.data = sa.StorageAccount(
            self, "team-data", name=storage_name(team.name, "data", seed), resource_group_name=rg, location=location,
            account_tier="Standard", account_replication_type="GZRS", account_kind="StorageV2",
            min_tls_version="TLS1_2", infrastructure_encryption_enabled=True, public_network_access_enabled=False,
            allow_nested_items_to_be_public=False, shared_access_key_enabled=False,
            default_to_oauth_authentication=True, cross_tenant_replication_enabled=False,
            identity=sa.StorageAccountIdentity(type="UserAssigned", identity_ids=[self.identity.id]),
            customer_managed_key=sa.StorageAccountCustomerManagedKey(
                key_vault_key_id=self.key.versionless_id, user_assigned_identity_id=self.identity.id
            ),
            blob_properties=sa.StorageAccountBlobProperties(
                versioning_enabled=True,
                delete_retention_policy=sa.StorageAccountBlobPropertiesDeleteRetentionPolicy(days=30),
                container_delete_retention_policy=sa.StorageAccountBlobPropertiesContainerDeleteRetentionPolicy(days=30),
            ),
            tags=self.tags,
        )  # fmt: skip
        logs = az.log_analytics_workspace.LogAnalyticsWorkspace(
            self, "team-logs", name=f"govhub-{team.name}-logs", location=location, resource_group_name=rg,
            sku="PerGB2018", retention_in_days=90, tags=self.tags,
        )  # fmt: skip
        insights = az.application_insights.ApplicationInsights(
            self, "team-insights", name=f"govhub-{team.name}-insights", location=location, resource_group_name=rg,
            application_type="other", workspace_id=logs.id, local_authentication_disabled=True,
            internet_ingestion_enabled=False, internet_query_enabled=False, tags=self.tags,
        )  # fmt: skip
        mlw = az.machine_learning_workspace
        self.workspace = mlw.MachineLearningWorkspace(
            self,
            "workspace",
            name=f"govhub-{team.name}",
            location=location,
            resource_group_name=rg,
            application_insights_id=insights.id,
            key_vault_id=self.vault.id,
            storage_account_id=self.data.id,
            identity=mlw.MachineLearningWorkspaceIdentity(type="UserAssigned", identity_ids=[self.identity.id]),
            primary_user_assigned_identity=self.identity.id,
            public_network_access_enabled=False,
            high_business_impact=True,
            managed_network=mlw.MachineLearningWorkspaceManagedNetwork(isolation_mode="AllowOnlyApprovedOutbound"),
            encryption=mlw.MachineLearningWorkspaceEncryption(
                key_vault_id=self.vault.id, key_id=self.key.id, user_assigned_identity_id=self.identity.id
            ),
            v1_legacy_mode_enabled=False,
            tags=self.tags,
        )
        self._network(location, rg)
        self._activity_log(sub)
        self._events(location, rg, hub_provider)
        self.ci_identity = self._ci(location, rg)
        self._registry_access(hub_provider)
        self._budget(sub)
        for name, value in {"workspace_id": self.workspace.id, "data_account_id": self.data.id}.items():
            engine.TerraformOutput(self, f"out-{name}", value=value, description=f"govhub spoke {team.name}: {name}")
        if self.ci_identity is not None:
            engine.TerraformOutput(
                self, "out-ci_variables", description=f"govhub spoke {team.name}: the CI variables of the team's repository",
                value={"AZURE_CLIENT_ID": self.ci_identity.client_id, "AZURE_TENANT_ID": hub.tenant_id,
                       "AZURE_SUBSCRIPTION_ID": sub, "GOVHUB_SERVICE_URL": hub.service_url,
                       "GOVHUB_SERVICE_AUDIENCE": hub.service_audience},
            )  # fmt: skip
        self.guardrails = apply_guardrails(self, config.guardrails.required_tags)

    def _events(self, location: str, rg: str, hub_provider: Any) -> None:
        """The workspace's model-registry and job events, forwarded to the hub's spoke-events queue under
        an identity that may send to that queue and nothing else."""
        sender = az.user_assigned_identity.UserAssignedIdentity(
            self, "events-identity", name=f"govhub-{self.team.name}-events", location=location,
            resource_group_name=rg, tags=self.tags,
        )  # fmt: skip
        az.role_assignment.RoleAssignment(
            self, "send-to-hub-queue", provider=hub_provider, scope=self.hub.spoke_events_queue_id,
            role_definition_name=roles.BUS_SENDER, principal_id=sender.principal_id, principal_type="ServicePrincipal",
        )  # fmt: skip
        topic = az.eventgrid_system_topic.EventgridSystemTopic(
            self, "workspace-events", name=f"govhub-{self.team.name}-workspace", location=location,
            resource_group_name=rg, source_resource_id=self.workspace.id,
            topic_type="Microsoft.MachineLearningServices.Workspaces",
            identity=az.eventgrid_system_topic.EventgridSystemTopicIdentity(
                type="UserAssigned", identity_ids=[sender.id]
            ),
            tags=self.tags,
        )  # fmt: skip
        sub = az.eventgrid_system_topic_event_subscription
        sub.EventgridSystemTopicEventSubscription(
            self, "forward-to-hub", name="govhub-forward", resource_group_name=rg, system_topic=topic.name,
            included_event_types=list(ML_EVENTS), event_delivery_schema="CloudEventSchemaV1_0",
            service_bus_queue_endpoint_id=self.hub.spoke_events_queue_id,
            delivery_identity=sub.EventgridSystemTopicEventSubscriptionDeliveryIdentity(
                type="UserAssigned", user_assigned_identity=sender.id
            ),
        )  # fmt: skip

    def _ci(self, location: str, rg: str) -> Any:
        """The team CI's identity, federated with its repository's OIDC tokens on its branch: no secret."""
        ci = self.team.ci
        if ci is None:
            return None
        identity = az.user_assigned_identity.UserAssignedIdentity(
            self, "ci-identity", name=names.team_ci_identity(self.team.name), location=location, resource_group_name=rg,
            tags=self.tags,
        )  # fmt: skip
        issuer = f"https://{ci.issuer_host}"
        az.federated_identity_credential.FederatedIdentityCredential(
            self, "ci-federation", name=f"govhub-{self.team.name}-ci", resource_group_name=rg, parent_id=identity.id,
            issuer=issuer, subject=ci.subject, audience=[names.FEDERATION_AUDIENCE],
        )  # fmt: skip
        return identity

    def _network(self, location: str, rg: str) -> None:
        """The team's network (``vpc_cidr``) with a guarded subnet for private endpoints: the workspace,
        the data account and the vault are reached only through them, with their private DNS zones."""
        PrivateNetwork(
            self, name=f"govhub-{self.team.name}", location=location, resource_group=rg, cidr=self.team.vpc_cidr,
            tags=self.tags,
            endpoints={
                "workspace": Endpoint(self.workspace.id, "amlworkspace"),
                "data": Endpoint(self.data.id, "blob"),
                "vault": Endpoint(self.vault.id, "vault"),
            },
        )  # fmt: skip

    def _activity_log(self, sub: str) -> None:
        """The team subscription's activity log, to the hub's audit store and Log Analytics workspace
        (the team cannot edit or delete what has been shipped there)."""
        ds = az.monitor_diagnostic_setting
        ds.MonitorDiagnosticSetting(
            self, "activity-log-to-hub", name="govhub-activity-log", target_resource_id=f"/subscriptions/{sub}",
            storage_account_id=self.hub.audit_account_id, log_analytics_workspace_id=self.hub.log_workspace_id,
            enabled_log=[ds.MonitorDiagnosticSettingEnabledLog(category=c) for c in names.ACTIVITY_LOG_CATEGORIES],
        )  # fmt: skip

    def _registry_access(self, hub_provider: Any) -> None:
        """In the hub's registries: AzureML Registry User on the candidates registry (and nothing wider)
        for the identities that register candidate versions, the workspace's and the CI's; on the
        governed registry, only the custom read role for the workspace, so it can deploy approved models."""
        grants = [("workspace-registers-candidates", self.identity.principal_id)]
        if self.ci_identity is not None:
            grants.append(("ci-registers-candidates", self.ci_identity.principal_id))
        for id_, principal in grants:
            az.role_assignment.RoleAssignment(
                self, id_, provider=hub_provider, scope=self.hub.candidates_registry_id,
                role_definition_name=roles.REGISTRY_USER, principal_id=principal, principal_type="ServicePrincipal",
            )  # fmt: skip
        az.role_assignment.RoleAssignment(
            self, "workspace-reads-governed", provider=hub_provider, scope=self.hub.governed_registry_id,
            role_definition_id=self.hub.registry_reader_role_id, principal_id=self.identity.principal_id,
            principal_type="ServicePrincipal",
        )  # fmt: skip

    def _budget(self, sub: str) -> None:
        """A monthly budget on the subscription: a forecast above 80% mails the team's owners."""
        cb = az.consumption_budget_subscription
        cb.ConsumptionBudgetSubscription(
            self, "budget", name=f"govhub-{self.team.name}", subscription_id=f"/subscriptions/{sub}",
            amount=self.team.budget_monthly_usd, time_grain="Monthly",
            time_period=cb.ConsumptionBudgetSubscriptionTimePeriod(start_date="2026-01-01T00:00:00Z"),
            notification=[cb.ConsumptionBudgetSubscriptionNotification(
                operator="GreaterThan", threshold=80, threshold_type="Forecasted", contact_emails=list(self.team.owners),
            )],
        )  # fmt: skip
