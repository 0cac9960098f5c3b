"""The AWS governance hub: organization guardrails, the shared registry, stores and event bus.

Organizations resources (SCPs, the workloads OU, vended accounts, the organization trail) are
created through the ``management`` provider alias in the management account; everything else lives
in the governance account. Both providers assume the organization access role, so one deploy from
the platform's CI reaches both accounts.
"""

from __future__ import annotations

import json
from typing import Any

from govhub.backends.aws import names
from govhub.config import PlatformConfig, Team, highest_tier
from govhub.core import keys
from infra import engine
from infra.aspects import apply_guardrails
from infra.aws import policy as iam
from infra.aws.constructs import KmsKey, SecureBucket, ServiceRole, assume_role_provider
from infra.aws.facts import AwsHubFacts, AwsTeamHubFacts

aws = engine.provider("aws")

# Services that are global or must stay reachable from every region for the region guardrail.
GLOBAL_SERVICES = (
    "account:*",
    "budgets:*",
    "ce:*",
    "cloudfront:*",
    "health:*",
    "iam:*",
    "organizations:*",
    "route53:*",
    "sts:*",
    "support:*",
    "trustedadvisor:*",
    "waf:*",
    "wafv2:*",
)
MODEL_REGISTRY_TEAM_ACTIONS = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
)


