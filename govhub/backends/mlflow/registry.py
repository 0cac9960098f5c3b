"""The hub registry on MLflow: registered models, versions, tags and aliases on any tracking server.

One registered model per team and use case (the group), created by the hub service on its first
version. A version's govhub metadata are model-version tags (``govhub:…``), its approval status is the
``govhub:status`` tag, and each stage a version reaches is a registered-model alias of that name
(``dev``, ``staging``, ``prod``: the alias moves to the newest version promoted there, as a
``champion`` alias does), never the deprecated stage transitions. Tags and aliases are a mirror for
people and tools: the workflow derives stage and status from the hub's audit chain, not from them.

Works with any server that speaks the MLflow REST API (``mlflow server``, Databricks, Azure ML
workspaces); the client comes from ``mlflow-skinny``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govhub.core.registry import PENDING, ModelVersion, RegistryBackend, RegistryError, UnknownVersion

STATUS_TAG = "govhub:status"
STAGE_TAG = "govhub:stage"
EXPERIMENT = "govhub-hub-submissions"
LINEAGE_TAGS = {"code_commit": "mlflow.source.git.commit", "repository": "mlflow.source.git.repoURL"}


STORAGE_SCHEMES = (
    "s3://",
    "gs://",
    "wasbs://",
    "abfss://",
    "dbfs:",
    "hdfs://",
    "runs:/",
    "models:/",
    "mlflow-artifacts:",
)


def mlflow_source(uri: str) -> str | None:
    """The version's ``source`` as MLflow's artifact repositories spell it, or None when MLflow cannot
    address it: a local path, or an http(s) URL that is not Azure Blob (the server refuses host-addressed
    http sources). An Azure Blob URL becomes ``wasbs://CONTAINER@ACCOUNT.blob.core.windows.net/PATH``."""
    if uri.startswith(STORAGE_SCHEMES):
        return uri
    host, _, rest = uri.removeprefix("https://").partition("/")
    if uri.startswith("https://") and host.endswith(".blob.core.windows.net") and "/" in rest:
        container, _, path = rest.partition("/")
        return f"wasbs://{container}@{host}/{path}"
    return None


