"""One contract for every registry backend, and the workflow unchanged over MLflow.

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
from govhub.core.store import LocalStore
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


@pytest.fixture(params=["sagemaker-moto", "mlflow-server"])
def registry(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[RegistryBackend]:
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


class _Renamed(RegistryBackend):
    """The backend under test, with the group each test uses (MLflow tests share one server)."""

    def __init__(self, inner: RegistryBackend, group: str):
        self.inner, self.group, self.name = inner, group, inner.name

    def register(self, group, **kwargs):
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


# --------------------------------------------------------------------------- the workflow over MLflow


@pytest.fixture
def mlflow_hub(mlflow_url: str, tmp_path: Path) -> Iterator[Any]:
    """A folder-backed hub whose registry is MLflow: audit and artifacts in folders, tickets recorded."""
    from govhub.backends.mlflow.registry import MlflowRegistry
    from govhub.config import load_config

    config = load_config(EXAMPLE_CONFIG)
    account = config.hubs.aws.governance_account_id if config.hubs.aws else "hub"

    class Tickets:
        sent: list[tuple[str, dict]] = []

        def publish(self, detail_type: str, detail: dict) -> str:
            self.sent.append((detail_type, detail))
            return f"ticket-{len(self.sent)}"

    tickets = Tickets()
    tickets.sent = []
    base = Services(
        account=account,
        registry=MlflowRegistry(tracking_uri=mlflow_url),
        artifacts=LocalStore(tmp_path / "artifacts"),
        audit=AuditLog(LocalStore(tmp_path / "audit")),
        events=tickets,
        actor=Actor("", "", "", ""),
        platform=config,
        cache_dir=tmp_path / "cache",
    )

    def as_(role: str, person: str) -> Services:
        return dataclasses.replace(base, actor=Actor(f"{role}/{person}", account, role, person))

    publish_policy(as_(names.HUB_CI_DEPLOYER_ROLE, "platform-ci"), PACKS_DIR / "high.yaml")
    yield as_, tickets


def test_the_workflow_runs_unchanged_over_mlflow(mlflow_hub: Any, mlflow_url: str) -> None:
    as_, tickets = mlflow_hub
    team = as_(names.team_submitter_role("fraud"), "ci-pipeline")
    # each run of this test on the shared server registers new versions: look them up by the returned ref
    biased = submit(team, _submission(*_decide(0.62), model="62" * 32))
    assert (
        biased.decision.outcome == "fail"
        and biased.ticket
        and tickets.sent[0][1]["model_version"] == biased.version.ref
    )
    erin, grace = as_(names.HUB_APPROVER_ROLE, "erin@acme.example"), as_(names.HUB_APPROVER_ROLE, "grace@acme.example")
    with pytest.raises(Blocked, match="gate decision is FAIL"):
        promote(erin, biased.version.ref, "dev")
    own = submit(team, _submission(*_decide(0.96), card={**CARD, "author": "frank@acme.example"}, model="96" * 32))
    with pytest.raises(WorkflowError, match="separation of duties"):
        approve(as_(names.HUB_APPROVER_ROLE, "Frank@ACME.example"), own.version.ref, "staging", JUSTIFY)
    ref = submit(team, _submission(*_decide(0.95), model="95" * 32)).version.ref
    with pytest.raises(WorkflowError, match="needs role govhub-approver"):
        approve(team, ref, "staging", JUSTIFY)
    promote(erin, ref, "dev")
    approve(erin, ref, "staging", JUSTIFY)
    promote(erin, ref, "staging")
    approve(erin, ref, "prod", JUSTIFY)
    approve(grace, ref, "prod", JUSTIFY)
    with pytest.raises(Blocked, match="monitoring plan"):
        promote(grace, ref, "prod")
    attach_monitoring_plan(team, ref, PLAN)
    final = promote(grace, ref, "prod")
    assert final.status == APPROVED and final.metadata["govhub:stage"] == "prod"
    from govhub.backends.mlflow.registry import MlflowRegistry

    group, version = ref.rsplit("/", 1)
    assert MlflowRegistry(tracking_uri=mlflow_url).aliases(group)["prod"] == int(version)
    assert erin.audit.verify().ok
