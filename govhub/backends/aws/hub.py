"""The AWS side of the workflow: where the hub's records live, who is calling, and the clients.

Coordinates come from the platform config and the same naming functions the hub stack uses, so a
data scientist never types a bucket or queue name. Calls into the hub run as a hub role: a team's
CI assumes ``govhub-submit-<team>``, people assume ``govhub-approver``, ``govhub-auditor`` or
``govhub-platform-admin`` (the session name is the person, e.g. their e-mail). Endpoints follow
boto3's own settings (``AWS_ENDPOINT_URL`` points every client at an emulator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govhub.backends.aws import names
from govhub.core import events
from govhub.core.ports import Actor, Services


class AccessError(RuntimeError):
    """The caller could not act as the role a command needs; the message says how to get it."""


@dataclass(frozen=True)
class AwsHubCoordinates:
    account: str
    region: str
    audit_bucket: str
    artifact_bucket: str
    event_bus: str
    ticket_queue: str
    retention_days: int
    checkpoint_bucket: str = ""
    signing_key: str = ""
    registry: str = "sagemaker"
    """hubs.aws.registry: the SageMaker Model Registry in the hub account, or an MLflow tracking server."""
    mlflow_tracking_uri: str = ""

    @classmethod
    def from_config(cls, config: Any) -> AwsHubCoordinates:
        hub = config.hubs.aws
        if hub is None:
            raise AccessError("the platform config has no AWS hub (hubs.aws); the registry workflow needs one")
        account, region = hub.governance_account_id, hub.region
        return cls(
            account=account,
            region=region,
            audit_bucket=names.audit_bucket_name(account, region),
            artifact_bucket=names.artifact_bucket_name(account, region),
            event_bus=names.EVENT_BUS,
            ticket_queue=names.TICKET_QUEUE,
            retention_days=config.guardrails.audit_retention_days,
            checkpoint_bucket=names.checkpoint_bucket_name(account, region),
            signing_key=names.signing_key_arn(account, region),
            registry=hub.registry,
            mlflow_tracking_uri=hub.mlflow.tracking_uri if hub.mlflow else "",
        )

    def role_arn(self, role: str) -> str:
        return names.role_arn(self.account, role)


def assumed_session(
    base: Any,
    role_arn: str,
    session_name: str,
    region: str | None = None,
    source_identity: str | None = None,
    **client_kwargs: Any,
) -> Any:
    """A boto3 session with the temporary credentials of ``role_arn`` (the one assume-role helper).
    ``source_identity`` is passed on (the human roles require it, equal to the session name)."""
    import boto3

    extra = {"SourceIdentity": source_identity} if source_identity else {}
    creds = base.client("sts", region_name=region, **client_kwargs).assume_role(
        RoleArn=role_arn, RoleSessionName=session_name[:64], **extra
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


HUMAN_ROLES = (names.HUB_APPROVER_ROLE, names.HUB_AUDITOR_ROLE, names.HUB_PLATFORM_ADMIN_ROLE)


def assume(base: Any, coords: AwsHubCoordinates, role: str, person: str) -> Any:
    """A boto3 session acting as ``role`` in the hub account, with ``person`` as the session name (and,
    for the human roles, as the source identity their trust policies require to match it)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        identity = person if role in HUMAN_ROLES else None
        return assumed_session(base, coords.role_arn(role), person, coords.region, source_identity=identity)
    except (ClientError, BotoCoreError) as exc:
        raise AccessError(
            f"cannot assume {coords.role_arn(role)} as {person!r} ({exc}); ask the platform team for "
            f"the {role} role, or sign in with credentials that may assume it"
        ) from None


def caller(session: Any, region: str) -> Actor:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return Actor.from_arn(session.client("sts", region_name=region).get_caller_identity()["Arn"])
    except NoCredentialsError:
        raise AccessError("no AWS credentials: sign in (aws sso login, or AWS_PROFILE) and retry") from None
    except (ClientError, BotoCoreError) as exc:
        raise AccessError(f"cannot tell who is calling ({exc}); check your AWS credentials") from None


class EventBridgePublisher:
    """The hub's EventBridge bus; each event's ``Detail`` is the CloudEvents envelope (:mod:`govhub.core.events`)."""

    def __init__(self, client: Any, bus: str, account: str = ""):
        self.client, self.bus = client, bus
        self.source = events.source_of("aws", account or "unknown")

    def publish(self, detail_type: str, detail: dict[str, Any]) -> str:
        body = events.envelope(detail_type, detail, source=self.source)
        response = self.client.put_events(
            Entries=[
                {
                    "Source": names.GATE_DECISION_SOURCE,
                    "DetailType": detail_type,
                    "EventBusName": self.bus,
                    "Detail": body.decode(),
                }
            ]
        )
        entry = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise RuntimeError(
                f"the governance bus {self.bus} refused the event: {entry.get('ErrorCode')} "
                f"{entry.get('ErrorMessage', '')}"
            )
        return entry["EventId"]


class SageMakerCards:
    """Model cards in the hub through the SageMaker API (create once, then new versions)."""

    def __init__(self, client: Any):
        self.client = client

    def upsert(self, name: str, content: str, status: str = "Draft") -> str:
        from botocore.exceptions import ClientError

        try:
            return self.client.create_model_card(ModelCardName=name, Content=content, ModelCardStatus=status)[
                "ModelCardArn"
            ]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("ConflictException", "ResourceInUse"):
                raise
        return self.client.update_model_card(ModelCardName=name, Content=content, ModelCardStatus=status)[
            "ModelCardArn"
        ]

    def read(self, name: str) -> dict[str, Any]:
        return self.client.describe_model_card(ModelCardName=name)


def services(session: Any, coords: AwsHubCoordinates) -> Services:
    """The workflow's services backed by the hub account, for a session that acts as a hub role."""
    from govhub.backends.aws.registry import SageMakerRegistry
    from govhub.backends.aws.signing import KmsSigner
    from govhub.backends.aws.store import S3Store
    from govhub.core.audit import AuditLog

    if coords.registry == "mlflow":
        from govhub.backends.mlflow.registry import MlflowRegistry

        registry: Any = MlflowRegistry(tracking_uri=coords.mlflow_tracking_uri)
        cards = None  # the model card stays in the artifact store, next to the version's other records
    else:
        registry = SageMakerRegistry(session.client("sagemaker", region_name=coords.region))
        cards = SageMakerCards(session.client("sagemaker", region_name=coords.region))
    return Services(
        account=coords.account,
        registry=registry,
        artifacts=S3Store(session.client("s3", region_name=coords.region), coords.artifact_bucket),
        audit=AuditLog(
            S3Store(session.client("s3", region_name=coords.region), coords.audit_bucket),
            retention_days=coords.retention_days,
        ),
        events=EventBridgePublisher(
            session.client("events", region_name=coords.region), coords.event_bus, coords.account
        ),
        cards=cards,
        actor=caller(session, coords.region),
        signer=KmsSigner(session.client("kms", region_name=coords.region), coords.signing_key)
        if coords.signing_key
        else None,
        checkpoints=S3Store(session.client("s3", region_name=coords.region), coords.checkpoint_bucket)
        if coords.checkpoint_bucket
        else None,
    )
