"""The Google Cloud side of the workflow: the hub service's services, from the Cloud Run service's settings.

hub/stacks/gcp.py sets the environment (``GOVHUB_*``) from platform.yaml and the resources it creates: the
retention-locked audit bucket and the artifact bucket as GCS stores, the Vertex AI Model Registry in the
hub project and region (or an MLflow tracking server, ``registry: mlflow``), and the governance Pub/Sub
topic. The clients sign in as the service's own service account (application default credentials on
Cloud Run), the only principal with write roles on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from govhub.backends import SettingsError, setting
from govhub.core.ports import Actor, Services

__all__ = ["SETTINGS", "SettingsError", "services"]

SETTINGS = ("GOVHUB_AUDIT_BUCKET", "GOVHUB_ARTIFACT_BUCKET", "GOVHUB_GOVERNANCE_TOPIC", "GOVHUB_REGISTRY",
            "GOVHUB_MLFLOW_TRACKING_URI")  # fmt: skip
"""The settings read here (hub/stacks/gcp.py writes every one)."""


@dataclass(frozen=True)
class GcpHubSettings:
    project: str
    region: str
    audit_bucket: str
    artifact_bucket: str
    topic: str
    registry: str
    mlflow_tracking_uri: str
    retention_days: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], config: Any) -> GcpHubSettings:
        def need(name: str) -> str:
            return setting(settings, name, "Cloud Run", "hub-gcp")

        hub = config.hubs.gcp
        if hub is None:
            raise SettingsError("the platform config has no GCP hub (hubs.gcp)")
        registry = settings.get("GOVHUB_REGISTRY") or "vertex"
        return cls(
            project=hub.project_id,
            region=hub.region,
            audit_bucket=need("GOVHUB_AUDIT_BUCKET"),
            artifact_bucket=need("GOVHUB_ARTIFACT_BUCKET"),
            topic=need("GOVHUB_GOVERNANCE_TOPIC"),
            registry=registry,
            mlflow_tracking_uri=need("GOVHUB_MLFLOW_TRACKING_URI") if registry == "mlflow" else "",
            retention_days=config.guardrails.audit_retention_days,
        )


def services(
    hub: GcpHubSettings,
    config: Any,
    *,
    credentials: Any = None,
    storage_client: Any = None,
    publisher: Any = None,
    vertex_endpoint: str | None = None,
) -> Services:
    """The workflow's services over the GCP hub. ``storage_client``, ``publisher`` and ``vertex_endpoint``
    replace the SDK clients and the Vertex endpoint (tests point them at fake-gcs-server and fake
    transports); by default each signs in with application default credentials."""
    from govhub.backends.gcp.events import PubSubPublisher
    from govhub.backends.gcp.store import GcsStore
    from govhub.core.audit import AuditLog

    if storage_client is None:
        from google.cloud import storage

        storage_client = storage.Client(project=hub.project, credentials=credentials)
    if publisher is None:
        from google.cloud.pubsub_v1 import PublisherClient

        publisher = PublisherClient(credentials=credentials)
    artifacts = GcsStore(storage_client, hub.artifact_bucket)
    if hub.registry == "mlflow":
        from govhub.backends.mlflow.registry import MlflowRegistry

        registry: Any = MlflowRegistry(tracking_uri=hub.mlflow_tracking_uri)
    else:
        from govhub.backends.gcp.registry import VertexRegistry

        registry = VertexRegistry(
            project=hub.project, location=hub.region, sidecars=artifacts, credentials=credentials,
            api_endpoint=vertex_endpoint,
        )  # fmt: skip
    return Services(
        account=hub.project,
        registry=registry,
        artifacts=artifacts,
        audit=AuditLog(GcsStore(storage_client, hub.audit_bucket), retention_days=hub.retention_days),
        events=PubSubPublisher(publisher, hub.topic, hub.project),
        actor=Actor("", hub.project, "", ""),
        platform=config,
    )
