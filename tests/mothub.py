"""A governance hub and its spokes in moto, with separate account ids (sts:AssumeRole between them).

The hub's resources are created here with boto3 under the same names and patterns the hub stack
uses (``govhub.backends.aws.names``); the Terraform path onto the emulator is tested in
test_terraform_emulator. Every workflow step runs as the hub service does: its reads and writes on the
hub service role's credentials, and the caller (``as_team``, ``as_hub``) as STS authenticated them.
moto does not evaluate IAM here (tests/service/test_least_privilege.py switches its evaluator on), so
what these tests prove is the workflow's own rules.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from govhub.backends.aws import names
from govhub.backends.aws.hub import AwsHubCoordinates, assume, assumed_session, caller, services
from govhub.config import PlatformConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "examples" / "platform.yaml"
HUB_ROLES = (
    names.HUB_APPROVER_ROLE,
    names.HUB_AUDITOR_ROLE,
    names.HUB_PLATFORM_ADMIN_ROLE,
    names.HUB_CI_DEPLOYER_ROLE,
    names.HUB_SERVICE_ROLE,
)
TRUST = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
)


def session_in(account: str, role: str, person: str, region: str, base: Any = None) -> Any:
    base = base or boto3.Session(region_name=region)
    return assumed_session(base, names.role_arn(account, role), person, region)


@dataclass
class MotoHub:
    config: PlatformConfig
    coords: AwsHubCoordinates
    admin: Any  # a session in the hub account (the deploy role)
    queue_url: str
    cache_dir: Path

    def service_session(self) -> Any:
        return assume(boto3.Session(region_name=self.coords.region), self.coords, names.HUB_SERVICE_ROLE, "hub-service")

    def spoke(self, team: str, person: str = "ci") -> Any:
        account = self.config.team(team).account
        return session_in(account, "govhub-ci", person, self.coords.region)

    def team_session(self, team: str, person: str = "ci-pipeline") -> Any:
        """The team's CI: spoke credentials, then the hub's govhub-submit-<team> role."""
        return assume(self.spoke(team, person), self.coords, names.team_submitter_role(team), person)

    def hub_session(self, role: str, person: str) -> Any:
        return assume(boto3.Session(region_name=self.coords.region), self.coords, role, person)

    def as_team(self, team: str, person: str = "ci-pipeline"):
        """The services as the hub service sees a request from the team's CI."""
        return self._svc(self.team_session(team, person))

    def as_hub(self, role: str, person: str):
        return self._svc(self.hub_session(role, person))

    def _svc(self, session: Any):
        base = services(self.service_session(), self.coords)
        return dataclasses.replace(
            base, actor=caller(session, self.coords.region), platform=self.config, cache_dir=self.cache_dir
        )

    def tickets(self) -> list[dict]:
        sqs = self.admin.client("sqs")
        out: list[Any] = []
        while True:
            got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = got.get("Messages", [])
            if not messages:
                return out
            for m in messages:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])


def provision(cache_dir: Path, config_path: Path = CONFIG) -> MotoHub:
    """Create the hub (inside an active moto mock or against AWS_ENDPOINT_URL)."""
    config = load_config(config_path)
    coords = AwsHubCoordinates.from_config(config)
    admin = session_in(coords.account, "OrganizationAccountAccessRole", "platform-deploy", coords.region)
    s3 = admin.client("s3")
    location = {"CreateBucketConfiguration": {"LocationConstraint": coords.region}}
    s3.create_bucket(Bucket=coords.audit_bucket, ObjectLockEnabledForBucket=True, **location)
    s3.put_object_lock_configuration(
        Bucket=coords.audit_bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}},
        },
    )
    s3.create_bucket(Bucket=coords.checkpoint_bucket, ObjectLockEnabledForBucket=True, **location)
    kms = admin.client("kms")
    signing = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=names.SIGNING_KEY_ALIAS, TargetKeyId=signing)
    s3.create_bucket(Bucket=coords.artifact_bucket, **location)
    s3.put_bucket_versioning(Bucket=coords.artifact_bucket, VersioningConfiguration={"Status": "Enabled"})
    sm = admin.client("sagemaker")
    for team in config.teams_on("aws"):
        for use_case in team.use_cases:
            sm.create_model_package_group(
                ModelPackageGroupName=names.model_package_group_name(team.name, use_case.name),
                Tags=[{"Key": "risk-tier", "Value": use_case.risk_tier}],
            )
    iam = admin.client("iam")
    for role in (*HUB_ROLES, *(names.team_submitter_role(t.name) for t in config.teams_on("aws"))):
        iam.create_role(RoleName=role, Path=names.ROLE_PATH, AssumeRolePolicyDocument=TRUST)
    events, sqs = admin.client("events"), admin.client("sqs")
    events.create_event_bus(Name=coords.event_bus)
    queue_url = sqs.create_queue(QueueName=coords.ticket_queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="govhub-gate-decision-failed",
        EventBusName=coords.event_bus,
        EventPattern=json.dumps(names.TICKET_EVENT_PATTERN),
    )
    events.put_targets(
        Rule="govhub-gate-decision-failed", EventBusName=coords.event_bus, Targets=[{"Id": "tickets", "Arn": queue_arn}]
    )
    return MotoHub(config=config, coords=coords, admin=admin, queue_url=queue_url, cache_dir=cache_dir)


def offline_aws(monkeypatch: Any) -> None:
    """Test credentials and no endpoint or profile from the machine: boto3 reaches only moto."""
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")


@contextlib.contextmanager
def moto_hub(tmp_path: Path, monkeypatch: Any, tiers: Sequence[str]) -> Iterator[MotoHub]:
    """The hub in an in-process moto, with the packs of ``tiers`` published by the platform CI."""
    from moto import mock_aws

    from govhub.core.policy import PACKS_DIR
    from govhub.core.workflow import publish_policy

    offline_aws(monkeypatch)
    with mock_aws():
        h = provision(tmp_path / "policy-cache")
        for tier in tiers:
            publish_policy(h.as_hub(names.HUB_CI_DEPLOYER_ROLE, "platform-ci"), PACKS_DIR / f"{tier}.yaml")
        yield h
