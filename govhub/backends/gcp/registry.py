"""The hub registry on Vertex AI Model Registry, in the hub project.

One Vertex model per team and use case (the group, also its model id); each registration uploads a new
version with ``Model.upload(parent_model=…)``, and each stage a version reaches is a version alias of that
name (``dev``, ``staging``, ``prod``; an alias is unique within a model, so it moves to the newest version
promoted there, and ``default`` follows ``prod``).

What the model needs: Vertex takes a version with a serving container or as an artifact-only reference.
The project template trains scikit-learn models saved as ``model.pkl``, so the hub registers each
version with Vertex's prebuilt scikit-learn serving container and the model's folder as its
``artifact_uri`` (the folder of the submitted ``gs://`` model when there is one, else the folder of the
version's records in the hub bucket).

Where the metadata is: labels hold at most 64 entries of 63 lower-case characters, too little for
digests, policy names and people. So the full metadata go to a **sidecar** JSON object in the hub's
artifact bucket named by its own sha256 (``registry/vertex/<group>/<sha256>.json``, create-only), and the
version carries that digest as the label ``govhub-meta`` (base32, 52 characters) next to readable
mirrors (``govhub-stage``, ``govhub-status``, ``govhub-team``). Reading a version fetches its sidecar and
checks the digest; a version without one was not registered by the hub, and is refused. Only the hub
service writes the hub bucket; the workflow derives stage and status from its audit chain, never from
labels, aliases or sidecars.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from govhub.core.registry import PENDING, ModelVersion, RegistryBackend, RegistryError, UnknownVersion
from govhub.core.store import Conflict, Missing, ObjectStore

SKLEARN_IMAGE = "europe-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-5:latest"
"""Vertex's prebuilt scikit-learn serving container (the template's models are scikit-learn pickles)."""
META_LABEL = "govhub-meta"
SIDECARS = "registry/vertex/"
STAGE_KEY, STATUS_KEY = "govhub:stage", "govhub:status"


def label_value(value: str) -> str:
    """A label value: lower-case letters, digits, ``_`` and ``-``, at most 63 characters."""
    return re.sub(r"[^a-z0-9_-]", "-", value.lower())[:63]


def digest_label(sha256_hex: str) -> str:
    """A sha256 as a label value: base32 in lower case without padding (52 characters)."""
    return base64.b32encode(bytes.fromhex(sha256_hex)).decode().rstrip("=").lower()


def digest_of_label(label: str) -> str:
    padded = label.upper() + "=" * (-len(label) % 8)
    return base64.b32decode(padded).hex()


class VertexRegistry(RegistryBackend):
    """Vertex AI Model Registry through google-cloud-aiplatform; sidecars in the hub's artifact store."""

    name = "vertex"

    def __init__(
        self,
        *,
        project: str,
        location: str,
        sidecars: ObjectStore,
        credentials: Any = None,
        api_endpoint: str | None = None,
        serving_image: str = SKLEARN_IMAGE,
    ):
        from google.cloud import aiplatform

        self.project, self.location, self.sidecars = project, location, sidecars
        self.credentials, self.serving_image = credentials, serving_image
        aiplatform.init(
            project=project, location=location, credentials=credentials, api_endpoint=api_endpoint,
            api_transport="rest",
        )  # fmt: skip
        self.parent = f"projects/{project}/locations/{location}"

    def _where(self) -> dict[str, Any]:
        return {"project": self.project, "location": self.location, "credentials": self.credentials}

    def _call(self, what: str, fn, *args, **kwargs) -> Any:
        from google.api_core import exceptions as gexc

        try:
            return fn(*args, **kwargs)
        except gexc.NotFound as exc:
            raise UnknownVersion(f"{what}: {exc.message}") from None
        except gexc.AlreadyExists:
            raise _Exists() from None
        except (gexc.PermissionDenied, gexc.Unauthenticated):
            raise RegistryError(
                f"{what} was denied by Vertex AI in project {self.project}; only the hub service account holds "
                "roles/aiplatform.user on the hub project (deploy hub-gcp)"
            ) from None
        except gexc.GoogleAPIError as exc:
            raise RegistryError(f"{what} failed: {exc}") from None

    # ------------------------------------------------------------------ sidecars

    def _write_sidecar(self, group: str, doc: dict[str, Any]) -> str:
        data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        digest = hashlib.sha256(data).hexdigest()
        key = f"{SIDECARS}{group}/{digest}.json"
        try:
            self.sidecars.put(key, data, if_absent=True)
        except Conflict:
            pass  # the same content under its own digest: already there (checked on every read)
        return digest

    def _read_sidecar(self, group: str, version: str, labels: Mapping[str, str]) -> dict[str, Any]:
        ref = f"{group}/{version}"
        label = labels.get(META_LABEL, "")
        try:
            digest = digest_of_label(label)
            data = self.sidecars.get(f"{SIDECARS}{group}/{digest}.json")
        except (ValueError, Missing):
            raise RegistryError(
                f"{ref} has no hub metadata (label {META_LABEL} {label!r} names no sidecar in "
                f"{self.sidecars.uri_of(SIDECARS)}): it was not registered by the hub service; tell the platform team"
            ) from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise RegistryError(f"the metadata sidecar of {ref} does not match its digest: tell the platform team")
        return json.loads(data)

    # ------------------------------------------------------------------ the four calls

    def _model_name(self, group: str) -> str:
        return f"{self.parent}/models/{group}"

    def _labels(self, doc: Mapping[str, Any], digest: str) -> dict[str, str]:
        meta = doc["metadata"]
        labels = {"govhub-managed": "true", META_LABEL: digest_label(digest)}
        labels["govhub-status"] = label_value(doc["status"])
        for key in ("stage", "team", "risk-tier", "decision"):
            if meta.get(f"govhub:{key}"):
                labels[f"govhub-{key}"] = label_value(meta[f"govhub:{key}"])
        return labels

    def register(
        self,
        group: str,
        *,
        description: str,
        metadata: Mapping[str, str],
        artifacts: Mapping[str, str],
        lineage: Mapping[str, str],
    ) -> ModelVersion:
        from google.cloud import aiplatform

        doc = {
            "group": group,
            "metadata": dict(metadata),
            "status": PENDING,
            "artifacts": dict(artifacts),
            "lineage": dict(lineage),
        }
        digest = self._write_sidecar(group, doc)
        source = artifacts.get("model") or artifacts["evidence"]
        if not source.startswith("gs://"):
            raise RegistryError(
                f"Vertex AI takes a version's files from gs://, not from {source}: the GCP hub keeps its artifacts in "
                "its bucket (the hub-gcp stack)"
            )
        kwargs = dict(
            serving_container_image_uri=self.serving_image,
            artifact_uri=source.rsplit("/", 1)[0],
            display_name=group,
            description=description[:2000],
            version_description=description[:2000],
            labels=self._labels(doc, digest),
            sync=True,
            **self._where(),
        )
        try:
            model = self._call(
                f"registering a version of {group}",
                aiplatform.Model.upload,
                parent_model=self._model_name(group),
                is_default_version=False,
                **kwargs,
            )
        except UnknownVersion:  # the group's first version creates the model
            try:
                model = self._call(f"creating the model {group}", aiplatform.Model.upload, model_id=group, **kwargs)
            except _Exists:  # another registration created it first
                model = self._call(
                    f"registering a version of {group}",
                    aiplatform.Model.upload,
                    parent_model=self._model_name(group),
                    is_default_version=False,
                    **kwargs,
                )
        return self._version(group, model.gca_resource)

    def _version(self, group: str, resource: Any) -> ModelVersion:
        labels = dict(resource.labels)
        doc = self._read_sidecar(group, resource.version_id, labels)
        return ModelVersion(
            group=group,
            version=int(resource.version_id),
            arn=f"{resource.name}@{resource.version_id}",
            status=doc.get("status", PENDING),
            metadata=dict(doc.get("metadata", {})),
            description=resource.version_description or resource.description or "",
            created=str(resource.version_create_time or ""),
        )

    def _resource(self, group: str, version: int) -> Any:
        from google.cloud import aiplatform

        try:
            model = self._call(
                f"reading {group}/{version}",
                aiplatform.Model,
                model_name=self._model_name(group),
                version=str(version),
                **self._where(),
            )
        except UnknownVersion:
            raise UnknownVersion.of(group, version) from None
        return model

    def get(self, group: str, version: int) -> ModelVersion:
        return self._version(group, self._resource(group, version).gca_resource)

    def update(
        self,
        mv: ModelVersion,
        *,
        status: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        from google.cloud import aiplatform
        from google.protobuf import field_mask_pb2

        model = self._resource(mv.group, mv.version)
        current = model.gca_resource
        doc = self._read_sidecar(mv.group, current.version_id, dict(current.labels))
        doc["metadata"] = {**doc["metadata"], **(metadata or {})}
        if status:
            doc["status"] = status
        digest = self._write_sidecar(mv.group, doc)
        patch = type(current)(name=f"{current.name}@{current.version_id}", labels=self._labels(doc, digest))
        paths = ["labels"]
        if description:
            patch.version_description = description[:2000]
            paths.append("version_description")
        self._call(
            f"labelling {mv.ref}",
            model.api_client.update_model,
            model=patch,
            update_mask=field_mask_pb2.FieldMask(paths=paths),
        )
        stage = (metadata or {}).get(STAGE_KEY)
        if stage and stage != "registered":
            registry = aiplatform.models.ModelRegistry(self._model_name(mv.group), **self._where())
            aliases = [stage, "default"] if stage == "prod" else [stage]
            self._call(f"pointing alias {stage} at {mv.ref}", registry.add_version_aliases, aliases, current.version_id)
        return self.get(mv.group, mv.version)

    def versions(self, group: str) -> list[ModelVersion]:
        from google.cloud import aiplatform

        registry = aiplatform.models.ModelRegistry(self._model_name(group), **self._where())
        pages = self._call(
            f"listing {group}", lambda: list(registry.client.list_model_versions(name=self._model_name(group)))
        )
        return sorted((self._version(group, r) for r in pages), key=lambda v: v.version)

    def aliases(self, group: str) -> dict[str, int]:
        """The stage aliases of ``group`` (alias → version), as the Vertex console shows them."""
        from google.cloud import aiplatform

        registry = aiplatform.models.ModelRegistry(self._model_name(group), **self._where())
        found = self._call(f"listing {group}", registry.list_versions)
        return {alias: int(v.version_id) for v in found for alias in v.version_aliases}


class _Exists(Exception):
    """ALREADY_EXISTS."""
