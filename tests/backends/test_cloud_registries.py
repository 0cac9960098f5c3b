"""What the Azure ML and Vertex registries do beyond the shared contract (tests/backends/test_registry_contract.py).

Both run their cloud's real SDK client over a FAKE transport that answers in the published REST formats
(tools/fakes/azureml_registry.py, tools/fakes/vertex_registry.py); every test name says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from govhub.core.registry import APPROVED, PENDING, RegistryError

ARTIFACTS = {"decision": "https://acmeart.blob.core.windows.net/govhub-artifacts/d.json",
             "evidence": "https://acmeart.blob.core.windows.net/govhub-artifacts/e.json"}  # fmt: skip
META = {"govhub:stage": "registered", "govhub:team": "fraud", "govhub:model-sha256": "ab" * 32}


@pytest.fixture
def azure() -> Any:
    from govhub.backends.azure.registry import AzureMlRegistry
    from tools.fakes.azure_arm import FakeArm
    from tools.fakes.azureml_registry import FakeAzureMlRegistry, registry_client

    arm = FakeArm()
    fake = FakeAzureMlRegistry(arm)
    return AzureMlRegistry(registry_client(arm)), fake, arm


def _register(backend: Any, artifacts: dict | None = None, meta: dict | None = None) -> Any:
    return backend.register("fraud-credit-scoring", description="credit scoring", metadata={**META, **(meta or {})},
                            artifacts=artifacts or ARTIFACTS, lineage={"code_commit": "abc1234"})  # fmt: skip


def test_azureml_fake_transport_registers_immutable_properties_and_mutable_tags(azure: Any) -> None:
    backend, fake, arm = azure
    mv = _register(backend)
    stored = fake.models["fraud-credit-scoring"]["1"]["properties"]
    assert stored["properties"]["govhub:model-sha256"] == "ab" * 32 and "govhub:stage" not in stored["properties"]
    assert stored["tags"] == {"govhub:stage": "registered", "govhub:status": PENDING}
    assert stored["modelUri"] == ARTIFACTS["evidence"] and stored["modelType"] == "custom_model"
    assert mv.arn == "azureml://registries/acme-govhub-governed/models/fraud-credit-scoring/versions/1"
    # the SDK found the registry's regional data plane through discovery, as against the real service
    assert {"eastus.api.azureml.ms", "cert-westeurope.experiments.azureml.net"} <= arm.hosts
    assert all("management.azure.com" not in host for host in arm.hosts)
    updated = backend.update(mv, status=APPROVED, metadata={"govhub:stage": "prod"})
    assert updated.status == APPROVED and updated.metadata["govhub:stage"] == "prod"
    with pytest.raises(RegistryError, match=r"govhub:model-sha256 is an immutable property"):
        backend.update(updated, metadata={"govhub:model-sha256": "cd" * 32})


def test_azureml_fake_transport_a_tag_never_overrides_a_property(azure: Any) -> None:
    backend, fake, _ = azure
    mv = _register(backend)
    fake.models["fraud-credit-scoring"]["1"]["properties"]["tags"]["govhub:model-sha256"] = "ee" * 32  # planted
    assert backend.get(mv.group, 1).metadata["govhub:model-sha256"] == "ab" * 32


def test_azureml_fake_transport_retries_a_version_number_another_writer_took(
    azure: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend, fake, _ = azure
    _register(backend)
    real, looks = backend._highest, []

    def stale(group: str) -> int:  # the first look misses version 1 (another hub request had just registered it)
        looks.append(group)
        return 0 if len(looks) == 1 else real(group)

    monkeypatch.setattr(backend, "_highest", stale)
    second = _register(backend, meta={"govhub:model-sha256": "cd" * 32})
    assert second.version == 2 and second.metadata["govhub:model-sha256"] == "cd" * 32
    assert fake.refused == ["fraud-credit-scoring/1"]  # the registry refused to rewrite the taken version
    assert backend.get(second.group, 1).metadata["govhub:model-sha256"] == "ab" * 32


def test_azureml_refuses_a_local_model_source(azure: Any) -> None:
    backend, _, _ = azure
    with pytest.raises(RegistryError, match="copies a version's files from a URL"):
        _register(backend, artifacts={"evidence": "file:///srv/hub/e.json"})


# --------------------------------------------------------------------------- Vertex AI


@pytest.fixture
def vertex(tmp_path: Path) -> Any:
    from tools.fakes.vertex_registry import vertex_registry

    with vertex_registry(tmp_path) as backend:
        yield backend


GS = {"evidence": "gs://acme-govhub-artifacts/teams/fraud/artifacts/e.json",
      "model": "gs://acme-fraud-models/credit/v7/model.pkl"}  # fmt: skip


def test_vertex_fake_transport_uploads_versions_with_the_sklearn_container_and_a_sidecar(vertex: Any) -> None:
    from govhub.backends.gcp.registry import SKLEARN_IMAGE, digest_of_label

    first = _register(vertex, artifacts=GS, meta={"govhub:author": "Frank.Long-Name@ACME.example"})
    second = _register(vertex, artifacts=GS)
    assert (first.version, second.version) == (1, 2)
    uploads = [r for r in vertex.rest.requests if r.path.endswith("models:upload")]
    # the first version: no parent model yet (NOT_FOUND), so the model is created with the group as its id
    assert [("parentModel" in u.body, u.body.get("modelId")) for u in uploads] == [
        (True, None), (False, "fraud-credit-scoring"), (True, None)
    ]  # fmt: skip
    assert uploads[2].body["parentModel"].endswith("/models/fraud-credit-scoring")
    sent = uploads[1].body["model"]
    assert sent["containerSpec"]["imageUri"] == SKLEARN_IMAGE
    assert sent["artifactUri"] == "gs://acme-fraud-models/credit/v7"  # the model's folder
    for key, value in sent["labels"].items():  # Vertex's label rules
        assert re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", key) and re.fullmatch(r"[a-z0-9_-]{0,63}", value)
    digest = digest_of_label(sent["labels"]["govhub-meta"])
    sidecar = json.loads(vertex.sidecars.get(f"registry/vertex/fraud-credit-scoring/{digest}.json"))
    assert sidecar["metadata"]["govhub:author"] == "Frank.Long-Name@ACME.example"  # in full, unlike a label
    assert first.metadata["govhub:author"] == "Frank.Long-Name@ACME.example" and first.status == PENDING


def test_vertex_fake_transport_stages_are_aliases_that_move(vertex: Any) -> None:
    one, two = _register(vertex, artifacts=GS), _register(vertex, artifacts=GS)
    vertex.update(one, status=APPROVED, metadata={"govhub:stage": "prod"})
    vertex.update(two, metadata={"govhub:stage": "staging"})
    assert vertex.aliases("fraud-credit-scoring") == {"prod": 1, "default": 1, "staging": 2}
    vertex.update(vertex.get("fraud-credit-scoring", 2), status=APPROVED, metadata={"govhub:stage": "prod"})
    assert vertex.aliases("fraud-credit-scoring") == {"prod": 2, "default": 2, "staging": 2}
    patch = [r for r in vertex.rest.requests if r.method == "PATCH"][-1]
    assert re.search(r"models/fraud-credit-scoring(@|%40)2$", patch.path) and "labels" in patch.query
    assert vertex.get("fraud-credit-scoring", 1).status == APPROVED


def test_vertex_fake_transport_lists_every_page(vertex: Any) -> None:
    for _ in range(5):
        _register(vertex, artifacts=GS)
    assert [v.version for v in vertex.versions("fraud-credit-scoring")] == [1, 2, 3, 4, 5]
    pages = [r for r in vertex.rest.requests if r.path.endswith(":listVersions")]
    assert len(pages) == 3  # two versions a page in the fake


def test_vertex_fake_transport_refuses_a_version_the_hub_did_not_register(vertex: Any) -> None:
    """A team's uploader role can add a version to the hub model; without a hub-written sidecar it is refused."""
    from google.cloud import aiplatform

    from govhub.backends.gcp.registry import digest_label

    _register(vertex, artifacts=GS)
    aiplatform.Model.upload(
        serving_container_image_uri="europe-docker.pkg.dev/x/y:1", artifact_uri="gs://team/m",
        parent_model=vertex._model_name("fraud-credit-scoring"), is_default_version=False,
        labels={"govhub-meta": digest_label("00" * 32), "govhub-status": "approved"}, **vertex._where(),
    )  # fmt: skip
    with pytest.raises(RegistryError, match="was not registered by the hub service"):
        vertex.get("fraud-credit-scoring", 2)


def test_vertex_refuses_a_model_source_outside_gcs(vertex: Any) -> None:
    with pytest.raises(RegistryError, match="takes a version's files from gs://"):
        _register(vertex, artifacts={"evidence": "s3://elsewhere/e.json"})
