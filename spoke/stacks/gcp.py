"""A Google Cloud team spoke (``spoke-gcp-<team>``): the team's project (existing, or created in the
ML folder), its services, a private network, the team's key, Vertex AI (an endpoint behind Private
Service Connect, Workbench when configured), the data bucket, Vertex events forwarded to the hub
topic, the team CI's service account with workload identity federation and a billing budget.

No google provider binary can be downloaded here, so the stack is proven by synthesis, the guardrail
rules and an inventory (tests/spoke/test_spoke_gcp.py), never by an apply.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from govhub.config import PlatformConfig, Team
from infra import engine
from infra.aspects import apply_guardrails
from infra.gcp import names
from infra.gcp.facts import GcpTeamHubFacts
from infra.gcp.federation import federated_account
from infra.gcp.names import labels_of

g = engine.provider("google")

SERVICES = (
    "aiplatform.googleapis.com", "compute.googleapis.com", "storage.googleapis.com", "cloudkms.googleapis.com",
    "logging.googleapis.com", "pubsub.googleapis.com", "iam.googleapis.com", "iamcredentials.googleapis.com",
    "sts.googleapis.com", "notebooks.googleapis.com", "servicenetworking.googleapis.com",
    "cloudbilling.googleapis.com", "billingbudgets.googleapis.com",
)  # fmt: skip
# Model registrations and pipeline runs, as Vertex AI's audit logs name them
VERTEX_EVENTS = (
    'protoPayload.serviceName="aiplatform.googleapis.com" AND ('
    'protoPayload.methodName:"ModelService.UploadModel" OR protoPayload.methodName:"ModelService.MergeVersionAliases" '
    'OR protoPayload.methodName:"PipelineService.CreatePipelineJob" OR protoPayload.methodName:"EndpointService.DeployModel")'
)


def spoke_stack_id(team: str) -> str:
    return f"spoke-gcp-{team}"


class GcpSpokeStack(engine.TerraformStack):
    """``spoke-gcp-<team>``: the team's project, network, key, Vertex AI, data, events, CI and budget."""

    def __init__(self, scope: Any, config: PlatformConfig, team: Team, hub: GcpTeamHubFacts):
        super().__init__(scope, spoke_stack_id(team.name))
        self.config, self.team, self.hub = config, team, hub
        project_id = hub.project_id
        self.region = region = team.region or hub.region
        self.labels = labels_of({"owner": team.owner, "team": team.name, "cost-centre": team.cost_centre,
                                 **config.guardrails.default_tags})  # fmt: skip
        g.provider.GoogleProvider(self, "google", project=project_id, region=region)
        # the hub project, for the grants the spoke needs there: the sink's publishing, the CI's upload and invoke
        self.hub_provider = g.provider.GoogleProvider(
            self, "hub", alias="hub", project=hub.hub_project, region=hub.region
        )
        if hub.project_number is not None:  # vended by the hub, in the ML folder
            self.project_number = hub.project_number
        else:
            self.project_number = g.data_google_project.DataGoogleProject(self, "project", project_id=project_id).number
        self.project_id = project_id
        self.enabled = enabled = [
            g.project_service.ProjectService(
                self, f"service-{s.split('.')[0]}", project=project_id, service=s, disable_on_destroy=False
            )
            for s in SERVICES
        ]
        # the default compute and App Engine accounts lose their Editor grant, but are kept (deleting
        # them breaks services that expect them)
        g.project_default_service_accounts.ProjectDefaultServiceAccounts(
            self, "deprivilege-default-accounts", project=project_id, action="DEPRIVILEGE", depends_on=enabled
        )
        if hub.project_number is None:  # an existing project (the hub audits the ones it vends)
            ac = g.project_iam_audit_config
            ac.ProjectIamAuditConfig(
                self, "audit-all-services", project=project_id, service="allServices",
                audit_log_config=[ac.ProjectIamAuditConfigAuditLogConfig(log_type=t) for t in names.AUDIT_LOG_TYPES],
            )  # fmt: skip
        self._network(project_id, region)
        self.key = self._key(project_id, region)
        sb = g.storage_bucket
        self.data = sb.StorageBucket(
            self, "data", name=f"govhub-{team.name}-data-{project_id}"[:63], location=region.upper(),
            uniform_bucket_level_access=True, public_access_prevention="enforced",
            encryption=sb.StorageBucketEncryption(default_kms_key_name=self.key.id),
            versioning=sb.StorageBucketVersioning(enabled=True), labels=self.labels, force_destroy=False,
            depends_on=[self.storage_key_grant],
        )  # fmt: skip
        ep = g.vertex_ai_endpoint
        self.endpoint = ep.VertexAiEndpoint(
            self, "endpoint", name=f"govhub-{team.name}", display_name=f"govhub {team.name} serving",
            location=region, region=region, labels=self.labels, depends_on=[self.vertex_key_grant, *self.enabled],
            encryption_spec=ep.VertexAiEndpointEncryptionSpec(kms_key_name=self.key.id),
            private_service_connect_config=ep.VertexAiEndpointPrivateServiceConnectConfig(
                enable_private_service_connect=True, project_allowlist=[project_id],
            ),
        )  # fmt: skip
        if team.workbench:
            self._workbench(project_id, region)
        self._events(project_id)
        self.ci_account = self._ci(project_id)
        self._budget()
        if hub.perimeter is not None:
            g.access_context_manager_service_perimeter_dry_run_resource.AccessContextManagerServicePerimeterDryRunResource(
                self, "join-perimeter", provider=self.hub_provider, perimeter_name=hub.perimeter,
                resource=f"projects/{self.project_number}",
            )  # fmt: skip
        outputs = {"project_id": project_id, "data_bucket": self.data.name, "endpoint": self.endpoint.id}
        for name, value in outputs.items():
            engine.TerraformOutput(self, f"out-{name}", value=value, description=f"govhub spoke {team.name}: {name}")
        if self.ci_account is not None:
            engine.TerraformOutput(
                self, "out-ci_variables", description=f"govhub spoke {team.name}: the CI variables of the team's repository",
                value={"GCP_SERVICE_ACCOUNT": self.ci_account.email, "GCP_WORKLOAD_IDENTITY_PROVIDER": self.ci_provider.name,
                       "GCP_PROJECT": project_id, "GOVHUB_SERVICE_URL": hub.service_url},
            )  # fmt: skip
        self.guardrails = apply_guardrails(self, config.guardrails.required_tags)

    def _network(self, project: str, region: str) -> None:
        """A VPC without default subnets, one private subnet with Private Google Access and flow logs,
        and the firewall denying ingress from anywhere by default."""
        team = self.team
        network = ipaddress.ip_network(team.vpc_cidr)
        self.vpc = g.compute_network.ComputeNetwork(
            self, "network", name=f"govhub-{team.name}", auto_create_subnetworks=False,
            routing_mode="REGIONAL", delete_default_routes_on_create=True, depends_on=self.enabled,
        )  # fmt: skip
        sn = g.compute_subnetwork
        self.subnet = sn.ComputeSubnetwork(
            self, "subnet", name=f"govhub-{team.name}-private", network=self.vpc.id, region=region,
            ip_cidr_range=str(next(network.subnets(new_prefix=max(network.prefixlen, 22)))),
            private_ip_google_access=True,
            log_config=sn.ComputeSubnetworkLogConfig(
                aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5, metadata="INCLUDE_ALL_METADATA"
            ),
        )  # fmt: skip
        fw = g.compute_firewall
        fw.ComputeFirewall(
            self, "deny-ingress", name=f"govhub-{team.name}-deny-ingress", network=self.vpc.id, direction="INGRESS",
            priority=65534, source_ranges=["0.0.0.0/0"], deny=[fw.ComputeFirewallDeny(protocol="all")],
            log_config=fw.ComputeFirewallLogConfig(metadata="INCLUDE_ALL_METADATA"),
        )  # fmt: skip
        # Google APIs through Private Google Access only: the one route out, to the restricted VIP
        g.compute_route.ComputeRoute(
            self, "google-apis", name=f"govhub-{team.name}-google-apis", network=self.vpc.id,
            dest_range="199.36.153.4/30", next_hop_gateway="default-internet-gateway", priority=100,
        )  # fmt: skip

    def _key(self, project: str, region: str) -> Any:
        """The team's key (rotating every 90 days), usable by the Vertex AI and Cloud Storage agents."""
        ring = g.kms_key_ring.KmsKeyRing(
            self, "key-ring", name=f"govhub-{self.team.name}", location=region, depends_on=self.enabled
        )
        key = g.kms_crypto_key.KmsCryptoKey(
            self, "team-key", name=f"govhub-{self.team.name}", key_ring=ring.id, rotation_period=names.ROTATION,
            purpose="ENCRYPT_DECRYPT", labels=self.labels,
            lifecycle=engine.TerraformResourceLifecycle(prevent_destroy=True),
        )  # fmt: skip
        agents = {
            "vertex": f"serviceAccount:service-{self.project_number}@gcp-sa-aiplatform.iam.gserviceaccount.com",
            "storage": f"serviceAccount:service-{self.project_number}@gs-project-accounts.iam.gserviceaccount.com",
            "notebooks": f"serviceAccount:service-{self.project_number}@compute-system.iam.gserviceaccount.com",
        }
        grants = {
            name: g.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
                self, f"{name}-uses-key", crypto_key_id=key.id, role=names.KEY_ROLE, member=member
            )
            for name, member in agents.items()
        }
        self.vertex_key_grant, self.storage_key_grant = grants["vertex"], grants["storage"]
        self.compute_key_grant = grants["notebooks"]
        return key

    def _workbench(self, project: str, region: str) -> None:
        """A Workbench instance without a public IP, downloads or root access, its disks on the team key."""
        wb = g.workbench_instance
        wb.WorkbenchInstance(
            self, "workbench", name=f"govhub-{self.team.name}", location=f"{region}-a", disable_proxy_access=False,
            labels=self.labels,
            gce_setup=wb.WorkbenchInstanceGceSetup(
                machine_type="e2-standard-4", disable_public_ip=True,
                network_interfaces=[wb.WorkbenchInstanceGceSetupNetworkInterfaces(
                    network=self.vpc.id, subnet=self.subnet.id, nic_type="GVNIC"
                )],
                boot_disk=wb.WorkbenchInstanceGceSetupBootDisk(disk_encryption="CMEK", kms_key=self.key.id),
                data_disks=wb.WorkbenchInstanceGceSetupDataDisks(disk_encryption="CMEK", kms_key=self.key.id),
                shielded_instance_config=wb.WorkbenchInstanceGceSetupShieldedInstanceConfig(
                    enable_secure_boot=True, enable_vtpm=True, enable_integrity_monitoring=True
                ),
                metadata={"notebook-disable-downloads": "true", "notebook-disable-root": "true",
                          "notebook-disable-terminal": "true", "notebook-upgrade-schedule": "00 19 * * SAT"},
            ),
            depends_on=[self.compute_key_grant],
        )  # fmt: skip

    def _events(self, project: str) -> None:
        """Vertex AI model and pipeline events (from the audit log), forwarded to the hub topic by a sink
        whose own writer identity may publish to that topic and nothing else."""
        sink = g.logging_project_sink.LoggingProjectSink(
            self, "vertex-events", name="govhub-vertex-events", destination=f"pubsub.googleapis.com/{self.hub.events_topic}",
            filter=VERTEX_EVENTS, unique_writer_identity=True, depends_on=self.enabled,
        )  # fmt: skip
        g.pubsub_topic_iam_member.PubsubTopicIamMember(
            self, "sink-publishes-to-hub", provider=self.hub_provider, topic=self.hub.events_topic,
            role="roles/pubsub.publisher", member=sink.writer_identity,
        )  # fmt: skip

    def _ci(self, project: str) -> Any:
        """The team CI's service account, impersonable only by its repository's pipelines on its branch
        (workload identity federation, no key), allowed to upload into the hub registry and to invoke
        the hub service."""
        ci = self.team.ci
        if ci is None:
            return None
        federated = federated_account(
            self, ci, ids=("ci-pool", "ci-provider", "ci-account", "ci-federation"), pool_id="govhub-ci",
            account_id=names.CI_ACCOUNT,
            names=(f"govhub {self.team.name} CI", f"govhub CI ({ci.provider})", f"govhub {self.team.name} CI"),
            depends_on=self.enabled,
        )  # fmt: skip
        account, self.ci_provider = federated.account, federated.provider
        member = f"serviceAccount:{account.email}"
        g.project_iam_member.ProjectIamMember(
            self, "ci-uploads-to-hub-registry", provider=self.hub_provider, project=self.hub.hub_project,
            role=self.hub.uploader_role, member=member,
        )  # fmt: skip
        g.cloud_run_v2_service_iam_member.CloudRunV2ServiceIamMember(
            self, "ci-invokes-hub-service", provider=self.hub_provider, name=self.hub.service_name,
            location=self.hub.region, role="roles/run.invoker", member=member,
        )  # fmt: skip
        g.project_iam_member.ProjectIamMember(
            self, "ci-runs-vertex-jobs", project=project, role="roles/aiplatform.user", member=member
        )
        return account

    def _budget(self) -> None:
        """A monthly budget on the team's project (the filter takes the project number, not its id):
        forecast and actual spend above 80% and 100% notify the billing account's admins."""
        bb = g.billing_budget
        bb.BillingBudget(
            self, "budget", billing_account=self.hub.billing_account, display_name=f"govhub {self.team.name}",
            budget_filter=bb.BillingBudgetBudgetFilter(
                projects=[f"projects/{self.project_number}"], calendar_period="MONTH"
            ),
            amount=bb.BillingBudgetAmount(specified_amount=bb.BillingBudgetAmountSpecifiedAmount(
                currency_code="USD", units=str(self.team.budget_monthly_usd)
            )),
            threshold_rules=[
                bb.BillingBudgetThresholdRules(threshold_percent=0.8, spend_basis="FORECASTED_SPEND"),
                bb.BillingBudgetThresholdRules(threshold_percent=1.0, spend_basis="CURRENT_SPEND"),
            ],
        )  # fmt: skip
