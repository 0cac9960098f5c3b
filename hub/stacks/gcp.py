"""The Google Cloud governance hub (``hub-gcp``): the ML folder's organization policies, the audit
and artifact buckets, keys, the registry's upload role, the governance bus, the Artifact Registry, the
hub service on Cloud Run and its service account, vended team projects, the platform CI's workload
identity, the human roles and (``vpc_sc``) a VPC Service Controls perimeter in dry-run.

No google provider binary can be downloaded here, so the stack is proven by synthesis, the guardrail
rules, checkov and an inventory (tests/hub/test_hub_gcp.py), never by an apply.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from govhub import vocabulary as v
from govhub.config import PlatformConfig
from infra import engine
from infra.aspects import apply_guardrails
from infra.gcp import names
from infra.gcp.facts import GcpTeamHubFacts
from infra.gcp.federation import federated_account
from infra.gcp.names import labels_of
from infra.gcp.org_policies import ml_folder_policies
from infra.service_config import config_text

g = engine.provider("google")

STACK_ID = "hub-gcp"
AUDITED_SERVICES = ("aiplatform.googleapis.com", "storage.googleapis.com", "cloudkms.googleapis.com")
# What uploading a model version into the hub's Vertex AI Model Registry needs, and nothing more: no
# update (aliases, labels), no delete, no evaluation import; those are the hub service's alone
UPLOADER_PERMISSIONS = (
    "aiplatform.models.upload",
    "aiplatform.models.get",
    "aiplatform.models.list",
    "aiplatform.operations.get",
    "aiplatform.operations.list",
)
# Services inside the VPC Service Controls perimeter
PERIMETER_SERVICES = (
    "aiplatform.googleapis.com", "storage.googleapis.com", "pubsub.googleapis.com", "cloudkms.googleapis.com",
    "artifactregistry.googleapis.com", "logging.googleapis.com", "notebooks.googleapis.com",
)  # fmt: skip
# What the platform CI's deployer may do in the ML folder and the hub project: never a basic role
DEPLOYER_ROLES = (
    "roles/resourcemanager.projectCreator", "roles/resourcemanager.projectIamAdmin",
    "roles/serviceusage.serviceUsageAdmin", "roles/compute.networkAdmin", "roles/aiplatform.admin",
    "roles/storage.admin", "roles/cloudkms.admin", "roles/logging.configWriter", "roles/pubsub.admin",
    "roles/iam.serviceAccountAdmin", "roles/iam.workloadIdentityPoolAdmin", "roles/notebooks.admin",
    "roles/run.admin", "roles/iam.roleAdmin",
)  # fmt: skip


class GcpHubStack(engine.TerraformStack):
    """``hub-gcp``: the hub project and the ML folder's guardrails."""

    def __init__(self, scope: Any, config: PlatformConfig):
        super().__init__(scope, STACK_ID)
        hub = config.hubs.gcp
        assert hub is not None, "the config loader guarantees hubs.gcp when the GCP hub is built"
        self.config, self.hub = config, hub
        org, project, region = config.organization, hub.project_id, hub.region
        self.labels = labels_of(
            {"owner": hub.owner, "team": "platform", "cost-centre": hub.cost_centre, **config.guardrails.default_tags}
        )
        # labels are set on each resource: the engine rewrites the keys of the provider's default_labels
        # map to snake_case (cost-centre -> cost_centre), which would label everything wrongly
        g.provider.GoogleProvider(self, "google", project=project, region=region)
        self.project = g.data_google_project.DataGoogleProject(self, "hub-project", project_id=project)
        self.folder = g.folder.Folder(
            self,
            "ml-folder",
            display_name=f"{org}-{hub.ml_folder}"[:30],
            parent=f"organizations/{hub.organization_id}",
            deletion_protection=True,
        )
        for constraint, spec in ml_folder_policies(config.guardrails.allowed_regions.gcp, hub.organization_id).items():
            self._policy(constraint, spec)

        self.key_ring = g.kms_key_ring.KmsKeyRing(self, "key-ring", name=f"{org}-govhub", location=region)
        self.keys = {
            purpose: g.kms_crypto_key.KmsCryptoKey(
                self, f"key-{purpose}", name=f"govhub-{purpose}", key_ring=self.key_ring.id,
                rotation_period=names.ROTATION, purpose="ENCRYPT_DECRYPT", labels=self.labels,
                lifecycle=engine.TerraformResourceLifecycle(prevent_destroy=True),  # the data dies with the key
            )
            for purpose in ("storage", "pubsub", "images")
        }  # fmt: skip
        storage_agent = g.data_google_storage_project_service_account.DataGoogleStorageProjectServiceAccount(
            self, "gcs-agent", project=project
        )
        g.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
            self, "gcs-uses-key", crypto_key_id=self.keys["storage"].id, role=names.KEY_ROLE,
            member=f"serviceAccount:{storage_agent.email_address}",
        )  # fmt: skip
        pubsub_agent = f"serviceAccount:service-{self.project.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
        g.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
            self, "pubsub-uses-key", crypto_key_id=self.keys["pubsub"].id, role=names.KEY_ROLE, member=pubsub_agent
        )
        retention = config.guardrails.audit_retention_days * 86400
        self.platform_logs = self._bucket("platform-logs", f"{org}-govhub-platform-logs-{project}", retention)
        self.audit_log = self._bucket("audit-log", f"{org}-govhub-audit-{project}", retention)
        self.artifacts = self._bucket("artifacts", f"{org}-govhub-artifacts-{project}", None)
        sink = g.logging_organization_sink.LoggingOrganizationSink(
            self,
            "org-sink",
            name="govhub-audit",
            org_id=hub.organization_id,
            include_children=True,
            destination=f"storage.googleapis.com/{self.platform_logs.name}",
            filter='logName:"cloudaudit.googleapis.com"',
        )
        g.storage_bucket_iam_member.StorageBucketIamMember(
            self, "sink-writes-logs", bucket=self.platform_logs.name, role="roles/storage.objectCreator",
            member=sink.writer_identity,
        )  # fmt: skip
        for service in AUDITED_SERVICES:
            g.organization_iam_audit_config.OrganizationIamAuditConfig(
                self,
                f"data-access-{service.split('.')[0]}",
                org_id=hub.organization_id,
                service=service,
                audit_log_config=[
                    g.organization_iam_audit_config.OrganizationIamAuditConfigAuditLogConfig(log_type=t)
                    for t in ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
                ],
            )
        self._bus(org, project)
        self.images = g.artifact_registry_repository.ArtifactRegistryRepository(
            self, "pipeline-images", repository_id="govhub-pipeline-images", location=region, format="DOCKER",
            kms_key_name=self.keys["images"].id, labels=self.labels,
            docker_config=g.artifact_registry_repository.ArtifactRegistryRepositoryDockerConfig(immutable_tags=True),
        )  # fmt: skip
        self.vended = self._vend(org)
        self._registry_roles(project)
        self._service(config, project, region)
        self._platform_ci(project)
        self._perimeter(org)
        self._people(project)
        self.facts = {
            team.name: GcpTeamHubFacts(
                team=team.name,
                project_id=names.team_project_id(config, team),
                project_number=self.vended[team.name].number if team.name in self.vended else None,
                hub_project=project,
                region=region,
                folder=self.folder.name,
                billing_account=hub.billing_account,
                events_topic=self.topic.id,
                uploader_role=self.uploader.id,
                service_name=self.service.name,
                service_url=self.service.uri,
                perimeter=self.perimeter.name if self.perimeter is not None else None,
            )
            for team in config.teams_on("gcp")
        }
        for name, value in {
            "ml_folder": self.folder.name,
            "audit_log_bucket": self.audit_log.name,
            "artifact_bucket": self.artifacts.name,
            "governance_topic": self.topic.id,
            "ticket_subscription": self.tickets.id,
            "service_url": self.service.uri,
            "service_account": self.service_account.email,
        }.items():
            engine.TerraformOutput(self, f"out-{name}", value=value, description=f"govhub hub-gcp: {name}")
        self.guardrails = apply_guardrails(self, config.guardrails.required_tags)

    def _policy(self, constraint: str, spec: dict[str, Any]) -> None:
        op = g.org_policy_policy
        rules = []
        for rule in spec["rules"]:
            if "enforce" in rule:
                rules.append(op.OrgPolicyPolicySpecRules(enforce="TRUE" if rule["enforce"] else "FALSE"))
            elif "allow" in rule:
                values = op.OrgPolicyPolicySpecRulesValues(allowed_values=rule["allow"]["values"])
                rules.append(op.OrgPolicyPolicySpecRules(values=values))
            else:
                values = op.OrgPolicyPolicySpecRulesValues(denied_values=rule["deny"]["values"])
                rules.append(op.OrgPolicyPolicySpecRules(values=values))
        op.OrgPolicyPolicy(
            self,
            f"policy-{constraint.replace('.', '-')}",
            name=f"{self.folder.name}/policies/{constraint}",
            parent=self.folder.name,
            spec=op.OrgPolicyPolicySpec(rules=rules),
        )

    def _bucket(self, id_: str, name: str, retention_seconds: int | None) -> Any:
        """CMEK, uniform access, public access prevented; a locked retention policy (and no
        versioning, which a locked bucket does not need) when ``retention_seconds`` is given."""
        sb = g.storage_bucket
        bucket = sb.StorageBucket(
            self,
            id_,
            name=name[:63],
            location=self.hub.region.upper(),
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            encryption=sb.StorageBucketEncryption(default_kms_key_name=self.keys["storage"].id),
            versioning=sb.StorageBucketVersioning(enabled=retention_seconds is None),
            labels=self.labels,
            force_destroy=False,
        )
        if retention_seconds:
            # written as an override: google 6.x types retention_period as a number, 7.x as a string, and
            # Terraform converts the string for either, so both engines' bindings write the same JSON
            bucket.add_override("retention_policy", {"retention_period": str(retention_seconds), "is_locked": True})
        return bucket

    def _bus(self, org: str, project: str) -> None:
        ps = g.pubsub_subscription
        self.topic = g.pubsub_topic.PubsubTopic(
            self, "governance-topic", name="govhub-governance", kms_key_name=self.keys["pubsub"].id,
            labels=self.labels,
        )  # fmt: skip
        self.dead_letters = g.pubsub_topic.PubsubTopic(
            self, "dead-letters", name="govhub-tickets-dead-letter", kms_key_name=self.keys["pubsub"].id,
            labels=self.labels,
        )  # fmt: skip
        self.tickets = ps.PubsubSubscription(
            self,
            "ticket-subscription",
            name="govhub-tickets",
            topic=self.topic.id,
            filter=f'attributes.type = "{v.GATE_DECISION_TYPE}" AND (attributes.outcome = "fail" OR attributes.outcome = "error")',
            ack_deadline_seconds=60,
            message_retention_duration="1209600s",
            dead_letter_policy=ps.PubsubSubscriptionDeadLetterPolicy(
                dead_letter_topic=self.dead_letters.id, max_delivery_attempts=10
            ),
            labels=self.labels,
        )
        # Pub/Sub's service agent moves undeliverable tickets: it publishes to the dead-letter topic and
        # acknowledges on the ticket subscription, and nothing more
        agent = f"serviceAccount:service-{self.project.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
        g.pubsub_topic_iam_member.PubsubTopicIamMember(
            self,
            "agent-publishes-dead-letters",
            topic=self.dead_letters.id,
            role="roles/pubsub.publisher",
            member=agent,
        )
        g.pubsub_subscription_iam_member.PubsubSubscriptionIamMember(
            self, "agent-acks-tickets", subscription=self.tickets.id, role="roles/pubsub.subscriber", member=agent
        )
        self.channel = g.monitoring_notification_channel.MonitoringNotificationChannel(
            self, "alerts", display_name=f"{org} govhub platform", type="email",
            labels={"email_address": self.hub.owner}, user_labels=self.labels,
        )  # fmt: skip

    def _vend(self, org: str) -> dict[str, Any]:
        """Projects for teams with ``account: vend``: created in the ML folder (so its organization
        policies apply), billed to the hub's billing account, without the default network, and
        protected from deletion. The spoke then builds in it."""
        vended = {}
        for team in self.config.teams_on("gcp"):
            if team.vended:
                vended[team.name] = g.project.Project(
                    self, f"vend-{team.name}", project_id=names.team_project_id(self.config, team),
                    name=f"{org} {team.name} ML"[:30], folder_id=self.folder.folder_id,
                    billing_account=self.hub.billing_account, auto_create_network=False, deletion_policy="PREVENT",
                    labels=labels_of({"owner": team.owner, "team": team.name, "cost-centre": team.cost_centre,
                                      **self.config.guardrails.default_tags}),
                )  # fmt: skip
                ac = g.project_iam_audit_config
                ac.ProjectIamAuditConfig(  # every service, every user, from the first day
                    self, f"vend-{team.name}-audit", project=vended[team.name].project_id, service="allServices",
                    audit_log_config=[ac.ProjectIamAuditConfigAuditLogConfig(log_type=t) for t in names.AUDIT_LOG_TYPES],
                )  # fmt: skip
        return vended

    def _registry_roles(self, project: str) -> None:
        """The Vertex AI Model Registry is the hub project's own (one parent model per team and use case,
        created by the workflow: Terraform has no resource for models). Team CI service accounts get
        this custom role only: upload a version, read it back, follow the operation."""
        self.uploader = g.project_iam_custom_role.ProjectIamCustomRole(
            self, "model-uploader", project=project, role_id="govhubModelUploader",
            title="govhub model uploader", description="govhub: upload model versions into the hub registry",
            permissions=list(UPLOADER_PERMISSIONS),
        )  # fmt: skip

    def _service(self, config: PlatformConfig, project: str, region: str) -> None:
        """The hub service on Cloud Run: its own service account is the only principal with write roles
        on the govhub audit bucket, the artifact bucket and the registry (updates, aliases, deletes);
        only IAM invokers may call it (no unauthenticated access), and it accepts exactly the team CI
        service accounts listed in GOVHUB_GCP_SUBMITTERS (from platform.yaml)."""
        self.service_account = g.service_account.ServiceAccount(
            self, "service-account", account_id=names.SERVICE_ACCOUNT, display_name="govhub hub service",
            description="govhub: the hub service, sole writer of the registry and the audit log",
        )  # fmt: skip
        member = f"serviceAccount:{self.service_account.email}"
        submitters = {names.ci_email(config, t): t.name for t in config.teams_on("gcp") if t.ci is not None}
        run = g.cloud_run_v2_service
        self.service = run.CloudRunV2Service(
            self,
            "hub-service",
            name=names.SERVICE_NAME,
            location=region,
            ingress="INGRESS_TRAFFIC_ALL",  # team CI runners call it from anywhere, with a Google ID token
            invoker_iam_disabled=False,
            deletion_protection=True,
            labels=self.labels,
            template=run.CloudRunV2ServiceTemplate(
                service_account=self.service_account.email,
                encryption_key=self.keys["images"].id,
                containers=[
                    run.CloudRunV2ServiceTemplateContainers(
                        image=f"{region}-docker.pkg.dev/{project}/govhub-pipeline-images/hub-service:latest",
                        env=[
                            run.CloudRunV2ServiceTemplateContainersEnv(name=k, value=v)
                            for k, v in {
                                "GOVHUB_PLATFORM_CONFIG_SHA256": hashlib.sha256(
                                    config_text(config, STACK_ID).encode()
                                ).hexdigest(),
                                "GOVHUB_GCP_SUBMITTERS": json.dumps(submitters, sort_keys=True),
                                "GOVHUB_AUDIT_BUCKET": self.audit_log.name,
                                "GOVHUB_ARTIFACT_BUCKET": self.artifacts.name,
                                "GOVHUB_GOVERNANCE_TOPIC": self.topic.id,
                                "GOVHUB_REGISTRY": self.hub.registry,  # vertex, or mlflow at the tracking server below
                                "GOVHUB_MLFLOW_TRACKING_URI": self.hub.mlflow.tracking_uri if self.hub.mlflow else "",
                            }.items()
                        ],
                    )
                ],
            ),
        )
        grants = [
            ("service-writes-audit", "bucket", self.audit_log.name, "roles/storage.objectCreator"),
            ("service-reads-audit", "bucket", self.audit_log.name, "roles/storage.objectViewer"),
            ("service-writes-artifacts", "bucket", self.artifacts.name, "roles/storage.objectAdmin"),
            ("service-publishes-events", "topic", self.topic.id, "roles/pubsub.publisher"),
            ("service-writes-registry", "project", project, "roles/aiplatform.user"),
        ]
        for id_, kind, target, role in grants:
            if kind == "bucket":
                g.storage_bucket_iam_member.StorageBucketIamMember(self, id_, bucket=target, role=role, member=member)
            elif kind == "topic":
                g.pubsub_topic_iam_member.PubsubTopicIamMember(self, id_, topic=target, role=role, member=member)
            else:
                g.project_iam_member.ProjectIamMember(self, id_, project=target, role=role, member=member)
        invokers = [("approvers", f"group:{self.hub.approver_group}" if self.hub.approver_group else None),
                    ("admins", f"group:{self.hub.platform_admin_group}" if self.hub.platform_admin_group else None)]  # fmt: skip
        for id_, who in invokers:
            if who:
                g.cloud_run_v2_service_iam_member.CloudRunV2ServiceIamMember(
                    self, f"{id_}-invoke-service", name=self.service.name, location=region,
                    role="roles/run.invoker", member=who,
                )  # fmt: skip

    def _platform_ci(self, project: str) -> None:
        """The platform repository's CI: a workload identity pool and provider (its OIDC tokens, that
        repository only) and a deployer service account that only its main branch may impersonate."""
        ci = self.hub.platform_ci
        if ci is None:
            return
        deployer = federated_account(
            self, ci, ids=("platform-ci-pool", "platform-ci-provider", "ci-deployer", "ci-deployer-federation"),
            pool_id="govhub-platform-ci", account_id="govhub-ci-deployer",
            names=("govhub platform CI", f"govhub platform CI ({ci.provider})", "govhub platform CI deployer"),
        ).account  # fmt: skip
        for role in DEPLOYER_ROLES:
            g.folder_iam_member.FolderIamMember(
                self, f"ci-deployer-{role.split('/')[1].replace('.', '-')}", folder=self.folder.name, role=role,
                member=f"serviceAccount:{deployer.email}",
            )  # fmt: skip
        g.cloud_run_v2_service_iam_member.CloudRunV2ServiceIamMember(
            self, "ci-deployer-invokes-service", name=self.service.name, location=self.hub.region,
            role="roles/run.invoker", member=f"serviceAccount:{deployer.email}",
        )  # fmt: skip

    def _perimeter(self, org: str) -> None:
        """With ``vpc_sc: true``, a VPC Service Controls perimeter around the hub project (each spoke adds
        its own project), in dry-run: violations are logged, not enforced, until the platform team has
        reviewed them and the team CIs' ingress rules (then move the spec to the enforced status)."""
        self.perimeter = None
        if not self.hub.vpc_sc:
            return
        acm = g.access_context_manager_service_perimeter
        self.perimeter = acm.AccessContextManagerServicePerimeter(
            self, "perimeter", parent=f"accessPolicies/{self.hub.access_policy}",
            name=f"accessPolicies/{self.hub.access_policy}/servicePerimeters/{org.replace('-', '_')}_govhub",
            title=f"{org} govhub", perimeter_type="PERIMETER_TYPE_REGULAR", use_explicit_dry_run_spec=True,
            spec=acm.AccessContextManagerServicePerimeterSpec(
                resources=[f"projects/{self.project.number}"], restricted_services=list(PERIMETER_SERVICES),
            ),
            lifecycle=engine.TerraformResourceLifecycle(ignore_changes=["spec[0].resources"]),  # spokes add theirs
        )  # fmt: skip

    def _people(self, project: str) -> None:
        hub = self.hub
        if hub.approver_group:  # the hub's records, read-only: never a basic role
            g.storage_bucket_iam_member.StorageBucketIamMember(
                self, "approvers-read-artifacts", bucket=self.artifacts.name, role="roles/storage.objectViewer",
                member=f"group:{hub.approver_group}",
            )  # fmt: skip
        grants = [
            ("auditors-logs", hub.auditor_group, "roles/logging.privateLogViewer"),
            ("auditors-view", hub.auditor_group, "roles/iam.securityReviewer"),
            ("admins-view", hub.platform_admin_group, "roles/browser"),
        ]
        for id_, group, role in grants:
            if group:
                g.project_iam_member.ProjectIamMember(self, id_, project=project, role=role, member=f"group:{group}")
