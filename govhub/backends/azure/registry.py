"""The hub registry on Azure ML: the hub's *governed* registry, through ``MLClient(registry_name=…)``.

One model per team and use case (the group). Versions in an Azure ML registry are strings that the
caller chooses, so the hub takes the next integer after the highest existing one and, when another
writer took that number first (a 409, or a version that comes back without this registration's id),
tries the next, a few times.

What goes where:
- the metadata the hub registers (team, tier, digests of decision, evidence, card and model, policy,
  author, submitter, lineage) are the version's **properties**, which the registry never lets anyone
  change after creation, plus ``govhub:registration`` (a random id that tells this registration from a
  racing one);
- what changes later (``govhub:stage``, ``govhub:status``, rejections, the monitoring plan) are
  **tags**. A tag never overrides a property of the same name, and changing an immutable key is refused.

Only the hub service's identity holds AzureML Registry User on the governed registry (the hub-azure
stack: teams write the *candidates* registry), and the workflow derives stage and status from its
audit chain, never from these tags: they are a mirror for people and tools.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from govhub.core.registry import PENDING, ModelVersion, RegistryBackend, RegistryError, UnknownVersion

STATUS_TAG = "govhub:status"
REGISTRATION = "govhub:registration"
MUTABLE = frozenset({"govhub:stage", STATUS_TAG})
"""Registered metadata that changes after registration, so it lives in tags from the start."""
ATTEMPTS = 8


def registry_name(registry_id: str) -> str:
    """The registry's name from its ARM id (``…/providers/Microsoft.MachineLearningServices/registries/NAME``)."""
    return registry_id.rstrip("/").rsplit("/", 1)[-1]


