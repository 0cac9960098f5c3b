"""Attestations: an in-toto Statement in a DSSE envelope, signed by the hub, checked by a deployment
with the public key alone (`govhub attest verify`)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from govhub.canonical import sha256_hex
from govhub.cli import main
from govhub.core import attestation
from govhub.core.checkpoint import LocalSigner, public_key

APPROVALS = [{"type": "approval", "stage": "prod", "who": "erin@acme.example"},
             {"type": "approval", "stage": "prod", "who": "frank@acme.example"}]  # fmt: skip


@pytest.fixture()
def issued(tmp_path: Path) -> dict[str, Path]:
    signer = LocalSigner()
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"the trained model")
    stmt = attestation.statement(
        model_name="fraud-credit-scoring", artifact_sha256=sha256_hex(model.read_bytes()), model_version="fraud-credit-scoring/2",
        decision={"outcome": "pass", "risk_tier": "high", "policy": {"name": "govhub-high", "version": "1.1.0", "digest": "d" * 64}},
        decision_sha256="a" * 64, evidence_sha256="b" * 64, stage="prod", approvals=APPROVALS, approvals_required=2,
        issued_at="2026-12-02T00:00:00+00:00",
    )  # fmt: skip
    (tmp_path / "model.intoto.json").write_bytes(attestation.envelope(stmt, signer))
    (tmp_path / "hub.pem").write_bytes(signer.public_key_pem())
    return {"model": model, "attestation": tmp_path / "model.intoto.json", "key": tmp_path / "hub.pem"}


def _verify(paths: dict[str, Path], *extra: str) -> list[str]:
    return ["attest", "verify", "--model-artifact", str(paths["model"]), "--attestation", str(paths["attestation"]),
            "--public-key", str(paths["key"]), *extra]  # fmt: skip


def test_the_pae_is_the_dsse_v1_encoding() -> None:
    assert attestation.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_a_signed_approved_prod_version_is_deployable(issued, capsys) -> None:
    assert main(_verify(issued)) == 0
    assert "deployable at prod: " in capsys.readouterr().out


def test_another_artifact_an_edited_statement_or_another_key_is_refused(issued, tmp_path: Path, capsys) -> None:
    issued["model"].write_bytes(b"a different model")
    assert main(_verify(issued)) == 1 and "the attestation is for another artifact" in capsys.readouterr().out
    doc = json.loads(issued["attestation"].read_bytes())
    stmt = json.loads(base64.b64decode(doc["payload"]))
    stmt["predicate"]["approvals_required"] = 0
    doc["payload"] = base64.b64encode(json.dumps(stmt).encode()).decode()
    issued["attestation"].write_text(json.dumps(doc))
    assert main(_verify(issued)) == 1 and "no signature of the attestation verifies" in capsys.readouterr().err
    (tmp_path / "other.pem").write_bytes(LocalSigner().public_key_pem())
    issued["key"] = tmp_path / "other.pem"
    assert main(_verify(issued)) == 1


def test_a_version_not_in_the_stage_or_without_approvals_is_not_deployable(issued, capsys) -> None:
    stmt = attestation.open_envelope(issued["attestation"].read_bytes(), public_key(issued["key"].read_bytes()))
    digest = stmt["subject"][0]["digest"]["sha256"]
    assert attestation.check_deployable(stmt, digest) == []
    staging = {**stmt, "predicate": {**stmt["predicate"], "stage": "staging", "approvals": APPROVALS[:1]}}
    reasons = attestation.check_deployable(staging, digest)
    assert (
        "the version reached stage 'staging', not 'prod'" in reasons and "1 approval(s) for prod, 2 required" in reasons
    )
    assert main(_verify(issued, "--stage", "staging")) == 1
    assert "reached stage 'prod', not 'staging'" in capsys.readouterr().out
