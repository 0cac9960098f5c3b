"""What the hub service signs (issue 13), on the moto hub: a checkpoint of the audit log after every
request that appends, in the checkpoint bucket, with the hub's asymmetric KMS key (moto implements
Sign/GetPublicKey for ECC_NIST_P256 with ECDSA_SHA_256 and RAW messages); an in-toto attestation in a
DSSE envelope for every decision and promotion; and the evidence pack's inclusion proofs, which
verify offline with the public key only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govhub.backends.aws import names
from govhub.cli import main
from govhub.core import keys
from govhub.core.attestation import check_deployable, open_envelope
from govhub.core.audit import check_inclusion
from govhub.core.checkpoint import CHECKPOINTS, public_key
from govhub.core.checkpoint import verify as verify_checkpoint
from govhub.core.workflow import export, latest_attestation
from tests.core.test_workflow import JUSTIFY, PLAN
from tests.mothub import MotoHub, moto_hub
from tests.service.test_service import _registered, person, team

MODEL = "ab" * 32


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with moto_hub(tmp_path, monkeypatch, ("high",)) as h:
        yield h


def _to_prod(hub: MotoHub, model: str = MODEL) -> str:
    ref = _registered(hub, model=model)
    erin, grace = person(hub, "erin@acme.example"), person(hub, "grace@acme.example")
    assert erin.call("promote", ref=ref, stage="dev")[0] == 200
    assert erin.call("approve", ref=ref, stage="staging", justification=JUSTIFY)[0] == 200
    assert erin.call("promote", ref=ref, stage="staging")[0] == 200
    for who in (erin, grace):
        assert who.call("approve", ref=ref, stage="prod", justification=JUSTIFY)[0] == 200
    assert team(hub).call("monitoring_attach", ref=ref, plan=PLAN)[0] == 200
    status, body = grace.call("promote", ref=ref, stage="prod")
    assert status == 200, body
    return ref


def _key(hub: MotoHub):
    return public_key(hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor").signer.public_key_pem())


def test_every_appending_request_leaves_a_signed_checkpoint_of_the_whole_log(hub: MotoHub) -> None:
    status, body = team(hub).submit(_evidence_pass())
    assert status == 200 and body["checkpoint"]["size"] >= 2, body
    ref = body["result"]["model_version"]
    status, body = person(hub, "erin@acme.example").call("promote", ref=ref, stage="dev")
    assert status == 200
    auditor = hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor")
    entries = auditor.audit.entries()
    assert body["checkpoint"]["size"] == len(entries)
    stored = list(auditor.checkpoints.keys(CHECKPOINTS))
    newest = verify_checkpoint(auditor.checkpoints.get(stored[-1]), _key(hub), auditor.audit.origin())
    assert newest.size == len(entries) and newest.root.hex() == body["checkpoint"]["root"]
    report = auditor.audit.verify(checkpoints=auditor.checkpoints, public_key=_key(hub))
    assert report.ok and report.signed_size == len(entries)


def test_a_refused_request_signs_nothing_new_and_breaks_nothing(hub: MotoHub) -> None:
    ref = _registered(hub)
    status, body = person(hub, "erin@acme.example").call("promote", ref=ref, stage="prod")
    assert status == 409 and "checkpoint" not in body


def test_the_prod_attestation_allows_exactly_this_artifact(hub: MotoHub, tmp_path: Path, capsys) -> None:
    ref = _to_prod(hub)
    reader = hub.as_team("fraud")
    uri, envelope = latest_attestation(reader, "fraud", ref, "prod")
    assert uri.endswith("-prod.intoto.json")
    stmt = open_envelope(envelope, _key(hub))
    assert check_deployable(stmt, MODEL, "prod") == []
    assert stmt["predicate"]["approvals_required"] == 2 and stmt["predicate"]["audit_entry"]["type"] == "promotion"
    assert check_deployable(stmt, "cd" * 32, "prod")  # another artifact
    registered = open_envelope(latest_attestation(reader, "fraud", ref, "registered")[1], _key(hub))
    assert any("stage 'registered'" in r for r in check_deployable(registered, MODEL, "prod"))
    # the CLI a deployment pipeline runs: fetch (team role), then verify with the pinned key
    artifact = tmp_path / "model.pkl"
    artifact.write_bytes(b"not the model")
    (tmp_path / "hub.pem").write_bytes(reader.signer.public_key_pem())
    (tmp_path / "att.json").write_bytes(envelope)
    args = ["attest", "verify", "--model-artifact", str(artifact), "--attestation", str(tmp_path / "att.json")]
    assert main([*args, "--public-key", str(tmp_path / "hub.pem")]) == 1
    assert "another artifact" in capsys.readouterr().out


def test_the_evidence_pack_proves_its_entries_offline(hub: MotoHub, tmp_path: Path, capsys) -> None:
    ref = _to_prod(hub)
    pack = export(hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor"), ref)
    t = pack["transparency"]
    assert t["checkpoint"] and len(t["proofs"]) == len(pack["audit_entries"]) and not t["not_yet_signed"]
    assert check_inclusion(t, pack["audit_entries"], _key(hub)) == []
    path, pem = tmp_path / "pack.json", tmp_path / "hub.pem"
    path.write_text(json.dumps(pack, default=str))
    pem.write_text(t["public_key_pem"])
    assert main(["audit", "verify-export", str(path), "--public-key", str(pem)]) == 0
    assert "inclusion proofs" in capsys.readouterr().out
    # an edited entry, a dropped proof, an edited decision document: each is named
    edited = json.loads(path.read_text())
    edited["audit_entries"][0]["details"]["risk_tier"] = "minimal"
    edited["transparency"]["proofs"].pop()
    edited["decision_document"]["text"] = edited["decision_document"]["text"].replace("pass", "fail")
    path.write_text(json.dumps(edited))
    assert main(["audit", "verify-export", str(path), "--public-key", str(pem)]) == 1
    err = capsys.readouterr().err
    assert "was edited in the pack" in err and "has no inclusion proof" in err and "decision document was edited" in err


def test_only_the_stack_named_key_and_bucket_hold_the_records(hub: MotoHub) -> None:
    """The coordinates name the checkpoint bucket and the signing key the hub stack creates."""
    coords = hub.coords
    assert coords.checkpoint_bucket == names.checkpoint_bucket_name(coords.account, coords.region)
    assert coords.signing_key.endswith(names.SIGNING_KEY_ALIAS)
    ref = _registered(hub)
    group, version = ref.split("/")
    listed = list(hub.as_team("fraud").artifacts.keys(keys.attestation_prefix("fraud", group, version)))
    assert len(listed) == 1 and listed[0].endswith("-registered.intoto.json")


def _evidence_pass():
    from tests.core.test_workflow import _evidence

    return _evidence(0.95)