class AwsHubStack(engine.TerraformStack):
    """``hub-aws``: the governance account and the organization-level guardrails."""

    def __init__(self, scope: Any, config: PlatformConfig):
        super().__init__(scope, names.hub_stack_id("aws"))
        hub = config.hubs.aws
        assert hub is not None, "the config loader guarantees hubs.aws when an AWS stack is built"
        self.config, self.hub = config, hub
        self.account, self.region = hub.governance_account_id, hub.region
        self.tags = {
            "owner": hub.owner,
            "team": "platform",
            "cost-centre": hub.cost_centre,
            **config.guardrails.default_tags,
        }
        self.teams = config.teams_on("aws")
        assume_role_provider(
            self, "aws", region=hub.region, account_id=hub.governance_account_id, role_name=hub.access_role_name
        )
        self.management = assume_role_provider(
            self,
            "aws-management",
            region=hub.region,
            account_id=hub.management_account_id,
            role_name=hub.access_role_name,
            alias="management",
        )
        self.workloads_ou = self._organization()
        self.team_accounts = {t.name: self._team_account(t) for t in self.teams}
        self.key = self._kms_key()
        self.signing_key = self._signing_key()
        self.audit_bucket = self._audit_store()
        self.checkpoint_bucket = self._checkpoint_store()
        self.artifact_bucket = self._artifact_store()
        self._publish_pipeline_templates()
        self._record_object_access()
        self.ecr = self._ecr()
        self.groups = {t.name: self._model_package_groups(t) for t in self.teams}
        self.bus, self.alerts, self.tickets = self._event_bus()
        self.service_role, self.service_function, self.service_url = self._hub_service()
        self.roles = self._roles()
        self.facts = self._facts()
        self._outputs()
        self.guardrails = apply_guardrails(self, config.guardrails.required_tags)

    # ----------------------------------------------------------------- organization (management)

    def _organization(self) -> Any:
        m = self.management
        org = aws.data_aws_organizations_organization.DataAwsOrganizationsOrganization(self, "organization", provider=m)
        ou = aws.organizations_organizational_unit.OrganizationsOrganizationalUnit(
            self,
            "workloads-ou",
            name=self.hub.workloads_ou_name,
            parent_id=org.roots.get(0).id,
            tags=self.tags,
            provider=m,
        )
        for scp_id, description, statements in self._scps():
            scp = aws.organizations_policy.OrganizationsPolicy(
                self,
                scp_id,
                name=f"govhub-{scp_id.removeprefix('scp-')}",
                description=description,
                type="SERVICE_CONTROL_POLICY",
                content=iam.document(*statements),
                tags=self.tags,
                provider=m,
            )
            aws.organizations_policy_attachment.OrganizationsPolicyAttachment(
                self, f"{scp_id}-attachment", policy_id=scp.id, target_id=ou.id, provider=m
            )
        return ou

    def _scps(self) -> list[tuple[str, str, list[dict]]]:
        """Two SCPs, not five: an OU takes at most five attached SCPs including FullAWSAccess, so the
        guardrails are grouped and each statement carries a Sid that names it."""
        allowed = list(self.config.guardrails.allowed_regions.aws)
        access_role = f"arn:aws:iam::*:role/{self.hub.access_role_name}"
        baseline = [
            iam.statement(
                "DenyCloudTrailTampering",
                [
                    "cloudtrail:DeleteTrail",
                    "cloudtrail:StopLogging",
                    "cloudtrail:UpdateTrail",
                    "cloudtrail:PutEventSelectors",
                ],
                "*",
                effect="Deny",
            ),
            iam.statement(
                "DenyS3WritesWithoutKms",
                "s3:PutObject",
                "*",
                effect="Deny",
                conditions={
                    "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": ["aws:kms", "aws:kms:dsse"]}
                },
            ),
            iam.statement("DenyLeavingOrganization", "organizations:LeaveOrganization", "*", effect="Deny"),
        ]
        ml = [
            iam.statement(
                "DenyRegionsOutsideAllowList",
                (),
                "*",
                effect="Deny",
                not_actions=GLOBAL_SERVICES,
                conditions={
                    "StringNotEquals": {"aws:RequestedRegion": allowed},
                    "ArnNotLike": {"aws:PrincipalARN": [access_role]},
                },
            ),
            iam.statement(
                "DenySageMakerEndpointsOutsideVpc",
                "sagemaker:CreateModel",
                "*",
                effect="Deny",
                conditions={"Null": {"sagemaker:VpcSubnets": "true"}},
            ),
        ]
        return [
            (
                "scp-baseline",
                "govhub: protect CloudTrail, require SSE-KMS on S3 writes, stay in the organization",
                baseline,
            ),
            ("scp-ml-guardrails", "govhub: allowed regions only; SageMaker models (and so endpoints) inside a VPC", ml),
        ]

    def _team_account(self, team: Team) -> str:
        if not team.vended:
            return team.account
        account = aws.organizations_account.OrganizationsAccount(
            self,
            f"account-{team.name}",
            name=f"{self.config.organization}-{team.name}",
            email=team.account_email,
            parent_id=self.workloads_ou.id,
            role_name=self.hub.access_role_name,
            iam_user_access_to_billing="DENY",
            close_on_deletion=False,
            tags=self._team_tags(team),
            provider=self.management,
            lifecycle={"ignore_changes": ["role_name", "iam_user_access_to_billing"]},
        )
        return account.id

    # ----------------------------------------------------------------- stores (governance account)

    def _spoke_roots(self) -> list[str]:
        return [iam.account_root(a) for a in self.team_accounts.values()]

    def _trail_arn(self) -> str:
        """The organization trail's ARN; the key and bucket policies name it before the trail exists."""
        return f"arn:aws:cloudtrail:{self.region}:{self.hub.management_account_id}:trail/{names.TRAIL}"

    def _key_administration(self) -> dict:
        """The governance account administers its keys (through IAM); without it a key is unmanageable."""
        return iam.statement(
            "EnableGovernanceAccountAdministration", "kms:*", "*", principals={"AWS": iam.account_root(self.account)}
        )

    def _kms_key(self) -> KmsKey:
        trail_arn = self._trail_arn()
        statements = [
            self._key_administration(),
            iam.statement(
                "AllowCloudTrailToEncryptLogs",
                ["kms:GenerateDataKey*", "kms:DescribeKey"],
                "*",
                principals=iam.service_principal("cloudtrail"),
                conditions={
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{self.hub.management_account_id}:trail/*"
                    },
                },
            ),
            iam.statement(
                "AllowEventBridgeToEncryptForTargets",
                ["kms:GenerateDataKey", "kms:Decrypt"],
                "*",
                principals=iam.service_principal("events"),
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            ),
        ]
        audit_arn = f"arn:aws:s3:::{names.audit_bucket_name(self.account, self.region)}"
        checkpoints_arn = f"arn:aws:s3:::{names.checkpoint_bucket_name(self.account, self.region)}"
        statements.append(
            iam.statement(
                "OnlyTheHubServiceEncryptsAuditRecords",
                ["kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptTo"],
                "*",
                effect="Deny",
                principals={"AWS": "*"},
                conditions={
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": [
                            audit_arn,
                            f"{audit_arn}/{names.AUDIT_LOG_PREFIX}*",
                            checkpoints_arn,
                            f"{checkpoints_arn}/*",
                        ]
                    },
                    "ArnNotEquals": {"aws:PrincipalArn": self.service_role_arn},
                    "Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "true"},
                },
            )
        )
        if self.team_accounts:
            statements.append(
                iam.statement(
                    "AllowSpokesThroughS3AndEcr",
                    ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                    "*",
                    principals={"AWS": self._spoke_roots()},
                    conditions={
                        "StringEquals": {
                            "kms:ViaService": [f"s3.{self.region}.amazonaws.com", f"ecr.{self.region}.amazonaws.com"]
                        }
                    },
                )
            )
        return KmsKey(
            self,
            "hub-key",
            alias="govhub/hub",
            description="govhub hub: artifacts, audit log, bus targets",
            policy=iam.document(*statements),
            tags=self.tags,
        )

    def _signing_key(self) -> KmsKey:
        """The hub key that signs audit checkpoints and attestations: ECC_NIST_P256 (ECDSA_SHA_256),
        SIGN_VERIFY. Only the hub service's role may sign, whatever IAM grants anyone else; everyone
        verifies with the public key (``kms:GetPublicKey``, or offline from the PEM)."""
        return KmsKey(
            self,
            "signing-key",
            alias=names.SIGNING_KEY_ALIAS.removeprefix("alias/"),
            description="govhub hub: signs the audit log's checkpoints and the decision attestations",
            key_spec="ECC_NIST_P256",
            policy=iam.document(
                self._key_administration(),
                iam.statement(
                    "OnlyTheHubServiceSigns",
                    "kms:Sign",
                    "*",
                    effect="Deny",
                    principals={"AWS": "*"},
                    conditions={"ArnNotEquals": {"aws:PrincipalArn": self.service_role_arn}},
                ),
            ),
            tags=self.tags,
        )

    def _checkpoint_store(self) -> SecureBucket:
        """The signed checkpoints: a second object-locked bucket, written create-only by the service."""
        name = names.checkpoint_bucket_name(self.account, self.region)
        arn = f"arn:aws:s3:::{name}"
        return SecureBucket(
            self,
            "checkpoint-bucket",
            bucket_name=name,
            kms_key_arn=self.key.arn,
            tags=self.tags,
            object_lock_days=self.config.guardrails.audit_retention_days,
            policy_statements=self._service_writes_create_only(
                "OnlyTheHubServiceWritesCheckpoints", f"{arn}/*", "CheckpointsAreCreateOnly", f"{arn}/*"
            ),
        )

    def _service_writes_create_only(self, sid: str, writable: str, create_only_sid: str, create_only: str) -> list:
        """Only the hub service writes (or deletes, or changes retention) under ``writable``, and every
        write under ``create_only`` must carry ``If-None-Match: *``, so nothing is overwritten."""
        return [
            self._only_the_service(
                sid,
                ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention"],
                [writable],
            ),
            iam.statement(
                create_only_sid,
                "s3:PutObject",
                create_only,
                effect="Deny",
                principals={"AWS": "*"},
                conditions={"Null": {"s3:if-none-match": "true"}},
            ),
        ]

    def _audit_store(self) -> SecureBucket:
        name = names.audit_bucket_name(self.account, self.region)
        arn = f"arn:aws:s3:::{name}"
        trail_arn = self._trail_arn()
        bucket = SecureBucket(
            self,
            "audit-bucket",
            bucket_name=name,
            kms_key_arn=self.key.arn,
            tags=self.tags,
            object_lock_days=self.config.guardrails.audit_retention_days,
            policy_statements=[
                iam.statement(
                    "AllowCloudTrailAclCheck",
                    "s3:GetBucketAcl",
                    arn,
                    principals=iam.service_principal("cloudtrail"),
                    conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
                ),
                *self._service_writes_create_only(
                    "OnlyTheHubServiceWritesTheAuditLog",
                    f"{arn}/{names.AUDIT_LOG_PREFIX}*",
                    "AuditEntriesAreCreateOnly",
                    f"{arn}/{names.AUDIT_LOG_PREFIX}entries/*",
                ),
                iam.statement(
                    "AllowCloudTrailWrite",
                    "s3:PutObject",
                    [
                        f"{arn}/AWSLogs/{self.hub.management_account_id}/*",
                        f"{arn}/AWSLogs/{self.hub.organization_id}/*",
                    ],
                    principals=iam.service_principal("cloudtrail"),
                    conditions={
                        "StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}
                    },
                ),
            ],
        )
        self.trail = aws.cloudtrail.Cloudtrail(
            self,
            "organization-trail",
            name=names.TRAIL,
            s3_bucket_name=bucket.name,
            kms_key_id=self.key.arn,
            is_organization_trail=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            tags=self.tags,
            provider=self.management,
            depends_on=[bucket.policy],
        )
        return bucket

    def _record_object_access(self) -> None:
        """Object-level reads and writes of every govhub bucket (hub stores and team data) become
        trail events: tamper-evident, object-locked evidence of who touched which artifact."""
        buckets = [f"{self.audit_bucket.arn}/", f"{self.checkpoint_bucket.arn}/", f"{self.artifact_bucket.arn}/"]
        buckets += [
            f"arn:aws:s3:::{names.team_data_bucket_name(t.name, self.team_accounts[t.name], self.config.region_for(t))}/"
            for t in self.teams
        ]
        self.trail.add_override(
            "event_selector",
            [
                {
                    "read_write_type": "All",
                    "include_management_events": True,
                    "data_resource": [{"type": "AWS::S3::Object", "values": buckets}],
                }
            ],
        )

    def _publish_pipeline_templates(self) -> None:
        """The pipeline templates projects are built from, as objects in the artifact store (versioned
        with the project template; the teams may read pipelines/*)."""
        from govhub.pipelines import published

        for key, (text, content_type) in published().items():
            aws.s3_object.S3Object(
                self,
                f"pipeline-{key.removeprefix('pipelines/').replace('/', '-').replace('.', '-')}",
                # Terraform would read ${...} and %{...} in the templates as its own expressions: escape them
                bucket=self.artifact_bucket.name,
                key=key,
                content=text.replace("${", "$${").replace("%{", "%%{"),
                content_type=content_type,
                server_side_encryption="aws:kms",
                kms_key_id=self.key.arn,
                tags=self.tags,
            )

    def _artifact_store(self) -> SecureBucket:
        name = names.artifact_bucket_name(self.account, self.region)
        arn = f"arn:aws:s3:::{name}"
        statements = []
        for team, account in self.team_accounts.items():
            principal = {"AWS": iam.account_root(account)}
            sid = "".join(p.capitalize() for p in team.split("-"))
            statements += [
                iam.statement(
                    f"Team{sid}ReadsPoliciesAndPipelines",
                    "s3:GetObject",
                    [f"{arn}/{keys.POLICY_PREFIX}*", f"{arn}/{keys.PIPELINES_PREFIX}*"],
                    principals=principal,
                ),
                iam.statement(
                    f"Team{sid}ReadsOwnRecords",
                    "s3:GetObject",
                    f"{arn}/{keys.team_prefix(team)}*",
                    principals=principal,
                ),
                iam.statement(
                    f"Team{sid}ListsOwnPrefix",
                    "s3:ListBucket",
                    arn,
                    principals=principal,
                    conditions={
                        "StringLike": {
                            "s3:prefix": [
                                f"{keys.team_prefix(team)}*",
                                f"{keys.POLICY_PREFIX}*",
                                f"{keys.PIPELINES_PREFIX}*",
                            ]
                        }
                    },
                ),
            ]
        statements.append(
            self._only_the_service(
                "OnlyTheHubServiceWritesRecordsAndPolicies",
                ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectTagging"],
                [f"{arn}/{keys.TEAMS_PREFIX}*", f"{arn}/{keys.POLICY_PREFIX}*"],
            )
        )
        return SecureBucket(
            self,
            "artifact-bucket",
            bucket_name=name,
            kms_key_arn=self.key.arn,
            tags=self.tags,
            policy_statements=statements,
        )

    def _ecr(self) -> Any:
        repo = aws.ecr_repository.EcrRepository(
            self,
            "pipeline-images",
            name=names.ECR_REPOSITORY,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configuration=[{"encryptionType": "KMS", "kmsKey": self.key.arn}],
            tags=self.tags,
        )
        if self.team_accounts:
            aws.ecr_repository_policy.EcrRepositoryPolicy(
                self,
                "pipeline-images-policy",
                repository=repo.name,
                policy=iam.document(
                    iam.statement(
                        "AllowSpokesToPull",
                        ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        principals={"AWS": self._spoke_roots()},
                    )
                ),
            )
        return repo

    # ----------------------------------------------------------------- registry

    def _team_tags(self, team: Team, risk_tier: str | None = None) -> dict[str, str]:
        tags = {
            "owner": team.owner,
            "team": team.name,
            "cost-centre": team.cost_centre,
            **self.config.guardrails.default_tags,
        }
        if risk_tier:
            tags["risk-tier"] = risk_tier
        return tags

    def _model_package_groups(self, team: Team) -> list[tuple[str, str, str]]:
        """One group per team, plus one per configured use case; each is registrable only by the team."""
        wanted: list[tuple[str | None, str, str]] = [
            (None, highest_tier(team.risk_tiers), f"models of team {team.name}")
        ]
        wanted += [(uc.name, uc.risk_tier, uc.description or f"{team.name}: {uc.name}") for uc in team.use_cases]
        groups = []
        for use_case, tier, description in wanted:
            group_name = names.model_package_group_name(team.name, use_case)
            group = aws.sagemaker_model_package_group.SagemakerModelPackageGroup(
                self,
                f"model-group-{group_name}",
                model_package_group_name=group_name,
                model_package_group_description=description[:1000],
                tags=self._team_tags(team, tier),
            )
            package_arns = f"arn:aws:sagemaker:{self.region}:{self.account}:model-package/{group_name}/*"
            group_ref, group_arn = group.model_package_group_name, group.arn  # read once: round trips
            aws.sagemaker_model_package_group_policy.SagemakerModelPackageGroupPolicy(
                self,
                f"model-group-{group_name}-policy",
                model_package_group_name=group_ref,
                resource_policy=iam.document(
                    iam.statement(
                        "AllowTeamToDescribe",
                        MODEL_REGISTRY_TEAM_ACTIONS,
                        [group_arn, package_arns],
                        principals={"AWS": iam.account_root(self.team_accounts[team.name])},
                    ),
                    self._only_the_service(
                        "OnlyTheHubServiceWritesVersions",
                        [
                            "sagemaker:CreateModelPackage",
                            "sagemaker:UpdateModelPackage",
                            "sagemaker:DeleteModelPackage",
                        ],
                        [group_arn, package_arns],
                    ),
                ),
            )
            groups.append((group_ref, group_arn, package_arns))
        return groups

    # ----------------------------------------------------------------- events

    def _event_bus(self) -> tuple[Any, Any, Any]:
        bus = aws.cloudwatch_event_bus.CloudwatchEventBus(self, "governance-bus", name=names.EVENT_BUS, tags=self.tags)
        aws.cloudwatch_event_bus_policy.CloudwatchEventBusPolicy(
            self,
            "governance-bus-policy",
            event_bus_name=bus.name,
            policy=iam.document(
                iam.statement(
                    "AllowOrganizationToPutEvents",
                    "events:PutEvents",
                    bus.arn,
                    principals={"AWS": "*"},
                    conditions={"StringEquals": {"aws:PrincipalOrgID": self.hub.organization_id}},
                )
            ),
        )
        rules = {
            "model-package-state": {"source": ["aws.sagemaker"], "detail-type": [names.MODEL_PACKAGE_STATE_CHANGE]},
            "gate-decision": {"source": [names.GATE_DECISION_SOURCE], "detail-type": [names.GATE_DECISION_DETAIL_TYPE]},
            "gate-decision-failed": names.TICKET_EVENT_PATTERN,
        }
        rule = {
            rid: aws.cloudwatch_event_rule.CloudwatchEventRule(
                self,
                f"rule-{rid}",
                name=f"govhub-{rid}",
                event_bus_name=bus.name,
                event_pattern=json.dumps(pattern),
                description=f"govhub: route {rid.replace('-', ' ')} events",
                tags=self.tags,
            )
            for rid, pattern in rules.items()
        }

        alerts = aws.sns_topic.SnsTopic(
            self, "alerts", name="govhub-alerts", kms_master_key_id=self.key.arn, tags=self.tags
        )
        aws.sns_topic_policy.SnsTopicPolicy(
            self,
            "alerts-policy",
            arn=alerts.arn,
            policy=iam.document(
                iam.statement(
                    "AllowGovernanceAccount",
                    ["sns:GetTopicAttributes", "sns:Publish", "sns:Subscribe", "sns:ListSubscriptionsByTopic"],
                    alerts.arn,
                    principals={"AWS": iam.account_root(self.account)},
                ),
                iam.statement(
                    "AllowEventBridgeRules",
                    "sns:Publish",
                    alerts.arn,
                    principals=iam.service_principal("events"),
                    conditions={
                        "ArnEquals": {"aws:SourceArn": [rule["model-package-state"].arn, rule["gate-decision"].arn]}
                    },
                ),
            ),
        )
        dlq = aws.sqs_queue.SqsQueue(
            self,
            "tickets-dlq",
            name="govhub-tickets-dlq",
            kms_master_key_id=self.key.arn,
            message_retention_seconds=1209600,
            tags=self.tags,
        )
        tickets = aws.sqs_queue.SqsQueue(
            self,
            "tickets",
            name=names.TICKET_QUEUE,
            kms_master_key_id=self.key.arn,
            message_retention_seconds=1209600,
            redrive_policy=json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 5}, separators=(",", ":")),
            tags=self.tags,
        )
        aws.sqs_queue_policy.SqsQueuePolicy(
            self,
            "tickets-policy",
            queue_url=tickets.url,
            policy=iam.document(
                iam.statement(
                    "AllowFailedDecisionRule",
                    "sqs:SendMessage",
                    tickets.arn,
                    principals=iam.service_principal("events"),
                    conditions={"ArnEquals": {"aws:SourceArn": rule["gate-decision-failed"].arn}},
                )
            ),
        )
        targets = [
            ("model-package-state", alerts.arn),
            ("gate-decision", alerts.arn),
            ("gate-decision-failed", tickets.arn),
        ]
        for rid, arn in targets:
            aws.cloudwatch_event_target.CloudwatchEventTarget(
                self,
                f"target-{rid}-{'tickets' if arn is tickets.arn else 'alerts'}",
                rule=rule[rid].name,
                event_bus_name=bus.name,
                arn=arn,
                target_id="tickets" if arn is tickets.arn else "alerts",
            )
        return bus, alerts, tickets

    # ----------------------------------------------------------------- the hub service

    @property
    def service_role_arn(self) -> str:
        """The hub service's execution role, by name: resource policies built before it name it."""
        return names.role_arn(self.account, names.HUB_SERVICE_ROLE)

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{names.HUB_SERVICE_FUNCTION}"

    def _only_the_service(self, sid: str, actions: list[str], resources: list[str]) -> dict:
        """A resource-policy Deny of ``actions`` on ``resources`` for every principal but the hub service."""
        return iam.statement(
            sid,
            actions,
            resources,
            effect="Deny",
            principals={"AWS": "*"},
            conditions={"ArnNotEquals": {"aws:PrincipalArn": self.service_role_arn}},
        )

    def _hub_service(self) -> tuple[ServiceRole, Any, Any]:
        """The one enforcement point: a Lambda function behind a function URL with AWS_IAM auth, under
        its own role, the only principal the resource policies let write the registry, the audit log
        and the model cards. The package is built from the govhub runtime (infra.aws.lambda_bundle)."""
        from infra.aws import lambda_bundle

        bundle = lambda_bundle.build(self.config)
        audit, artifacts, key = self.audit_bucket.arn, self.artifact_bucket.arn, self.key.arn
        groups = [arn for team in self.groups.values() for _, arn, _ in team]
        packages = [p for team in self.groups.values() for _, _, p in team]
        log_group = aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "hub-service-logs",
            name=f"/aws/lambda/{names.HUB_SERVICE_FUNCTION}",
            retention_in_days=self._log_retention_days(),
            kms_key_id=key,
            tags=self.tags,
        )
        role = ServiceRole(
            self,
            "role-hub-service",
            name=names.HUB_SERVICE_ROLE,
            tags=self.tags,
            description="govhub: the hub service; the only writer of the registry, the audit log and model cards",
            trust=iam.document(
                iam.statement(
                    "AllowLambda",
                    "sts:AssumeRole",
                    principals=iam.service_principal("lambda"),
                    conditions={"StringEquals": {"aws:SourceAccount": self.account}},
                )
            ),
            statements=[
                s
                for s in [
                    iam.statement(
                        "WriteRegistry",
                        [
                            "sagemaker:AddTags",
                            "sagemaker:CreateModelPackage",
                            "sagemaker:DescribeModelPackage",
                            "sagemaker:DescribeModelPackageGroup",
                            "sagemaker:ListModelPackages",
                            "sagemaker:UpdateModelPackage",
                        ],
                        groups + packages,
                    )
                    if groups
                    else None,
                    iam.statement(
                        "WriteModelCards",
                        ["sagemaker:CreateModelCard", "sagemaker:DescribeModelCard", "sagemaker:UpdateModelCard"],
                        f"arn:aws:sagemaker:{self.region}:{self.account}:model-card/*",
                    ),
                    iam.statement(
                        "AppendAuditLog",
                        ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                        f"{audit}/{names.AUDIT_LOG_PREFIX}*",
                    ),
                    iam.statement("ListAuditLog", ["s3:ListBucket", "s3:ListBucketVersions"], audit),
                    iam.statement(
                        "SignCheckpointsAndAttestations", ["kms:Sign", "kms:GetPublicKey"], self.signing_key.arn
                    ),
                    iam.statement(
                        "WriteCheckpoints",
                        ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                        [self.checkpoint_bucket.arn, f"{self.checkpoint_bucket.arn}/*"],
                    ),
                    iam.statement(
                        "StoreRecordsAndReadInboxes",
                        ["s3:GetObject", "s3:PutObject"],
                        [f"{artifacts}/{keys.TEAMS_PREFIX}*", f"{artifacts}/{keys.POLICY_PREFIX}*"],
                    ),
                    iam.statement("ReadInboxes", "s3:GetObject", f"{artifacts}/{keys.INBOX_PREFIX}*"),
                    iam.statement("ListArtifacts", "s3:ListBucket", artifacts),
                    iam.statement("PublishGovernanceEvents", "events:PutEvents", self.bus.arn),
                    iam.statement("UseHubKey", ["kms:Decrypt", "kms:GenerateDataKey"], key),
                    iam.statement("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], f"{log_group.arn}:*"),
                ]
                if s
            ],
        )
        function = aws.lambda_function.LambdaFunction(
            self,
            "hub-service",
            function_name=names.HUB_SERVICE_FUNCTION,
            description="govhub hub service: the one enforcement point of the governance workflow",
            role=role.arn,
            runtime=lambda_bundle.RUNTIME,
            architectures=[lambda_bundle.ARCHITECTURE],
            handler=names.HUB_SERVICE_HANDLER,
            filename=str(bundle.path),
            source_code_hash=bundle.source_code_hash,
            memory_size=1024,
            timeout=120,
            reserved_concurrent_executions=20,  # a flood of requests cannot starve the account's other functions
            kms_key_arn=key,
            tracing_config={"mode": "Active"},
            environment={
                "variables": {
                    "GOVHUB_PLATFORM_CONFIG_SHA256": bundle.config_sha256,
                    "GOVHUB_CACHE_DIR": "/tmp/govhub",
                }
            },
            tags=self.tags,
            depends_on=[log_group, role.role],
        )
        url = aws.lambda_function_url.LambdaFunctionUrl(
            self, "hub-service-url", function_name=function.function_name, authorization_type="AWS_IAM"
        )
        return role, function, url

    def _log_retention_days(self) -> int:
        """CloudWatch accepts a fixed set of retention periods: the smallest one that covers the audit retention."""
        allowed = (
            1,
            3,
            5,
            7,
            14,
            30,
            60,
            90,
            120,
            150,
            180,
            365,
            400,
            545,
            731,
            1096,
            1827,
            2192,
            2557,
            2922,
            3288,
            3653,
        )
        wanted = self.config.guardrails.audit_retention_days
        return next((d for d in allowed if d >= wanted), allowed[-1])

    def _invoke_service(self) -> dict:
        return iam.statement(
            "InvokeHubService",
            ["lambda:InvokeFunctionUrl", "lambda:GetFunctionUrlConfig"],
            self.function_arn,
            conditions={"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
        )

    # ----------------------------------------------------------------- roles

    def _human_trust(self) -> str:
        """People sign in through the identity provider, which sets their source identity (the SAML
        attribute SourceIdentity; it can never be changed within the session chain). The hub roles
        require MFA, a source identity, and a role session name equal to it: the session name, which
        the hub service reads from the function URL's request context, is then the person the identity
        provider authenticated, not a name the caller chose. (``$${...}`` is Terraform's escape: IAM
        receives the policy variable ``${aws:SourceIdentity}``.)"""
        return iam.document(
            iam.statement(
                "AllowGovernanceAccountWithMfaAndSourceIdentity",
                ["sts:AssumeRole", "sts:SetSourceIdentity"],
                principals={"AWS": iam.account_root(self.account)},
                conditions={
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "Null": {"sts:SourceIdentity": "false"},
                    "StringEquals": {"sts:RoleSessionName": "$${aws:SourceIdentity}"},
                },
            )
        )

    def _roles(self) -> dict[str, ServiceRole]:
        """The people's and pipelines' roles. None of them writes the registry, the audit log or the
        model cards: every change goes through the hub service (``InvokeHubService``)."""
        audit, artifacts, key = self.audit_bucket.arn, self.artifact_bucket.arn, self.key.arn
        groups = [arn for team in self.groups.values() for _, arn, _ in team]
        packages = [p for team in self.groups.values() for _, _, p in team]
        read_registry = (
            iam.statement(
                "ReadRegistry",
                [
                    "sagemaker:DescribeModelPackage",
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:ListModelPackages",
                ],
                groups + packages,
            )
            if groups
            else None
        )
        checkpoints = self.checkpoint_bucket.arn
        read_audit = iam.statement(
            "ReadAuditLog",
            ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"],
            [audit, f"{audit}/{names.AUDIT_LOG_PREFIX}*", checkpoints, f"{checkpoints}/*"],
        )
        public_key = self._read_public_key()
        read_artifacts = iam.statement(
            "ReadArtifacts", ["s3:GetObject", "s3:ListBucket"], [artifacts, f"{artifacts}/*"]
        )
        decrypt = iam.statement("DecryptRecords", ["kms:Decrypt", "kms:DescribeKey"], key)
        invoke = self._invoke_service()
        rules_arn = f"arn:aws:events:{self.region}:{self.account}:rule/{names.EVENT_BUS}/*"
        roles = {}
        roles["platform-admin"] = ServiceRole(
            self,
            "role-platform-admin",
            name=names.HUB_PLATFORM_ADMIN_ROLE,
            trust=self._human_trust(),
            tags=self.tags,
            description="govhub: operate the hub's bus, notifications and images; promote through the hub service",
            statements=[
                s
                for s in [
                    read_artifacts,
                    read_audit,
                    read_registry,
                    iam.statement(
                        "OperateBus",
                        [
                            "events:DescribeEventBus",
                            "events:DescribeRule",
                            "events:DisableRule",
                            "events:EnableRule",
                            "events:ListTargetsByRule",
                        ],
                        [self.bus.arn, rules_arn],
                    ),
                    iam.statement(
                        "ManageNotifications",
                        [
                            "sns:GetTopicAttributes",
                            "sns:Subscribe",
                            "sns:Unsubscribe",
                            "sqs:GetQueueAttributes",
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                        ],
                        [self.alerts.arn, self.tickets.arn],
                    ),
                    iam.statement(
                        "ManageImages",
                        [
                            "ecr:BatchGetImage",
                            "ecr:DescribeImages",
                            "ecr:PutImage",
                            "ecr:InitiateLayerUpload",
                            "ecr:UploadLayerPart",
                            "ecr:CompleteLayerUpload",
                            "ecr:BatchCheckLayerAvailability",
                        ],
                        self.ecr.arn,
                    ),
                    decrypt,
                    public_key,
                    invoke,
                ]
                if s
            ],
        )
        roles["approver"] = ServiceRole(
            self,
            "role-approver",
            name=names.HUB_APPROVER_ROLE,
            trust=self._human_trust(),
            tags=self.tags,
            description="govhub: approve, reject and waive through the hub service; read the record",
            statements=[s for s in [read_registry, read_audit, read_artifacts, decrypt, public_key, invoke] if s],
        )
        roles["auditor"] = ServiceRole(
            self,
            "role-auditor",
            name=names.HUB_AUDITOR_ROLE,
            trust=self._human_trust(),
            tags=self.tags,
            description="govhub: read-only access to the audit record, artifacts and registry",
            statements=[
                s
                for s in [
                    iam.statement(
                        "ReadStores",
                        [
                            "s3:GetBucketObjectLockConfiguration",
                            "s3:GetObject",
                            "s3:GetObjectLegalHold",
                            "s3:GetObjectRetention",
                            "s3:GetObjectVersion",
                            "s3:ListBucket",
                            "s3:ListBucketVersions",
                        ],
                        [audit, f"{audit}/*", checkpoints, f"{checkpoints}/*", artifacts, f"{artifacts}/*"],
                    ),
                    read_registry,
                    decrypt,
                    public_key,
                    iam.statement("LookupTrailEvents", "cloudtrail:LookupEvents", "*"),
                ]
                if s
            ],
        )
        ci_principal = self.hub.ci_principal_arn or iam.account_root(self.account)
        deploy_roles = [names.spoke_deploy_role_arn(a) for a in self.team_accounts.values()]
        roles["ci-deployer"] = ServiceRole(
            self,
            "role-ci-deployer",
            name=names.HUB_CI_DEPLOYER_ROLE,
            tags=self.tags,
            description="govhub: the platform CI; deploys spokes, pushes images; publishes packs through the hub service",
            trust=iam.document(iam.statement("AllowPlatformCi", "sts:AssumeRole", principals={"AWS": ci_principal})),
            statements=[
                s
                for s in [
                    iam.statement("AssumeSpokeDeployRoles", "sts:AssumeRole", deploy_roles) if deploy_roles else None,
                    iam.statement(
                        "ReadPoliciesAndPipelines",
                        "s3:GetObject",
                        [f"{artifacts}/{keys.POLICY_PREFIX}*", f"{artifacts}/{keys.PIPELINES_PREFIX}*"],
                    ),
                    iam.statement("ListArtifacts", "s3:ListBucket", artifacts),
                    iam.statement(
                        "PushPipelineImages",
                        [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:CompleteLayerUpload",
                            "ecr:InitiateLayerUpload",
                            "ecr:PutImage",
                            "ecr:UploadLayerPart",
                        ],
                        self.ecr.arn,
                    ),
                    iam.statement("EcrLogin", "ecr:GetAuthorizationToken", "*"),
                    read_registry,
                    decrypt,
                    public_key,
                    invoke,
                ]
                if s
            ],
        )
        for team in self.teams:
            roles[f"submit-{team.name}"] = self._team_submitter(team, invoke)
        return roles

    def _read_public_key(self) -> dict:
        """Verifying the hub's signatures (checkpoints, attestations) needs its public key, nothing more."""
        return iam.statement("ReadHubPublicKey", ["kms:GetPublicKey", "kms:DescribeKey"], self.signing_key.arn)

    def _team_submitter(self, team: Team, invoke: dict) -> ServiceRole:
        """The one door from a team's account into the hub: upload a submission to the team's inbox,
        ask the hub service to register it, and read the team's own records and groups. Nothing else:
        no registry, audit-log or model-card write, no other team's inbox or groups."""
        groups = self.groups[team.name]
        artifacts = self.artifact_bucket.arn
        return ServiceRole(
            self,
            f"role-submit-{team.name}",
            name=names.team_submitter_role(team.name),
            tags=self._team_tags(team),
            description=f"govhub: team {team.name} uploads submissions and asks the hub service to register them",
            trust=iam.document(
                iam.statement(
                    "AllowTeamAccount",
                    "sts:AssumeRole",
                    principals={"AWS": iam.account_root(self.team_accounts[team.name])},
                )
            ),
            statements=[
                iam.statement(
                    "ReadOwnGroups",
                    [
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:ListModelPackages",
                    ],
                    [*(arn for _, arn, _ in groups), *(p for _, _, p in groups)],
                ),
                iam.statement("UploadToOwnInbox", "s3:PutObject", f"{artifacts}/{keys.inbox_prefix(team.name)}*"),
                iam.statement(
                    "ReadOwnRecordsAndPolicies",
                    "s3:GetObject",
                    [f"{artifacts}/{keys.team_prefix(team.name)}*", f"{artifacts}/{names.POLICY_PREFIX}*"],
                ),
                iam.statement(
                    "ListOwnPrefixAndPolicies",
                    "s3:ListBucket",
                    artifacts,
                    conditions={
                        "StringLike": {"s3:prefix": [f"{keys.team_prefix(team.name)}*", f"{keys.POLICY_PREFIX}*"]}
                    },
                ),
                iam.statement("EncryptUploads", ["kms:Decrypt", "kms:GenerateDataKey"], self.key.arn),
                self._read_public_key(),
                invoke,
            ],
        )

    # ----------------------------------------------------------------- facts and outputs

    def _facts(self) -> AwsHubFacts:
        teams = {}
        for team in self.teams:
            groups = self.groups[team.name]
            teams[team.name] = AwsTeamHubFacts(
                team=team.name,
                account_id=self.team_accounts[team.name],
                access_role_name=self.hub.access_role_name,
                hub_account_id=self.account,
                hub_region=self.region,
                organization_id=self.hub.organization_id,
                event_bus_arn=self.bus.arn,
                artifact_bucket_name=self.artifact_bucket.name,
                artifact_bucket_arn=self.artifact_bucket.arn,
                kms_key_arn=self.key.arn,
                ecr_repository_arn=self.ecr.arn,
                ci_deployer_role_arn=self.roles["ci-deployer"].arn,
                submit_role_arn=self.roles[f"submit-{team.name}"].arn,
                model_package_group_names=tuple(n for n, _, _ in groups),
                model_package_group_arns=tuple(arn for _, arn, _ in groups),
                model_package_arn_patterns=tuple(p for _, _, p in groups),
            )
        return AwsHubFacts(teams=teams)

    def _outputs(self) -> None:
        # The hub's public key, published as an output for auditors and deployment pipelines to pin.
        self.public_key = aws.data_aws_kms_public_key.DataAwsKmsPublicKey(
            self, "signing-public-key", key_id=self.signing_key.arn
        )
        outputs = {
            "artifact_bucket": self.artifact_bucket.name,
            "audit_bucket": self.audit_bucket.name,
            "checkpoint_bucket": self.checkpoint_bucket.name,
            "signing_key_arn": self.signing_key.arn,
            "signing_public_key_pem": self.public_key.public_key_pem,
            "kms_key_arn": self.key.arn,
            "event_bus_arn": self.bus.arn,
            "alerts_topic_arn": self.alerts.arn,
            "ticket_queue_url": self.tickets.url,
            "ecr_repository_url": self.ecr.repository_url,
            "workloads_ou_id": self.workloads_ou.id,
            "hub_service_url": self.service_url.function_url,
            "hub_service_role_arn": self.service_role.arn,
            **{f"role_{k.replace('-', '_')}_arn": r.arn for k, r in self.roles.items()},
        }
        for name, value in outputs.items():
            engine.TerraformOutput(self, f"out-{name}", value=value, description=f"govhub hub: {name}")
