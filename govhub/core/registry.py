"""The hub's model registry behind a small backend interface.

The workflow (``govhub.core.workflow``) only needs to register a version with metadata, read it back, update
its approval status and metadata, and list a group's versions. The AWS backend is the SageMaker Model
Registry in the hub account (one model package group per team and use case, created by the hub
stack). Azure ML registries, Vertex Model Registry and MLflow fit the same four calls.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"


class RegistryError(RuntimeError):
    """A registry call failed; the message names the model version and what to do."""


class UnknownVersion(RegistryError):
    @classmethod
    def of(cls, group: str, version: int) -> UnknownVersion:
        """The one message every backend gives for a version the hub registry does not hold."""
        return cls(
            f"model version {group}/{version} is not in the hub registry; `govhub status {group}` lists its versions"
        )


@dataclass(frozen=True)
class ModelVersion:
    group: str
    version: int
    arn: str
    status: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    created: str = ""

    @property
    def ref(self) -> str:
        return f"{self.group}/{self.version}"


def parse_ref(ref: str) -> tuple[str, int]:
    """``group/version`` (e.g. ``fraud-credit-scoring/3``)."""
    group, _, version = ref.rpartition("/")
    if not group or not version.isdigit():
        raise UnknownVersion(
            f"{ref!r} is not a model version; write GROUP/VERSION, e.g. fraud-credit-scoring/3 "
            "(`govhub status GROUP` lists the versions)"
        )
    return group, int(version)


class RegistryBackend(ABC):
    name: str

    @abstractmethod
    def register(
        self,
        group: str,
        *,
        description: str,
        metadata: Mapping[str, str],
        artifacts: Mapping[str, str],
        lineage: Mapping[str, str],
    ) -> ModelVersion: ...

    @abstractmethod
    def get(self, group: str, version: int) -> ModelVersion: ...

    @abstractmethod
    def update(
        self,
        mv: ModelVersion,
        *,
        status: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ModelVersion: ...

    @abstractmethod
    def versions(self, group: str) -> list[ModelVersion]: ...
