"""The hub service on Azure and on Google Cloud, built from the settings their stacks write, runs the whole
workflow (tools/hub_tour.py) over emulated stores and FAKE registry and bus transports:

- Azure: the audit and artifact containers on Azurite; the governed Azure ML registry through azure-ai-ml's
  real MLClient and Event Grid through the real EventGridPublisherClient, both over a FAKE transport in the
  published formats; callers as App Service authentication names them (X-MS-CLIENT-PRINCIPAL);
- Google Cloud: the buckets on fake-gcs-server; Vertex AI through google-cloud-aiplatform and Pub/Sub
  through the real PublisherClient, both over REST to a FAKE server in the published formats.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from govhub import vocabulary as v
from govhub.config import load_config
from govhub.service.app import HubService
from tests.core.test_workflow import CARD, PLAN, _decide
from tests.helpers import EXAMPLE_CONFIG
from tools.hub_tour import TOPIC, Upload, azure_cast, azure_settings, gcp_cast, gcp_settings, tour


def _uploads() -> dict[str, Upload]:
    def upload(di: float, model: str) -> Upload:
        evidence = _decide(di)[1].model_dump(mode="json")
        return Upload(evidence, {**CARD, "author": "frank@acme.example"}, model)

    return {"biased": upload(0.62, "62" * 32), "fair": upload(0.95, "95" * 32)}


def _check(result: dict[str, Any], svc: Any) -> None:
    assert result["outcomes"] == {"biased": "fail", "fair": "pass"} and len(result["tickets"]) == 1
    assert "separation of duties" in result["refused"]["self_approval"]
    assert "gate decision is FAIL" in result["refused"]["biased_promotion"]
    assert result["status"]["stage"] == "prod" and result["status"]["approval_status"] == "Approved"
    assert svc.audit.verify().ok


def test_the_azure_hub_service_governs_two_models_on_azurite_and_fake_transports(azurite_connection: str) -> None:
    from azure.eventgrid._legacy import (
        EventGridPublisherClient,  # the basic-topic client (tests/backends/test_events.py)
    )
    from azure.storage.blob import BlobServiceClient

    from govhub.backends.azure.hub import AzureHubSettings, services
    from tools.fakes.azure_arm import FakeArm, FakeCredential
    from tools.fakes.azureml_registry import FakeAzureMlRegistry, registry_client

    config = load_config(EXAMPLE_CONFIG)
    settings = azure_settings(config)
    hub = AzureHubSettings.from_settings(settings, config)
    assert hub.audit_url == "https://acmeaudit0d1e2f.blob.core.windows.net/govhub-audit-log"
    assert (hub.governed_registry, hub.registry) == ("acme-govhub-governed", "azureml")
    arm = FakeArm()
    registry = FakeAzureMlRegistry(arm)
    arm.route("POST", r"/api/events$", lambda m, body: (200, None))
    blobs, suffix = BlobServiceClient.from_connection_string(azurite_connection), uuid.uuid4().hex[:6]
    made: list[str] = []

    def container(url: str) -> Any:  # Azurite's development account stands in for the hub's two accounts
        made.append(url)
        return blobs.create_container(f"{url.rsplit('/', 1)[-1]}-{suffix}")

    svc = services(hub, config, container=container, ml_client=registry_client(arm),
                   topic_client=EventGridPublisherClient(TOPIC, FakeCredential(), transport=arm))  # fmt: skip
    assert made == [hub.artifact_url, hub.audit_url]
    result = tour(HubService(lambda actor: dataclasses.replace(svc, actor=actor)), svc.artifacts,
                  azure_settings_cast := azure_cast(settings), _uploads(), PLAN, say=lambda _: None)  # fmt: skip
    _check(result, svc)
    assert azure_settings_cast.team.role == v.team_submitter("fraud")
    sent = [event for r in arm.requests if r[1] == "/api/events" for event in r[2]]
    (ticket,) = [event for event in sent if event["data"].get("outcome") == "fail"]
    assert ticket["specversion"] == "1.0" and ticket["subject"] == result["refs"]["biased"]
    group, version = result["refs"]["fair"].rsplit("/", 1)
    assert registry.models[group][version]["properties"]["tags"]["govhub:stage"] == "prod"


def test_the_azure_settings_name_what_is_missing() -> None:
    from govhub.backends.azure.hub import AzureHubSettings, SettingsError

    config = load_config(EXAMPLE_CONFIG)
    settings = azure_settings(config)
    del settings["GOVHUB_ARTIFACT_CONTAINER_ID"]
    with pytest.raises(SettingsError, match="GOVHUB_ARTIFACT_CONTAINER_ID is missing; deploy hub-azure again"):
        AzureHubSettings.from_settings(settings, config)


def test_the_gcp_hub_service_governs_two_models_on_fake_gcs_server_and_fake_transports(gcs_endpoint: str) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import pubsub_v1, storage

    from govhub.backends.gcp.hub import GcpHubSettings, services
    from tools.fakes.http import fake_rest
    from tools.fakes.vertex_registry import FakeVertexModels

    config = load_config(EXAMPLE_CONFIG)
    settings = gcp_settings(config)
    hub = GcpHubSettings.from_settings(settings, config)
    assert (hub.project, hub.region, hub.registry) == ("acme-govhub", "europe-west4", "vertex")
    client = storage.Client(project=hub.project, credentials=AnonymousCredentials(),
                            client_options={"api_endpoint": gcs_endpoint})  # fmt: skip
    for bucket in (hub.audit_bucket, hub.artifact_bucket):
        client.create_bucket(bucket)
    with fake_rest() as rest:
        vertex = FakeVertexModels(rest)
        rest.route("POST", r"^/v1/(projects/[^/]+/topics/[^/:]+):publish$",
                   lambda m, body: (200, {"messageIds": [str(7000 + i) for i, _ in enumerate(body["messages"])]}))  # fmt: skip
        publisher = pubsub_v1.PublisherClient(
            credentials=AnonymousCredentials(), transport="rest", client_options={"api_endpoint": rest.url}
        )
        svc = services(hub, config, credentials=AnonymousCredentials(), storage_client=client, publisher=publisher,
                       vertex_endpoint=rest.url)  # fmt: skip
        result = tour(HubService(lambda actor: dataclasses.replace(svc, actor=actor)), svc.artifacts,
                      gcp_cast(hub.project), _uploads(), PLAN, say=lambda _: None)  # fmt: skip
        _check(result, svc)
        published = [r for r in rest.requests if r.path.endswith(":publish")]
        assert {r.path for r in published} == {f"/v1/{settings['GOVHUB_GOVERNANCE_TOPIC']}:publish"}
        outcomes = [m["attributes"].get("outcome") for r in published for m in r.body["messages"]]
        assert outcomes.count("fail") == 1
        group, version = result["refs"]["fair"].rsplit("/", 1)
        assert svc.registry.aliases(group)["prod"] == int(version)
        assert vertex.models[group][int(version) - 1]["labels"]["govhub-stage"] == "prod"
