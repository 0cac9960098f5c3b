"""The Google Cloud governance hub (``hub-gcp``): the ML folder's organization policies, the audit
and artifact buckets, keys, the governance bus, the Artifact Registry and the human roles.

This is the first part of the GCP estate (issue 17). Built: the ML folder with its organization
policies (``infra.gcp.org_policies``), a Cloud KMS key ring with rotating keys, an organization log
sink (children included) into a retention-locked, uniform, non-versioned audit bucket, data-access
audit configs for the services the platform uses, a separate locked bucket for the govhub audit log,
the artifact bucket, a CMEK Pub/Sub topic with a ticket subscription that dead-letters, an e-mail
notification channel, a CMEK Docker repository, and read roles for the approver, auditor and
platform-admin groups. Not built yet: the hub service on Cloud Run and its service account, the
workload identity pool for the platform CI, the spokes and VPC Service Controls. No google provider
binary can be downloaded here, so the stack is proven by synthesis, the guardrail rules and an
inventory (tests/hub/test_hub_gcp.py), never by an apply.
"""

from __future__ import annotations

from typing import Any

from govhub.config import PlatformConfig
from infra import engine
from infra.aspects import apply_guardrails
from infra.gcp.org_policies import ml_folder_policies

g = engine.provider("google")

STACK_ID = "hub-gcp"
AUDITED_SERVICES = ("aiplatform.googleapis.com", "storage.googleapis.com", "cloudkms.googleapis.com")
ROTATION = "7776000s"  # 90 days
KEY_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


def labels_of(tags: dict[str, str]) -> dict[str, str]:
    """Required tags as GCP labels: lower-case keys and values of letters, digits, _ and -."""
    clean = lambda v: "".join(c if c.isalnum() or c in "_-" else "-" for c in v.lower())[:63]  # noqa: E731
    return {clean(k): clean(v) for k, v in tags.items()}


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
                rotation_period=ROTATION, purpose="ENCRYPT_DECRYPT", labels=self.labels,
                lifecycle=engine.TerraformResourceLifecycle(prevent_destroy=True),  # the data dies with the key
            )
            for purpose in ("storage", "pubsub", "images")
        }  # fmt: skip
        storage_agent = g.data_google_storage_project_service_account.DataGoogleStorageProjectServiceAccount(
            self, "gcs-agent", project=project
        )
        g.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
            self, "gcs-uses-key", crypto_key_id=self.keys["storage"].id, role=KEY_ROLE,
            member=f"serviceAccount:{storage_agent.email_address}",
        )  # fmt: skip
        pubsub_agent = f"serviceAccount:service-{self.project.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
        g.kms_crypto_key_iam_member.KmsCryptoKeyIamMember(
            self, "pubsub-uses-key", crypto_key_id=self.keys["pubsub"].id, role=KEY_ROLE, member=pubsub_agent
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
        self._people(project)
        for name, value in {
            "ml_folder": self.folder.name,
            "audit_log_bucket": self.audit_log.name,
            "artifact_bucket": self.artifacts.name,
            "governance_topic": self.topic.id,
            "ticket_subscription": self.tickets.id,
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
        return sb.StorageBucket(
            self,
            id_,
            name=name[:63],
            location=self.hub.region.upper(),
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            encryption=sb.StorageBucketEncryption(default_kms_key_name=self.keys["storage"].id),
            retention_policy=sb.StorageBucketRetentionPolicy(retention_period=retention_seconds, is_locked=True)
            if retention_seconds
            else None,
            versioning=sb.StorageBucketVersioning(enabled=retention_seconds is None),
            labels=self.labels,
            force_destroy=False,
        )

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
            filter='attributes.type = "govhub.gate.decision" AND (attributes.outcome = "fail" OR attributes.outcome = "error")',
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
