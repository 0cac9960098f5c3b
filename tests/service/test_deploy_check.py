"""The deploy pipelines' attestation check, run for real: the SageMaker deploy template's
VerifyAttestation script is rendered into a project, and its `govhub` commands run (in this process,
on the moto hub, as the team's CI) against a version the hub promoted to prod. The true artifact
passes; another artifact, a version not yet in prod, or another key's fingerprint stop the deploy."""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

import pytest

from govhub.cli import main
from govhub.core.checkpoint import fingerprint
from tests.mothub import CONFIG, MotoHub
from tests.project.test_project_template import context
from tests.service.test_service import _registered
from tests.service.test_signed_records import _to_prod, hub  # noqa: F401 - the hub fixture

ARTIFACT = b"the model the hub judged and two approvers let into prod"


def _verify_script(tmp_path: Path) -> tuple[str, dict[str, str]]:
    from govhub.project import new_project

    project = new_project(context("aws", "github-actions", "high"), tmp_path / "project")
    definition = json.loads((project / "pipelines" / "sagemaker_deploy_pipeline.json").read_text())
    step = next(s for s in definition["Steps"] if s["Name"] == "VerifyAttestation")
    entrypoint = step["Arguments"]["AppSpecification"]["ContainerEntrypoint"]
    assert entrypoint[:2] == ["sh", "-ec"]
    return entrypoint[2], step["Arguments"]["Environment"]


def _run(script: str, args: list[str], workdir: Path) -> int:
    """Run the step's script as `sh -ec` would: `&&`-joined commands, the first failure stops it. The
    `govhub` commands go through the CLI's main (the moto hub is in this process)."""
    script = script.replace("/opt/ml/processing/verified", str(workdir))
    for n, value in enumerate(args, start=1):
        script = script.replace(f'"${n}"', shlex.quote(value))
    for command in script.split(" && "):
        argv = shlex.split(command)
        if argv[0] == "govhub":
            code = main(argv[1:])
        elif argv[0] == "printf":
            Path(argv[-1]).write_text(argv[2] + "\n")  # printf '%s\n' VALUE > FILE
            code = 0
        else:
            raise AssertionError(f"unexpected command in the step: {command}")
        if code:
            return code
    return 0


@pytest.fixture
def deploy(hub: MotoHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    script, env = _verify_script(tmp_path)
    assert env["PLATFORM_CONFIG"]  # the image's platform.yaml; here the test hub's
    monkeypatch.setenv("PLATFORM_CONFIG", str(CONFIG))
    monkeypatch.setenv("GOVHUB_PROFILE", "emulator")
    monkeypatch.setenv("GOVHUB_USER", "ci-deploy")
    artifact = tmp_path / "model.tar.gz"
    artifact.write_bytes(ARTIFACT)
    ref = _to_prod(hub, hashlib.sha256(ARTIFACT).hexdigest())
    pem = hub.as_team("fraud").signer.public_key_pem()
    return script, ref, artifact, fingerprint(pem)


def test_the_promoted_artifact_passes_and_is_handed_to_the_deploy_step(deploy, tmp_path: Path, capsys) -> None:
    script, ref, artifact, pin = deploy
    out = tmp_path / "verified"
    out.mkdir()
    assert _run(script, [ref, str(artifact), pin], out) == 0, capsys.readouterr()
    assert "deployable at prod" in capsys.readouterr().out
    assert (out / "artifact.txt").read_text().strip() == str(artifact)
    assert (out / "attestation.intoto.json").is_file() and (out / "hub.pem").is_file()


def test_another_artifact_a_wrong_key_or_an_unpromoted_version_stops_the_deploy(
    deploy,
    hub: MotoHub,  # noqa: F811
    tmp_path: Path,
    capsys,
) -> None:
    script, ref, artifact, pin = deploy
    other = tmp_path / "other.tar.gz"
    other.write_bytes(ARTIFACT + b" with a backdoor")
    cases = [
        ([ref, str(other), pin], 1, "another artifact"),
        ([ref, str(artifact), "0" * 64], 2, "not the pinned"),
    ]
    staged = _registered(hub, model=hashlib.sha256(ARTIFACT).hexdigest())  # registered, never promoted
    cases.append(([staged, str(artifact), pin], 2, "no attestation"))
    for n, (args, code, message) in enumerate(cases):
        out = tmp_path / f"case-{n}"
        out.mkdir()
        assert _run(script, args, out) == code, args
        printed = capsys.readouterr()
        assert message in printed.out + printed.err, printed
        assert not (out / "artifact.txt").exists()  # the deploy step's input never appears