class AzureMlRegistry(RegistryBackend):
    """An Azure ML registry through azure-ai-ml's ``MLClient``; ``client`` is one made with ``registry_name``."""

    name = "azureml"

    def __init__(self, client: Any = None, *, registry: str = "", credential: Any = None, **client_kwargs: Any):
        if client is None:
            from azure.ai.ml import MLClient

            if credential is None:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential()
            client = MLClient(credential, registry_name=registry, **client_kwargs)
        self.client = client
        scope = getattr(client, "_operation_scope", None)
        self.registry = registry or str(getattr(scope, "registry_name", "") or "")

    def _call(self, what: str, fn, *args, **kwargs) -> Any:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceExistsError,
            ResourceNotFoundError,
            ServiceRequestError,
        )

        try:
            return fn(*args, **kwargs)
        except ResourceNotFoundError as exc:
            raise UnknownVersion(f"{what}: {_first_line(exc)}") from None
        except ResourceExistsError:
            raise _Taken() from None
        except ClientAuthenticationError:
            raise RegistryError(
                f"{what}: the hub service could not sign in to Azure; its managed identity (AZURE_CLIENT_ID) must "
                "be assigned to the Function App"
            ) from None
        except ServiceRequestError as exc:
            raise RegistryError(f"{what}: the Azure ML registry {self.registry} does not answer ({exc})") from None
        except HttpResponseError as exc:
            if exc.status_code == 409:
                raise _Taken() from None
            if exc.status_code in (401, 403):
                raise RegistryError(
                    f"{what} was denied by the Azure ML registry {self.registry}; only the hub service's identity "
                    "holds AzureML Registry User on the governed registry (deploy hub-azure)"
                ) from None
            raise RegistryError(f"{what} failed: {exc.status_code} {_first_line(exc)}") from None

    def register(
        self,
        group: str,
        *,
        description: str,
        metadata: Mapping[str, str],
        artifacts: Mapping[str, str],
        lineage: Mapping[str, str],
    ) -> ModelVersion:
        from azure.ai.ml.entities import Model

        nonce = uuid.uuid4().hex
        properties = {k: v for k, v in metadata.items() if k not in MUTABLE}
        properties |= {f"govhub:artifact:{k}": uri for k, uri in artifacts.items()}
        properties[REGISTRATION] = nonce
        tags = {k: v for k, v in metadata.items() if k in MUTABLE} | {STATUS_TAG: PENDING}
        path = artifacts.get("model") or artifacts["evidence"]
        if "://" not in path or path.startswith("file:"):
            raise RegistryError(
                f"the Azure ML registry copies a version's files from a URL (https:// on Azure Blob, azureml://), "
                f"not from {path}: the Azure hub keeps its artifacts on Azure Blob (the hub-azure stack's store)"
            )
        version = self._highest(group) + 1
        for _ in range(ATTEMPTS):
            model = Model(
                name=group, version=str(version), path=path, type="custom_model", description=description[:5000],
                properties=properties, tags=tags,
            )  # fmt: skip
            try:
                created = self._call(f"registering {group}/{version}", self.client.models.create_or_update, model)
            except _Taken:
                version = max(version + 1, self._highest(group) + 1)
                continue
            if (created.properties or {}).get(REGISTRATION) == nonce:
                return self._version(created)
            version += 1  # the version is another writer's: the registry kept its immutable properties
        raise RegistryError(
            f"could not register a version of {group} in the Azure ML registry {self.registry}: {ATTEMPTS} version "
            "numbers in a row were taken by other writers; retry, and tell the platform team if it persists"
        )

    def _highest(self, group: str) -> int:
        try:
            return max((v.version for v in self.versions(group)), default=0)
        except UnknownVersion:
            return 0

    def _version(self, model: Any) -> ModelVersion:
        properties, tags = dict(model.properties or {}), dict(model.tags or {})
        metadata = {k: v for k, v in tags.items() if k.startswith("govhub:") and k not in properties}
        metadata |= {k: v for k, v in properties.items() if k.startswith("govhub:")}
        status = metadata.pop(STATUS_TAG, PENDING)
        metadata.pop(REGISTRATION, None)
        created = getattr(getattr(model, "creation_context", None), "created_at", None)
        return ModelVersion(
            group=model.name,
            version=int(model.version),
            arn=f"azureml://registries/{self.registry}/models/{model.name}/versions/{model.version}",
            status=status,
            metadata=metadata,
            description=model.description or "",
            created=str(created or ""),
        )

    def _model(self, group: str, version: int) -> Any:
        try:
            return self._call(f"reading {group}/{version}", self.client.models.get, group, str(version))
        except UnknownVersion:
            raise UnknownVersion.of(group, version) from None

    def get(self, group: str, version: int) -> ModelVersion:
        return self._version(self._model(group, version))

    def update(
        self,
        mv: ModelVersion,
        *,
        status: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        from azure.ai.ml.entities import Model

        current = self._model(mv.group, mv.version)
        properties, tags = dict(current.properties or {}), dict(current.tags or {})
        for key, value in (metadata or {}).items():
            if key in properties:
                if properties[key] != value:
                    raise RegistryError(
                        f"{mv.ref}: {key} is an immutable property of the registered version ({properties[key]!r}); "
                        "register a new version instead"
                    )
                continue
            tags[key] = value
        if status:
            tags[STATUS_TAG] = status
        model = Model(
            name=current.name, version=current.version, path=current.path, type=current.type,
            description=(description or current.description or "")[:5000], properties=properties, tags=tags,
        )  # fmt: skip
        try:
            updated = self._call(f"updating {mv.ref}", self.client.models.create_or_update, model)
        except _Taken:
            raise RegistryError(
                f"updating {mv.ref}: the Azure ML registry refused to change the version's tags (409); its immutable "
                "properties differ from what the hub registered: tell the platform team"
            ) from None
        return self._version(updated)

    def versions(self, group: str) -> list[ModelVersion]:
        found = self._call(f"listing {group}", lambda: list(self.client.models.list(name=group)))
        return sorted((self._version(m) for m in found if str(m.version).isdigit()), key=lambda v: v.version)


class _Taken(Exception):
    """The version number is taken (409)."""


def _first_line(exc: Exception) -> str:
    return (str(getattr(exc, "message", "") or exc).strip().splitlines() or [""])[0]
