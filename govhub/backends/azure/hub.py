"""The Azure side of the workflow: the hub service's services, from the Function App's settings.

hub/stacks/azure.py writes the settings (``GOVHUB_*``) from platform.yaml and the resources it creates;
the service reads them back here: the audit container (immutable, locked) and the artifact container as
Blob stores, the governed Azure ML registry (or an MLflow tracking server, ``registry: mlflow``) and the
governance Event Grid topic. Every client signs in as the service's managed identity
(``DefaultAzureCredential`` with ``AZURE_CLIENT_ID``), the only identity with write roles on them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from govhub.backends import SettingsError, setting
from govhub.core.ports import Actor, Services

__all__ = ["SETTINGS", "SettingsError", "services"]

SETTINGS = (
    "GOVHUB_HUB_SUBSCRIPTION_ID", "GOVHUB_AUDIT_CONTAINER_ID", "GOVHUB_ARTIFACT_CONTAINER_ID", "GOVHUB_EVENT_TOPIC_ENDPOINT",
    "GOVHUB_REGISTRY", "GOVHUB_GOVERNED_REGISTRY_ID", "GOVHUB_MLFLOW_TRACKING_URI",
)  # fmt: skip
"""The settings read here (hub/stacks/azure.py writes every one)."""


def _arm_segment(arm_id: str, kind: str) -> str:
    parts = arm_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if kind.lower() not in lowered or lowered.index(kind.lower()) + 1 >= len(parts):
        raise SettingsError(f"{arm_id!r} is not an ARM id with /{kind}/NAME")
    return parts[lowered.index(kind.lower()) + 1]


def container_url(container_id: str) -> str:
    """``https://ACCOUNT.blob.core.windows.net/CONTAINER`` from a container's ARM id."""
    account = _arm_segment(container_id, "storageAccounts")
    return f"https://{account}.blob.core.windows.net/{_arm_segment(container_id, 'containers')}"


@dataclass(frozen=True)
class AzureHubSettings:
    subscription_id: str
    audit_url: str
    artifact_url: str
    topic_endpoint: str
    registry: str
    governed_registry: str
    mlflow_tracking_uri: str
    retention_days: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], config: Any) -> AzureHubSettings:
        def need(name: str) -> str:
            return setting(settings, name, "Function App", "hub-azure")

        registry = settings.get("GOVHUB_REGISTRY") or "azureml"
        return cls(
            subscription_id=need("GOVHUB_HUB_SUBSCRIPTION_ID"),
            audit_url=container_url(need("GOVHUB_AUDIT_CONTAINER_ID")),
            artifact_url=container_url(need("GOVHUB_ARTIFACT_CONTAINER_ID")),
            topic_endpoint=need("GOVHUB_EVENT_TOPIC_ENDPOINT"),
            registry=registry,
            governed_registry=_arm_segment(need("GOVHUB_GOVERNED_REGISTRY_ID"), "registries")
            if registry == "azureml"
            else "",
            mlflow_tracking_uri=need("GOVHUB_MLFLOW_TRACKING_URI") if registry == "mlflow" else "",
            retention_days=config.guardrails.audit_retention_days,
        )


def services(
    hub: AzureHubSettings,
    config: Any,
    *,
    credential: Any = None,
    container: Callable[[str], Any] | None = None,
    ml_client: Any = None,
    topic_client: Any = None,
) -> Services:
    """The workflow's services over the Azure hub. ``container(url)``, ``ml_client`` and ``topic_client``
    replace the SDK clients (tests point them at Azurite and fake transports); by default each one signs
    in with ``credential`` (the managed identity through ``DefaultAzureCredential``)."""
    from govhub.backends.azure.events import EventGridPublisher
    from govhub.backends.azure.store import AzureBlobStore
    from govhub.core.audit import AuditLog

    if credential is None and (
        container is None or topic_client is None or (ml_client is None and hub.registry == "azureml")
    ):
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    if container is None:
        from azure.storage.blob import ContainerClient

        container = lambda url: ContainerClient.from_container_url(url, credential=credential)  # noqa: E731
    if topic_client is None:
        from azure.eventgrid import EventGridPublisherClient

        topic_client = EventGridPublisherClient(hub.topic_endpoint, credential)
    if hub.registry == "mlflow":
        from govhub.backends.mlflow.registry import MlflowRegistry

        registry: Any = MlflowRegistry(tracking_uri=hub.mlflow_tracking_uri)
    else:
        from govhub.backends.azure.registry import AzureMlRegistry

        registry = AzureMlRegistry(ml_client, registry=hub.governed_registry, credential=credential)
    return Services(
        account=hub.subscription_id,
        registry=registry,
        artifacts=AzureBlobStore(container(hub.artifact_url)),
        audit=AuditLog(AzureBlobStore(container(hub.audit_url)), retention_days=hub.retention_days),
        events=EventGridPublisher(topic_client, hub.subscription_id),
        actor=Actor("", hub.subscription_id, "", ""),
        platform=config,
    )