class MlflowRegistry(RegistryBackend):
    """MLflow Model Registry through ``mlflow.MlflowClient`` (``tracking_uri``: the server's address)."""

    name = "mlflow"

    def __init__(self, client: Any = None, tracking_uri: str | None = None):
        if client is None:
            from mlflow import MlflowClient

            client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self.client = client
        self.uri = tracking_uri or str(getattr(client, "_registry_uri", "") or "")

    def _call(self, what: str, fn, *args, **kwargs) -> Any:
        from mlflow.exceptions import MlflowException

        try:
            return fn(*args, **kwargs)
        except MlflowException as exc:
            code = getattr(exc, "error_code", "")
            message = str(getattr(exc, "message", exc)).splitlines()[0]
            if code == "RESOURCE_DOES_NOT_EXIST":
                raise UnknownVersion(f"{what}: {message}") from None
            if code in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
                raise RegistryError(
                    f"{what} was denied by the MLflow server {self.uri}; the hub service's token must be able "
                    "to manage the registered models"
                ) from None
            if "Max retries exceeded" in message or "Connection refused" in message or "API request to" in message:
                raise RegistryError(
                    f"{what}: the MLflow server {self.uri} does not answer; start it or set the hub's "
                    "registry tracking_uri in platform.yaml"
                ) from None
            raise RegistryError(f"{what} failed: {code} {message}".strip()) from None

    def _ensure_model(self, group: str) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.create_registered_model(group, tags={"govhub:managed": "true"})
        except MlflowException as exc:
            if getattr(exc, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                self._call(f"creating registered model {group}", _raise, exc)

    def register(
        self,
        group: str,
        *,
        description: str,
        metadata: Mapping[str, str],
        artifacts: Mapping[str, str],
        lineage: Mapping[str, str],
    ) -> ModelVersion:
        self._ensure_model(group)
        tags = {**dict(metadata), STATUS_TAG: PENDING}
        tags |= {tag: lineage[k] for k, tag in LINEAGE_TAGS.items() if lineage.get(k)}
        tags |= {f"govhub:artifact:{k}": uri for k, uri in artifacts.items()}
        source, run_id = mlflow_source(artifacts.get("model") or artifacts["evidence"]), None
        if source is None:
            # a folder-backed hub (or a store MLflow cannot address): MLflow takes such a source only inside
            # a run's artifacts, so the version is logged under a run of the hub's experiment that records
            # where the documents are (the govhub:artifact:* tags)
            run = self._call(
                f"recording the submission of {group}", self.client.create_run, self._experiment(), tags=tags
            )
            source, run_id = run.info.artifact_uri, run.info.run_id
            self._call(f"closing the submission run of {group}", self.client.set_terminated, run_id)
        mv = self._call(
            f"registering a version of {group}",
            self.client.create_model_version,
            name=group,
            source=source,
            run_id=run_id,
            tags=tags,
            description=description[:5000],
        )
        return self._version(mv)

    def _experiment(self) -> str:
        found = self._call("reading the hub experiment", self.client.get_experiment_by_name, EXPERIMENT)
        if found is not None:
            return found.experiment_id
        return self._call("creating the hub experiment", self.client.create_experiment, EXPERIMENT)

    def _version(self, mv: Any) -> ModelVersion:
        tags = dict(mv.tags or {})
        return ModelVersion(
            group=mv.name,
            version=int(mv.version),
            arn=f"models:/{mv.name}/{mv.version}",
            status=tags.get(STATUS_TAG, PENDING),
            metadata={k: v for k, v in tags.items() if k.startswith("govhub:") and k != STATUS_TAG},
            description=mv.description or "",
            created=str(mv.creation_timestamp or ""),
        )

    def get(self, group: str, version: int) -> ModelVersion:
        try:
            mv = self._call(f"reading {group}/{version}", self.client.get_model_version, group, str(version))
        except UnknownVersion:
            raise UnknownVersion.of(group, version) from None
        return self._version(mv)

    def update(
        self,
        mv: ModelVersion,
        *,
        status: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        changes = dict(metadata or {})
        if status and status != mv.status:
            changes[STATUS_TAG] = status
        for key, value in changes.items():
            if mv.metadata.get(key) != value or key == STATUS_TAG:
                self._call(
                    f"tagging {mv.ref}", self.client.set_model_version_tag, mv.group, str(mv.version), key, value
                )
        if description:
            self._call(
                f"updating {mv.ref}",
                self.client.update_model_version,
                mv.group,
                str(mv.version),
                description=description[:5000],
            )
        stage = changes.get(STAGE_TAG)
        if stage and stage != "registered":
            self._call(
                f"pointing alias {stage} at {mv.ref}",
                self.client.set_registered_model_alias,
                mv.group,
                stage,
                str(mv.version),
            )
        return self.get(mv.group, mv.version)

    def versions(self, group: str) -> list[ModelVersion]:
        quoted = group.replace("\\", "\\\\").replace("'", "\\'")
        found: list[ModelVersion] = []
        token: str | None = None
        while True:
            page = self._call(
                f"listing {group}",
                self.client.search_model_versions,
                f"name = '{quoted}'",
                max_results=200,
                page_token=token,
            )
            found += [self._version(mv) for mv in page]
            token = getattr(page, "token", None)
            if not token:
                return sorted(found, key=lambda v: v.version)

    def aliases(self, group: str) -> dict[str, int]:
        """The stage aliases of ``group`` (alias → version), as the MLflow UI shows them."""
        model = self._call(f"reading {group}", self.client.get_registered_model, group)
        return {alias: int(version) for alias, version in (model.aliases or {}).items()}


def _raise(exc: Exception) -> None:
    raise exc
