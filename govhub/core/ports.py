"""The ports the workflow runs over: who is calling, and the hub's services.

Each cloud implements them in :mod:`govhub.backends` (on AWS: the SageMaker registry, S3, EventBridge,
SageMaker model cards, STS). The core depends only on these types, never on a cloud SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from govhub.core.audit import AuditLog
from govhub.core.checkpoint import Signer
from govhub.core.registry import RegistryBackend
from govhub.core.store import ObjectStore

if TYPE_CHECKING:
    from govhub.config import PlatformConfig


@dataclass(frozen=True)
class Actor:
    """Who is calling, as the hub sees it: the principal's id, its account, its role and the person."""

    arn: str
    account: str
    role: str
    name: str

    @classmethod
    def from_arn(cls, arn: str) -> Actor:
        """From an AWS principal ARN: ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`` or
        ``arn:aws:iam::ACCOUNT:user/NAME``."""
        parts = arn.split(":", 5)
        account = parts[4] if len(parts) > 4 else ""
        resource = parts[5] if len(parts) > 5 else arn
        kind, _, rest = resource.partition("/")
        if kind == "assumed-role":
            role, _, session = rest.partition("/")
            return cls(arn=arn, account=account, role=role, name=session)
        return cls(arn=arn, account=account, role="", name=rest.rsplit("/", 1)[-1] or arn)

    def __str__(self) -> str:
        return f"{self.name} (role {self.role or 'none'} in account {self.account})"


class EventPublisher(Protocol):
    """The governance bus: publishes one event and returns its id."""

    def publish(self, detail_type: str, detail: dict[str, Any]) -> str: ...


class ModelCards(Protocol):
    """The registry's own model-card store (SageMaker model cards on AWS)."""

    def upsert(self, name: str, content: str, status: str = "Draft") -> str: ...


@dataclass
class Services:
    """Everything a workflow step needs from one hub: its stores under the hub service's credentials, the
    platform config the service was deployed with, and the caller as authentication identified them."""

    account: str
    registry: RegistryBackend
    artifacts: ObjectStore
    audit: AuditLog
    events: EventPublisher
    actor: Actor
    cards: ModelCards | None = None
    platform: PlatformConfig | None = None
    signer: Signer | None = None
    """The hub key: signs checkpoints and attestations in the service; readers use its public key only."""
    checkpoints: ObjectStore | None = None
    """Where the signed checkpoints are: a second object-locked store that only the service writes."""
    cache_dir: Path = field(default_factory=lambda: Path(".cache") / "govhub" / "policies")
