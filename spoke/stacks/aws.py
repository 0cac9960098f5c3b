"""An AWS spoke: one ML team's account, its workspace, and its wiring to the hub."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from govhub.backends.aws import names
from govhub.config import PlatformConfig, Team
from govhub.core import keys
from infra import engine
from infra.aspects import apply_guardrails
from infra.aws import policy as iam
from infra.aws.constructs import KmsKey, SecureBucket, ServiceRole, assume_role_provider
from infra.aws.facts import AwsTeamHubFacts

aws = engine.provider("aws")

# Interface endpoints a VPC-only SageMaker domain needs to work without internet access.
INTERFACE_ENDPOINTS = ("sagemaker.api", "sagemaker.runtime", "sts", "logs", "ecr.api", "ecr.dkr", "events")
JOB_RESOURCES = (
    "training-job",
    "processing-job",
    "transform-job",
    "model",
    "pipeline",
    "experiment",
    "experiment-trial",
    "experiment-trial-component",
    "hyper-parameter-tuning-job",
)


class AwsSpokeStack(engine.TerraformStack):
    """``spoke-aws-<team>``: a team's SageMaker domain, data, roles and event forwarding."""

    def __init__(self, scope: Any, config: PlatformConfig, team: Team, hub: AwsTeamHubFacts):
        super().__init__(scope, names.spoke_stack_id("aws", team.name))
        self.config, self.team, self.hub = config, team, hub
        self.region = config.region_for(team)
        self.account = hub.account_id
        self.tags = {
            "owner": team.owner,
            "team": team.name,
            "cost-centre": team.cost_centre,
            **config.guardrails.default_tags,
        }
        assume_role_provider(self, "aws", region=self.region, account_id=self.account, role_name=hub.access_role_name)
        self.key = KmsKey(
            self,
            "team-key",
            alias=f"govhub/{team.name}",
            tags=self.tags,
            description=f"govhub team {team.name}: data, workspace storage",
            policy=iam.document(
                iam.statement(
                    "EnableTeamAccountAdministration", "kms:*", "*", principals={"AWS": iam.account_root(self.account)}
                ),
                iam.statement(
                    "AllowFlowLogGroupEncryption",
                    ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                    "*",
                    principals=iam.service_principal(f"logs.{self.region}"),
                    conditions={
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{self.region}:{self.account}:log-group:*"
                        }
                    },
                ),
            ),
        )
        self.data_bucket = SecureBucket(
            self,
            "data-bucket",
            bucket_name=names.team_data_bucket_name(team.name, self.account, self.region),
            kms_key_arn=self.key.arn,
            tags=self.tags,
            noncurrent_days=90,
        )
        self.vpc, self.subnets, self.security_group = self._network()
        self.boundary = self._permission_boundary()
        self.execution_role = self._execution_role()
        self.domain = aws.sagemaker_domain.SagemakerDomain(
            self,
            "domain",
            domain_name=f"govhub-{team.name}",
            auth_mode="IAM",
            vpc_id=self.vpc.id,
            subnet_ids=[s.id for s in self.subnets],
            app_network_access_type="VpcOnly",
            kms_key_id=self.key.arn,
            default_user_settings={
                "execution_role": self.execution_role.arn,
                "security_groups": [self.security_group.id],
            },
            tags=self.tags,
        )
        self.forwarder = self._event_forwarding()
        self.deploy_role = self._deploy_role()
        self.ci_role = self._ci_role()
        self._budget()
        for name, value in {
            "sagemaker_domain_id": self.domain.id,
            "execution_role_arn": self.execution_role.arn,
            "data_bucket": self.data_bucket.name,
            "deploy_role_arn": self.deploy_role.arn,
        }.items():
            engine.TerraformOutput(self, f"out-{name}", value=value, description=f"govhub spoke {team.name}: {name}")
        # The variables the team's CI reads (the project README lists them): the platform's deploy
        # workflow writes them into the team's repository from this output after each apply.
        engine.TerraformOutput(
            self,
            "out-ci_variables",
            value=self.ci_variables,
            description=f"govhub spoke {team.name}: the CI variables of the team's repository",
        )
        self.guardrails = apply_guardrails(self, config.guardrails.required_tags)

    def _network(self) -> tuple[Any, list[Any], Any]:
        net = ipaddress.IPv4Network(self.team.vpc_cidr)
        vpc = aws.vpc.Vpc(
            self,
            "vpc",
            cidr_block=str(net),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**self.tags, "Name": f"govhub-{self.team.name}"},
        )
        vpc_id = vpc.id  # references are read once: each read is a round trip to the engine
        aws.default_security_group.DefaultSecurityGroup(self, "default-sg", vpc_id=vpc_id, tags=self.tags)
        blocks = list(net.subnets(new_prefix=net.prefixlen + 2))[:2]
        subnets = [
            aws.subnet.Subnet(
                self,
                f"private-{i}",
                vpc_id=vpc_id,
                cidr_block=str(block),
                availability_zone=f"{self.region}{'ab'[i]}",
                map_public_ip_on_launch=False,
                tags={**self.tags, "Name": f"govhub-{self.team.name}-private-{i}"},
            )
            for i, block in enumerate(blocks)
        ]
        subnet_ids = [s.id for s in subnets]
        routes = aws.route_table.RouteTable(self, "private-routes", vpc_id=vpc_id, tags=self.tags)
        routes_id = routes.id
        for i, subnet_id in enumerate(subnet_ids):
            aws.route_table_association.RouteTableAssociation(
                self, f"private-{i}-routes", subnet_id=subnet_id, route_table_id=routes_id
            )
        self._flow_logs(vpc_id)
        sg = aws.security_group.SecurityGroup(
            self,
            "workspace-sg",
            name=f"govhub-{self.team.name}-workspace",
            vpc_id=vpc_id,
            tags=self.tags,
            description="SageMaker workspace: HTTPS inside the VPC only",
            ingress=[
                {
                    "description": "HTTPS from inside the VPC",
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrBlocks": [str(net)],
                }
            ],
            egress=[
                {
                    "description": "HTTPS to VPC endpoints",
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "cidrBlocks": [str(net)],
                }
            ],
        )
        sg_id = sg.id
        aws.vpc_endpoint.VpcEndpoint(
            self,
            "endpoint-s3",
            vpc_id=vpc_id,
            service_name=f"com.amazonaws.{self.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[routes_id],
            tags=self.tags,
        )
        for service in INTERFACE_ENDPOINTS:
            aws.vpc_endpoint.VpcEndpoint(
                self,
                f"endpoint-{service.replace('.', '-')}",
                vpc_id=vpc_id,
                service_name=f"com.amazonaws.{self.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=subnet_ids,
                security_group_ids=[sg_id],
                tags=self.tags,
            )
        return vpc, subnets, sg

    def _flow_logs(self, vpc_id: str) -> None:
        """Every packet decision in the workspace network goes to an encrypted, retained log group."""
        group = aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "flow-log-group",
            name=f"/govhub/{self.team.name}/vpc-flow-logs",
            retention_in_days=365,
            kms_key_id=self.key.arn,
            tags=self.tags,
        )
        group_arn = group.arn
        role = ServiceRole(
            self,
            "flow-log-role",
            name=f"govhub-{self.team.name}-flow-logs",
            tags=self.tags,
            description="govhub: deliver VPC flow logs to CloudWatch Logs",
            trust=iam.service_trust("AllowFlowLogs", "vpc-flow-logs", self.account),
            statements=[
                iam.statement(
                    "WriteFlowLogs",
                    ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    [group_arn, f"{group_arn}:*"],
                )
            ],
        )
        aws.flow_log.FlowLog(
            self,
            "flow-log",
            vpc_id=vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group_arn,
            iam_role_arn=role.arn,
            tags=self.tags,
        )

    def _permission_boundary(self) -> Any:
        boundary_arn = f"arn:aws:iam::{self.account}:policy{names.ROLE_PATH}govhub-{self.team.name}-boundary"
        return aws.iam_policy.IamPolicy(
            self,
            "permission-boundary",
            name=f"govhub-{self.team.name}-boundary",
            path=names.ROLE_PATH,
            tags=self.tags,
            description="govhub: the most any team workload role may do",
            policy=iam.document(
                iam.statement(
                    "AllowMlWorkloads",
                    [
                        "cloudwatch:PutMetricData",
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                        "ec2:Describe*",
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:BatchGetImage",
                        "ecr:GetAuthorizationToken",
                        "ecr:GetDownloadUrlForLayer",
                        "events:PutEvents",
                        "iam:PassRole",
                        "kms:Decrypt",
                        "kms:DescribeKey",
                        "kms:Encrypt",
                        "kms:GenerateDataKey",
                        "kms:CreateGrant",
                        "logs:CreateLogGroup",
                        "logs:CreateLogStream",
                        "logs:DescribeLogStreams",
                        "logs:PutLogEvents",
                        "s3:DeleteObject",
                        "s3:GetObject",
                        "s3:ListBucket",
                        "s3:PutObject",
                        "sagemaker:*",
                    ],
                    "*",
                ),
                iam.statement(
                    "DenyBoundaryTampering",
                    [
                        "iam:CreatePolicyVersion",
                        "iam:DeletePolicy",
                        "iam:DeletePolicyVersion",
                        "iam:SetDefaultPolicyVersion",
                    ],
                    boundary_arn,
                    effect="Deny",
                ),
                iam.statement(
                    "DenyRemovingBoundaries",
                    ["iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"],
                    "*",
                    effect="Deny",
                ),
                iam.statement(
                    "DenyOrganizationAndTrailChanges",
                    ["cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "organizations:LeaveOrganization"],
                    "*",
                    effect="Deny",
                ),
            ),
        )

    def _execution_role(self) -> ServiceRole:
        hub, team, account, region = self.hub, self.team.name, self.account, self.region
        artifacts = hub.artifact_bucket_arn
        role_name = f"govhub-{team}-sagemaker-execution"
        return ServiceRole(
            self,
            "execution-role",
            name=role_name,
            tags=self.tags,
            permissions_boundary=self.boundary.arn,
            description=f"govhub: SageMaker jobs of team {team}",
            trust=iam.service_trust("AllowSageMaker", "sagemaker", account),
            statements=[
                iam.statement(
                    "TeamData",
                    ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"],
                    [self.data_bucket.arn, f"{self.data_bucket.arn}/*"],
                ),
                iam.statement(
                    "TeamKey",
                    ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
                    self.key.arn,
                ),
                iam.statement(
                    "HubPoliciesAndPipelines", "s3:GetObject", [f"{artifacts}/policies/*", f"{artifacts}/pipelines/*"]
                ),
                iam.statement(
                    "HubTeamArtifacts", ["s3:GetObject", "s3:PutObject"], f"{artifacts}/{keys.team_prefix(team)}*"
                ),
                iam.statement("HubKey", ["kms:Decrypt", "kms:GenerateDataKey"], hub.kms_key_arn),
                iam.statement(
                    "RegisterInHubRegistry",
                    [
                        "sagemaker:CreateModelPackage",
                        "sagemaker:DescribeModelPackage",
                        "sagemaker:DescribeModelPackageGroup",
                        "sagemaker:ListModelPackages",
                    ],
                    [*hub.model_package_group_arns, *hub.model_package_arn_patterns],
                ),
                iam.statement(
                    "RunTeamJobs",
                    [
                        "sagemaker:AddTags",
                        "sagemaker:CreateModel",
                        "sagemaker:CreateProcessingJob",
                        "sagemaker:CreateTrainingJob",
                        "sagemaker:CreateTransformJob",
                        "sagemaker:Describe*",
                        "sagemaker:List*",
                        "sagemaker:StopProcessingJob",
                        "sagemaker:StopTrainingJob",
                    ],
                    [f"arn:aws:sagemaker:{region}:{account}:{kind}/*" for kind in JOB_RESOURCES],
                ),
                iam.statement(
                    "Logs",
                    ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/*",
                ),
                iam.statement(
                    "PullHubImages",
                    ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    hub.ecr_repository_arn,
                ),
                iam.statement("EcrLogin", "ecr:GetAuthorizationToken", "*"),
                iam.statement(
                    "VpcNetworkInterfaces",
                    [
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeVpcs",
                    ],
                    "*",
                ),
                iam.statement(
                    "PassOwnRoleToSageMaker",
                    "iam:PassRole",
                    f"arn:aws:iam::{account}:role{names.ROLE_PATH}{role_name}",
                    conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                ),
            ],
        )

    def _event_forwarding(self) -> ServiceRole:
        role = ServiceRole(
            self,
            "event-forwarder",
            name=f"govhub-{self.team.name}-event-forwarder",
            tags=self.tags,
            description="govhub: forward SageMaker registry and pipeline events to the hub bus",
            trust=iam.service_trust("AllowEventBridge", "events", self.account),
            statements=[iam.statement("PutToHubBus", "events:PutEvents", self.hub.event_bus_arn)],
        )
        rule = aws.cloudwatch_event_rule.CloudwatchEventRule(
            self,
            "forward-to-hub",
            name="govhub-forward-sagemaker-events",
            tags=self.tags,
            description="govhub: SageMaker model registry and pipeline events go to the hub governance bus",
            event_pattern=json.dumps(
                {"source": ["aws.sagemaker"], "detail-type": list(names.FORWARDED_SAGEMAKER_EVENTS)}
            ),
        )
        aws.cloudwatch_event_target.CloudwatchEventTarget(
            self,
            "forward-to-hub-target",
            rule=rule.name,
            target_id="hub-bus",
            arn=self.hub.event_bus_arn,
            role_arn=role.arn,
        )
        return role

    @property
    def ci_variables(self) -> dict[str, Any]:
        out: dict[str, Any] = {"GOVHUB_SUBMIT_ROLE_ARN": self.hub.submit_role_arn, "AWS_REGION": self.hub.hub_region}
        if self.ci_role is not None:
            out["GOVHUB_CI_ROLE_ARN"] = self.ci_role.arn
        return out

    def _ci_role(self) -> ServiceRole | None:
        """The team CI's role: trusted by the CI provider's OIDC tokens for the team's repository and
        submitting branch only, and allowed nothing but to assume the hub's submit role for this team."""
        ci = self.team.ci
        if ci is None:
            return None
        oidc = aws.iam_openid_connect_provider.IamOpenidConnectProvider(
            self, "ci-oidc", url=f"https://{ci.issuer_host}", client_id_list=[ci.audience], tags=self.tags
        )
        return ServiceRole(
            self,
            "ci-role",
            name=names.SPOKE_CI_ROLE,
            tags=self.tags,
            description=f"govhub: {ci.provider} pipelines of {ci.repository} on {ci.branch} submit to the hub",
            trust=iam.document(
                iam.statement(
                    "AllowTeamRepositoryBranch",
                    "sts:AssumeRoleWithWebIdentity",
                    principals={"Federated": oidc.arn},
                    conditions={
                        "StringEquals": {f"{ci.issuer_host}:aud": ci.audience, f"{ci.issuer_host}:sub": ci.subject}
                    },
                )
            ),
            statements=[iam.statement("AssumeHubSubmitRole", "sts:AssumeRole", self.hub.submit_role_arn)],
        )

    def _deploy_role(self) -> ServiceRole:
        account, region, team = self.account, self.region, self.team.name
        return ServiceRole(
            self,
            "deploy-role",
            name=names.SPOKE_DEPLOY_ROLE,
            tags=self.tags,
            description="govhub: assumed by the hub's CI deployer to update this team's resources",
            trust=iam.document(
                iam.statement("AllowHubCiDeployer", "sts:AssumeRole", principals={"AWS": self.hub.ci_deployer_role_arn})
            ),
            statements=[
                iam.statement("ManageTeamSageMaker", "sagemaker:*", f"arn:aws:sagemaker:{region}:{account}:*"),
                iam.statement("ManageTeamBuckets", "s3:*", [f"arn:aws:s3:::{team}-*", f"arn:aws:s3:::{team}-*/*"]),
                iam.statement(
                    "ManageTeamKeys",
                    [
                        "kms:CreateAlias",
                        "kms:DescribeKey",
                        "kms:EnableKeyRotation",
                        "kms:GetKeyPolicy",
                        "kms:GetKeyRotationStatus",
                        "kms:ListResourceTags",
                        "kms:PutKeyPolicy",
                        "kms:TagResource",
                        "kms:UpdateAlias",
                    ],
                    [f"arn:aws:kms:{region}:{account}:key/*", f"arn:aws:kms:{region}:{account}:alias/govhub/*"],
                ),
                iam.statement(
                    "ManageGovhubRoles",
                    [
                        "iam:AttachRolePolicy",
                        "iam:CreateRole",
                        "iam:DeleteRolePolicy",
                        "iam:GetRole",
                        "iam:GetRolePolicy",
                        "iam:ListAttachedRolePolicies",
                        "iam:ListRolePolicies",
                        "iam:PassRole",
                        "iam:PutRolePolicy",
                        "iam:TagRole",
                        "iam:UpdateAssumeRolePolicy",
                        "iam:CreatePolicy",
                        "iam:CreatePolicyVersion",
                        "iam:GetPolicy",
                        "iam:GetPolicyVersion",
                        "iam:ListPolicyVersions",
                        "iam:DeletePolicyVersion",
                    ],
                    [
                        f"arn:aws:iam::{account}:role{names.ROLE_PATH}*",
                        f"arn:aws:iam::{account}:policy{names.ROLE_PATH}*",
                    ],
                ),
                iam.statement(
                    "ManageNetworkAndDescribe",
                    [
                        "ec2:*Vpc*",
                        "ec2:*Subnet*",
                        "ec2:*SecurityGroup*",
                        "ec2:*RouteTable*",
                        "ec2:*VpcEndpoint*",
                        "ec2:CreateTags",
                        "ec2:Describe*",
                        "kms:CreateKey",
                        "kms:ListAliases",
                        "events:DescribeRule",
                        "events:ListTargetsByRule",
                        "events:PutRule",
                        "events:PutTargets",
                        "events:TagResource",
                    ],
                    "*",
                    conditions={"StringEquals": {"aws:RequestedRegion": region}},
                ),
                iam.statement(
                    "ManageBudget",
                    ["budgets:ModifyBudget", "budgets:ViewBudget"],
                    f"arn:aws:budgets::{account}:budget/govhub-{team}",
                ),
            ],
        )

    def _budget(self) -> None:
        aws.budgets_budget.BudgetsBudget(
            self,
            "budget",
            name=f"govhub-{self.team.name}",
            account_id=self.account,
            budget_type="COST",
            limit_amount=str(self.team.budget_monthly_usd),
            limit_unit="USD",
            time_unit="MONTHLY",
            tags=self.tags,
            notification=[
                {
                    "comparisonOperator": "GREATER_THAN",
                    "threshold": 80,
                    "thresholdType": "PERCENTAGE",
                    "notificationType": "ACTUAL",
                    "subscriberEmailAddresses": list(self.team.owners),
                },
                {
                    "comparisonOperator": "GREATER_THAN",
                    "threshold": 100,
                    "thresholdType": "PERCENTAGE",
                    "notificationType": "FORECASTED",
                    "subscriberEmailAddresses": list(self.team.owners),
                },
            ],
        )
