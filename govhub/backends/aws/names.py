"""Names shared by the hub and the spokes: the one place each convention is written down."""

from __future__ import annotations

from govhub import vocabulary as v
from govhub.core import keys

ROLE_PATH = "/govhub/"
SPOKE_DEPLOY_ROLE = "govhub-deploy"
SPOKE_CI_ROLE = "govhub-ci"  # the team CI's OIDC role in the team account; it may assume the hub submit role
HUB_CI_DEPLOYER_ROLE = v.CI_DEPLOYER
HUB_PLATFORM_ADMIN_ROLE = v.PLATFORM_ADMIN
HUB_APPROVER_ROLE = v.APPROVER
HUB_AUDITOR_ROLE = v.AUDITOR
HUB_TEAM_SUBMITTER_ROLE = v.TEAM_SUBMITTER
HUB_SERVICE_ROLE = "govhub-hub-service"
"""The hub service's execution role: the only principal that writes the registry, audit log and cards."""
HUB_SERVICE_FUNCTION = "govhub-hub-service"
HUB_SERVICE_HANDLER = "govhub.service.aws_lambda.handler"
EVENT_BUS = "govhub-governance"
ECR_REPOSITORY = "govhub/pipeline-images"
TRAIL = "govhub-org-trail"
AUDIT_LOG_PREFIX = "govhub-audit-log/"
SIGNING_KEY_ALIAS = "alias/govhub/audit-signing"
"""The hub's asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY): signs audit checkpoints and attestations."""
TICKET_QUEUE = "govhub-tickets"
POLICY_PREFIX = keys.POLICY_PREFIX
GATE_DECISION_SOURCE = v.EVENT_SOURCE
GATE_DECISION_DETAIL_TYPE = v.GATE_DECISION_EVENT
TICKET_OUTCOMES = v.TICKET_OUTCOMES
# The governance bus routes a failed or erroring gate decision to the ticket queue with this pattern.
TICKET_EVENT_PATTERN = {
    "source": [GATE_DECISION_SOURCE],
    "detail-type": [GATE_DECISION_DETAIL_TYPE],
    "detail": {"data": {"outcome": list(TICKET_OUTCOMES)}},  # Detail is the CloudEvents envelope
}
MODEL_PACKAGE_STATE_CHANGE = "SageMaker Model Package State Change"
FORWARDED_SAGEMAKER_EVENTS = (
    MODEL_PACKAGE_STATE_CHANGE,
    "SageMaker Model Package Group State Change",
    "SageMaker Model Building Pipeline Execution Status Change",
    "SageMaker Model Building Pipeline Execution Step Status Change",
)


def hub_stack_id(cloud: str) -> str:
    return f"hub-{cloud}"


def spoke_stack_id(cloud: str, team: str) -> str:
    return f"spoke-{cloud}-{team}"


def spoke_deploy_role_arn(account_id: str) -> str:
    """The role every spoke creates for the hub's CI deployer. The hub must name it before the
    spoke exists (the hub is deployed first), so this ARN follows the naming convention."""
    return f"arn:aws:iam::{account_id}:role{ROLE_PATH}{SPOKE_DEPLOY_ROLE}"


def model_package_group_name(team: str, use_case: str | None = None) -> str:
    return keys.model_group(team, use_case)


def team_data_bucket_name(team: str, account_id: str, region: str) -> str:
    """The team data bucket. The hub names it too: its organization trail records the bucket's
    object-level access, and the hub is deployed before the spoke exists."""
    return f"{team}-data-{account_id}-{region}"


def audit_bucket_name(account_id: str, region: str) -> str:
    return f"govhub-audit-{account_id}-{region}"


def checkpoint_bucket_name(account_id: str, region: str) -> str:
    """The signed checkpoints of the audit log: a second object-locked bucket that only the service writes."""
    return f"govhub-checkpoints-{account_id}-{region}"


def signing_key_arn(account_id: str, region: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{SIGNING_KEY_ALIAS}"


def artifact_bucket_name(account_id: str, region: str) -> str:
    return f"govhub-artifacts-{account_id}-{region}"


def team_submitter_role(team: str) -> str:
    """The hub role a team's CI assumes to upload submissions to its inbox and ask the hub service to
    register them: the only door from a spoke into the hub."""
    return v.team_submitter(team)


def role_arn(account_id: str, role: str) -> str:
    return f"arn:aws:iam::{account_id}:role{ROLE_PATH}{role}"
