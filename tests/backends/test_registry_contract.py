"""One contract for every registry backend, and the workflow unchanged over every registry and store.

Backends: the SageMaker Model Registry on moto, and MLflow on a real ``mlflow server`` (pinned mlflow,
sqlite backend store, local artifact root, 127.0.0.1 on a free port; started once per session and
always stopped). Each test below runs on each of them through the same four calls the workflow uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govhub.backends.aws import names
from govhub.core.audit import AuditLog
from govhub.core.policy import PACKS_DIR
from govhub.core.ports import Actor, Services
from govhub.core.registry import APPROVED, PENDING, RegistryBackend, UnknownVersion
from govhub.core.workflow import (
    Blocked,
    WorkflowError,
    approve,
    attach_monitoring_plan,
    promote,
    publish_policy,
    submit,
)
from tests.core.test_workflow import CARD, JUSTIFY, PLAN, _decide, _submission
from tests.helpers import EXAMPLE_CONFIG

GROUP = "fraud-credit-scoring"
ARTIFACTS = {"decision": "s3://hub-artifacts/d.json", "evidence": "s3://hub-artifacts/e.json"}


REGISTRIES = ["sagemaker-moto", "mlflow-server", "azureml-fake-transport", "vertex-fake-transport"]
LIVE = {
    "sagemaker-live": ("GOVHUB_LIVE_AWS",),
    "mlflow-live": ("GOVHUB_LIVE_MLFLOW_URI",),
    "azureml-live": ("GOVHUB_LIVE_AZUREML_REGISTRY", "GOVHUB_LIVE_AZURE_ARTIFACTS"),
    "vertex-live": ("GOVHUB_LIVE_VERTEX_PROJECT", "GOVHUB_LIVE_VERTEX_LOCATION", "GOVHUB_LIVE_VERTEX_BUCKET"),
}
"""Opt-in: the same contract against a real registry, when every variable of its cloud is set (the account's
own credentials, found the SDK's usual way). GOVHUB_LIVE_AZURE_ARTIFACTS is an https:// blob folder the
registry may read; each run registers versions of a new group, govhub-live-<random>."""


@pytest.fixture(params=REGISTRIES + list(LIVE))
def registry(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[RegistryBackend]:
    if request.param in LIVE:
        yield _live(request.param)
        return
    if request.param == "azureml-fake-transport":
        # FAKE: azure-ai-ml's real MLClient over a fake transport answering in the registry's published formats
        from govhub.backends.azure.registry import AzureMlRegistry
        from tools.fakes.azure_arm import FakeArm
        from tools.fakes.azureml_registry import FakeAzureMlRegistry, registry_client

        arm = FakeArm()
        FakeAzureMlRegistry(arm)
        yield _Renamed(AzureMlRegistry(registry_client(arm)), GROUP)
        return
    if request.param == "vertex-fake-transport":
        # FAKE: google-cloud-aiplatform's real Model/ModelRegistry over its REST transport, pointed at a
        # recording server answering in Vertex AI's published formats
        from tools.fakes.vertex_registry import vertex_registry

        with vertex_registry(request.getfixturevalue("tmp_path")) as backend:
            yield _Renamed(backend, GROUP, scheme="gs://")  # Vertex takes model files from gs:// only
        return
    if request.param == "mlflow-server":
        from govhub.backends.mlflow.registry import MlflowRegistry

        url = request.getfixturevalue("mlflow_url")
        backend = MlflowRegistry(tracking_uri=url)
        # every test gets its own registered model on the shared server
        group = f"{GROUP}-{request.node.name.split('[')[0][-20:]}".replace("_", "-")
        yield _Renamed(backend, group)
        return
    import boto3
    from moto import mock_aws

    from govhub.backends.aws.registry import SageMakerRegistry
    from tests.mothub import offline_aws

    offline_aws(monkeypatch)
    with mock_aws():
        client = boto3.client("sagemaker", region_name="eu-west-1")
        client.create_model_package_group(ModelPackageGroupName=GROUP)
        yield _Renamed(SageMakerRegistry(client), GROUP)


def _live(kind: str) -> RegistryBackend:
    import os
    import uuid

    missing = [name for name in LIVE[kind] if not os.environ.get(name)]
    if missing:
        pytest.skip(f"opt-in live test: set {', '.join(missing)} to run the registry contract on a real {kind[:-5]}")
    env, group = os.environ, f"govhub-live-{uuid.uuid4().hex[:8]}"
    if kind == "sagemaker-live":
        import boto3

        from govhub.backends.aws.registry import SageMakerRegistry

        client = boto3.client("sagemaker")
        client.create_model_package_group(ModelPackageGroupName=group)
        return _Renamed(SageMakerRegistry(client), group)
    if kind == "mlflow-live":
        from govhub.backends.mlflow.registry import MlflowRegistry

        return _Renamed(MlflowRegistry(tracking_uri=env["GOVHUB_LIVE_MLFLOW_URI"]), group)
    if kind == "azureml-live":
        from govhub.backends.azure.registry import AzureMlRegistry

        folder = env["GOVHUB_LIVE_AZURE_ARTIFACTS"].rstrip("/") + "/"
        return _Renamed(AzureMlRegistry(registry=env["GOVHUB_LIVE_AZUREML_REGISTRY"]), group, scheme=folder)
    from google.cloud import storage

    from govhub.backends.gcp.registry import VertexRegistry
    from govhub.backends.gcp.store import GcsStore

    bucket = env["GOVHUB_LIVE_VERTEX_BUCKET"]
    sidecars = GcsStore(storage.Client(project=env["GOVHUB_LIVE_VERTEX_PROJECT"]), bucket)
    backend = VertexRegistry(project=env["GOVHUB_LIVE_VERTEX_PROJECT"], location=env["GOVHUB_LIVE_VERTEX_LOCATION"],
                             sidecars=sidecars)  # fmt: skip
    return _Renamed(backend, group, scheme=f"gs://{bucket}/")


class _Renamed(RegistryBackend):
    """The backend under test, with the group each test uses (MLflow tests share one server)."""

    def __init__(self, inner: RegistryBackend, group: str, scheme: str = "s3://"):
        self.inner, self.group, self.name, self.scheme = inner, group, inner.name, scheme

    def register(self, group, **kwargs):
        kwargs["artifacts"] = {k: self.scheme + v.removeprefix("s3://") for k, v in kwargs["artifacts"].items()}
        return self.inner.register(self.group if group == GROUP else group, **kwargs)

    def get(self, group, version):
        return self.inner.get(self.group if group == GROUP else group, version)

    def update(self, mv, **kwargs):
        return self.inner.update(mv, **kwargs)

    def versions(self, group):
        return self.inner.versions(self.group if group == GROUP else group)


def _register(registry: RegistryBackend, **metadata: str) -> Any:
    return registry.register(
        GROUP,
        description="credit scoring",
        metadata={"govhub:stage": "registered", "govhub:team": "fraud", **metadata},
        artifacts=ARTIFACTS,
        lineage={"code_commit": "abc1234"},
    )


def test_versions_number_from_one_and_list_in_order(registry: RegistryBackend) -> None:
    first, second = _register(registry), _register(registry)
    assert (first.version, second.version) == (1, 2)
    assert first.status == PENDING and first.metadata["govhub:team"] == "fraud"
    assert [v.version for v in registry.versions(GROUP)] == [1, 2]
    assert registry.get(GROUP, 2).arn == second.arn != first.arn


def test_updates_merge_metadata_and_set_status(registry: RegistryBackend) -> None:
    mv = _register(registry, **{"govhub:model-sha256": "ab" * 32})
    updated = registry.update(mv, status=APPROVED, description="promoted to prod", metadata={"govhub:stage": "prod"})
    again = registry.get(GROUP, mv.version)
    for seen in (updated, again):
        assert seen.status == APPROVED
        assert seen.metadata["govhub:stage"] == "prod" and seen.metadata["govhub:model-sha256"] == "ab" * 32


def test_an_unknown_version_is_named(registry: RegistryBackend) -> None:
    _register(registry)
    with pytest.raises(UnknownVersion, match=r"/9"):
        registry.get(GROUP, 9)


def test_mlflow_stages_are_aliases_and_lineage_uses_mlflow_tags(mlflow_url: str) -> None:
    from mlflow import MlflowClient

    from govhub.backends.mlflow.registry import MlflowRegistry

    backend = MlflowRegistry(tracking_uri=mlflow_url)
    group = "fraud-alias-check"
    one = backend.register(
        group,
        description="d",
        metadata={"govhub:stage": "registered"},
        artifacts=ARTIFACTS,
        lineage={"code_commit": "c1"},
    )
    two = backend.register(
        group, description="d", metadata={"govhub:stage": "registered"}, artifacts=ARTIFACTS, lineage={}
    )
    backend.update(one, metadata={"govhub:stage": "prod"})
    backend.update(two, metadata={"govhub:stage": "staging"})
    assert backend.aliases(group) == {"prod": 1, "staging": 2}
    backend.update(backend.get(group, 2), metadata={"govhub:stage": "prod"})  # the prod alias moves
    assert backend.aliases(group) == {"prod": 2, "staging": 2}
    raw = MlflowClient(tracking_uri=mlflow_url).get_model_version(group, "1")
    assert raw.tags["mlflow.source.git.commit"] == "c1" and raw.source == ARTIFACTS["evidence"]
    assert raw.current_stage in (None, "", "None")  # stages are aliases, never the deprecated transitions


# --------------------------------------------------------------------------- the workflow on every backend

WORKFLOW_STORES = ["folder", "azure-blob-azurite", "gcs-fake-gcs-server"]
"""The audit log and the artifacts of the workflow runs below (S3 is the moto hub's, tests/core/test_workflow.py)."""
NATIVE_STORE = {"azureml-fake-transport": "azure-blob-azurite", "vertex-fake-transport": "gcs-fake-gcs-server"}
"""A cloud's own registry takes model sources from that cloud's store (Azure ML: https:// blobs; Vertex: gs://)."""
HUBS = [
    pytest.param(registry, store, id=f"{registry}-{store}")
    for registry in REGISTRIES
    for store in WORKFLOW_STORES
    if NATIVE_STORE.get(registry, store) == store
]


@pytest.fixture
def hub(registry: Any, store_factory: Any, tmp_path: Path) -> Iterator[Any]:
    """A hub over the registry under test and a store kind: audit and artifacts in two fresh stores of
    that kind, tickets as CloudEvents envelopes recorded in memory."""
    from govhub.config import load_config
    from govhub.core import events

    config = load_config(EXAMPLE_CONFIG)
    account = config.hubs.aws.governance_account_id if config.hubs.aws else "hub"

    class Tickets:
        def __init__(self) -> None:
            self.sent: list[dict] = []

        def publish(self, detail_type: str, detail: dict) -> str:
            self.sent.append(events.parse(events.envelope(detail_type, detail, source="urn:govhub:hub:test:1")))
            return self.sent[-1]["id"]

    tickets = Tickets()
    base = Services(
        account=account,
        registry=registry.inner,  # the workflow names its own groups (team and use case)
        artifacts=store_factory(),
        audit=AuditLog(store_factory()),
        events=tickets,
        actor=Actor("", "", "", ""),
        platform=config,
        cache_dir=tmp_path / "cache",
    )

    def as_(role: str, person: str) -> Services:
        return dataclasses.replace(base, actor=Actor(f"{role}/{person}", account, role, person))

    publish_policy(as_(names.HUB_CI_DEPLOYER_ROLE, "platform-ci"), PACKS_DIR / "high.yaml")
    yield as_, tickets


def _people(as_: Any) -> tuple[Any, Any, Any]:
    team = as_(names.team_submitter_role("fraud"), "ci-pipeline")
    return team, as_(names.HUB_APPROVER_ROLE, "erin@acme.example"), as_(names.HUB_APPROVER_ROLE, "grace@acme.example")


@pytest.mark.parametrize(("registry", "store_factory"), HUBS, indirect=True)
def test_the_happy_path_and_its_refusals_on_every_backend(hub: Any) -> None:
    as_, tickets = hub
    team, erin, grace = _people(as_)
    # failed gate: registered, blocked, ticketed (each run on the shared MLflow server adds versions,
    # so every step looks versions up by the returned ref)
    biased = submit(team, _submission(*_decide(0.62), model="62" * 32))
    assert biased.decision.outcome == "fail" and biased.ticket
    assert tickets.sent[0]["data"]["model_version"] == biased.version.ref == tickets.sent[0]["subject"]
    with pytest.raises(Blocked, match="gate decision is FAIL"):
        promote(erin, biased.version.ref, "dev")
    # self-approval
    own = submit(team, _submission(*_decide(0.96), card={**CARD, "author": "frank@acme.example"}, model="96" * 32))
    with pytest.raises(WorkflowError, match="separation of duties"):
        approve(as_(names.HUB_APPROVER_ROLE, "Frank@ACME.example"), own.version.ref, "staging", JUSTIFY)
    ref = submit(team, _submission(*_decide(0.95), model="95" * 32)).version.ref
    with pytest.raises(WorkflowError, match="needs role govhub-approver"):
        approve(team, ref, "staging", JUSTIFY)
    promote(erin, ref, "dev")
    approve(erin, ref, "staging", JUSTIFY)
    promote(erin, ref, "staging")
    # missing approvals: prod needs two distinct approvers for the high tier
    approve(erin, ref, "prod", JUSTIFY)
    with pytest.raises(WorkflowError, match="a second approval must come from someone else"):
        approve(erin, ref, "prod", JUSTIFY)
    with pytest.raises(Blocked, match=r"needs 2 approval\(s\) from distinct approvers"):
        promote(grace, ref, "prod")
    approve(grace, ref, "prod", JUSTIFY)
    # no monitoring plan
    with pytest.raises(Blocked, match="monitoring plan"):
        promote(grace, ref, "prod")
    attach_monitoring_plan(team, ref, PLAN)
    final = promote(grace, ref, "prod")
    assert final.status == APPROVED and final.metadata["govhub:stage"] == "prod"
    assert erin.audit.verify().ok
    if hasattr(erin.registry, "aliases"):  # MLflow: the stage is the version's alias
        group, version = ref.rsplit("/", 1)
        assert erin.registry.aliases(group)["prod"] == int(version)


@pytest.mark.parametrize(("registry", "store_factory"), HUBS, indirect=True)
def test_a_stale_pack_and_an_expired_waiver_block_on_every_backend(hub: Any, tmp_path: Path) -> None:
    from datetime import date, timedelta

    from govhub.core.workflow import grant_waiver

    as_, _ = hub
    team, erin, grace = _people(as_)
    waived = submit(team, _submission(*_decide(0.7), model="70" * 32)).version.ref
    grant_waiver(grace, waived, "gate.fairness", "temporary: retraining with reweighted data is scheduled",
                 date.today() + timedelta(days=1))  # fmt: skip
    promote(erin, waived, "dev", today=date.today())
    approve(erin, waived, "staging", JUSTIFY)
    with pytest.raises(Blocked, match="the waiver for gate.fairness expired on"):
        promote(erin, waived, "staging", today=date.today() + timedelta(days=2))
    ref = submit(team, _submission(*_decide(0.95), model="95" * 32)).version.ref
    newer = tmp_path / "high-1.3.0.yaml"
    newer.write_text((PACKS_DIR / "high.yaml").read_text().replace("version: 1.2.0", "version: 1.3.0"))
    publish_policy(as_(names.HUB_CI_DEPLOYER_ROLE, "platform-ci"), newer)
    with pytest.raises(
        Blocked, match="stale decision: made under govhub-high 1.2.0, but the hub's current pack is 1.3.0"
    ):
        promote(erin, ref, "dev")
    assert erin.audit.verify().ok


def test_mlflow_sources_are_spelled_as_its_artifact_repositories_read_them() -> None:
    from govhub.backends.mlflow.registry import mlflow_source

    assert mlflow_source("s3://hub-artifacts/fraud/e.json") == "s3://hub-artifacts/fraud/e.json"
    assert mlflow_source("gs://hub-artifacts/e.json") == "gs://hub-artifacts/e.json"
    blob = "https://acmeart1a2b3c.blob.core.windows.net/govhub-artifacts/fraud/e.json"
    assert mlflow_source(blob) == "wasbs://govhub-artifacts@acmeart1a2b3c.blob.core.windows.net/fraud/e.json"
    for unaddressable in (
        "/srv/hub/e.json",
        "file:///srv/hub/e.json",
        "http://127.0.0.1:10000/devstoreaccount1/c/e.json",
    ):
        assert mlflow_source(unaddressable) is None  # logged under a run of the hub's experiment instead


def test_platform_yaml_chooses_the_aws_hubs_registry(mlflow_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    from govhub.backends.aws.hub import AwsHubCoordinates, services
    from govhub.backends.aws.registry import SageMakerRegistry
    from govhub.backends.mlflow.registry import MlflowRegistry
    from govhub.config import load_config, parse_config
    from tests.mothub import offline_aws

    offline_aws(monkeypatch)
    text = EXAMPLE_CONFIG.read_text()
    native = load_config(EXAMPLE_CONFIG)
    assert native.hubs.aws is not None
    region = native.hubs.aws.region
    chosen = parse_config(
        text.replace(f"region: {region}\n", f"region: {region}\n    registry: mlflow\n    mlflow: {{tracking_uri: '{mlflow_url}'}}\n", 1),
        "platform.yaml",
    )  # fmt: skip
    with mock_aws():
        session = boto3.Session(region_name=region)
        svc = services(session, AwsHubCoordinates.from_config(native))
        assert isinstance(svc.registry, SageMakerRegistry) and svc.cards is not None
        svc = services(session, AwsHubCoordinates.from_config(chosen))
        assert isinstance(svc.registry, MlflowRegistry) and svc.registry.uri == mlflow_url and svc.cards is None
