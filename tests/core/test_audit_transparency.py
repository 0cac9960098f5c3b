"""Growing the signed log (issue 13): incremental checkpoints from a compact range, consistency between
a checkpoint an auditor kept and the newest one, copies that verify against the hub's checkpoints,
and concurrent appends on moto_server S3 with a verifier running."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govhub.cli import main
from govhub.core import checkpoint, merkle
from govhub.core.audit import CHECKPOINTS, AuditEntry, AuditLog, copy_log, entry_key
from govhub.core.checkpoint import LocalSigner, public_key
from govhub.core.store import LocalStore
from tests.core.test_audit_checkpoints import _write


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=300))
def test_the_compact_range_has_the_root_of_the_whole_tree(n: int) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    rng = merkle.CompactRange()
    for leaf in leaves:
        rng.append(leaf)
    assert rng.size == n and len(rng.nodes) == bin(n).count("1")
    assert rng.root() == merkle.MerkleTree(leaves).root()
    assert merkle.CompactRange(n, rng.nodes).root() == rng.root()
    with pytest.raises(ValueError):
        merkle.CompactRange(2 * n + 1, rng.nodes)  # one more set bit than the nodes given


def _pem(tmp_path: Path, signer: LocalSigner) -> Path:
    path = tmp_path / "hub.pem"
    path.write_bytes(signer.public_key_pem())
    return path


def test_incremental_checkpoints_equal_full_ones_and_recover_from_a_bad_state(tmp_path: Path) -> None:
    log, cps, signer = AuditLog(LocalStore(tmp_path / "log")), LocalStore(tmp_path / "cps"), LocalSigner()
    for i in range(23):
        log.append("decision", "svc", f"m/{i}", {"n": i})
        cp = log.sign_checkpoint(signer, cps)
        full = merkle.MerkleTree([merkle.leaf_hash(bytes.fromhex(e.hash)) for e in log.entries()])
        assert (cp.size, cp.root) == (full.size, full.root())
    # a checkpoint whose unsigned state is wrong: the next signature recomputes from the entries
    newest = sorted(cps.keys(CHECKPOINTS))[-1]
    doc = json.loads(cps.get(newest))
    doc["state"]["range"][0] = "00" * 32
    (Path(cps.root) / newest).write_text(json.dumps(doc))
    log.append("decision", "svc", "m/last")
    cp = log.sign_checkpoint(signer, cps)
    assert cp.size == 24 and log.verify(checkpoints=cps, public_key=public_key(signer.public_key_pem())).ok


def test_an_auditor_who_kept_a_checkpoint_sees_a_rewrite_even_by_someone_with_the_key(tmp_path: Path, capsys) -> None:
    """The worst insider: write access to the log, the checkpoints and the key. They rewrite entry 3,
    re-chain, delete every checkpoint and sign fresh ones. Verify alone passes (everything agrees);
    the checkpoint the auditor kept does not: the new log is not an extension of it."""
    root, cps_dir = tmp_path / "log", tmp_path / "cps"
    log, cps, signer = AuditLog(LocalStore(root)), LocalStore(cps_dir), LocalSigner()
    pem = _pem(tmp_path, signer)
    for i in range(6):
        log.append("decision", "svc", f"m/{i}", {"n": i})
    log.sign_checkpoint(signer, cps)
    kept = tmp_path / "kept.json"
    common = ["--from", str(root), "--checkpoints", str(cps_dir), "--public-key", str(pem)]
    assert main(["audit", "checkpoint", *common, "--out", str(kept)]) == 0
    assert "6 entries" in capsys.readouterr().out
    for i in range(6, 9):
        log.append("decision", "svc", f"m/{i}", {"n": i})
    log.sign_checkpoint(signer, cps)
    assert main(["audit", "verify", *common, "--since", str(kept)]) == 0
    assert "are a prefix of the 9 signed" in capsys.readouterr().out
    # the rewrite, with the key
    entries = sorted(log.entries(), key=lambda e: e.seq)
    forged = entries[2].model_dump(mode="json")
    forged["details"] = {"n": 2, "outcome": "pass"}
    entries[2] = AuditEntry(**{**forged, "hash": AuditEntry.digest(forged)})
    _write(log, entries, rechain_from=3)
    for name in list(cps.keys(CHECKPOINTS)):
        (cps_dir / name).unlink()
    AuditLog(LocalStore(root)).sign_checkpoint(signer, cps)
    assert main(["audit", "verify", *common]) == 0  # self-consistent
    capsys.readouterr()
    assert main(["audit", "verify", *common, "--since", str(kept)]) == 1
    assert "the old log was rewritten" in capsys.readouterr().err


def test_a_copy_verifies_against_the_checkpoints_signed_for_the_original(tmp_path: Path, capsys) -> None:
    log, cps, signer = AuditLog(LocalStore(tmp_path / "log")), LocalStore(tmp_path / "cps"), LocalSigner()
    for i in range(4):
        log.append("decision", "svc", f"m/{i}")
        log.sign_checkpoint(signer, cps)
    log.append("decision", "svc", "m/unsigned")
    copy = tmp_path / "copy"
    copy_log(log.store, LocalStore(copy), checkpoints=cps)
    pem = _pem(tmp_path, signer)
    args = ["audit", "verify", "--from", str(copy), "--checkpoints", str(copy), "--public-key", str(pem)]
    assert main(args) == 0
    assert "entries 5..5 are newer than the newest checkpoint" in capsys.readouterr().out
    assert main([*args, "--public-key-sha256", "0" * 64]) == 2
    assert "not the pinned" in capsys.readouterr().err
    (copy / entry_key(2)).write_text((copy / entry_key(2)).read_text().replace("m/1", "m/9"))
    assert main(args) == 1


def _append_s3(endpoint: str, bucket: str, checkpoints: str, pem: bytes, writer: str, n: int) -> None:
    import boto3

    from govhub.backends.aws.store import S3Store

    os.environ["AWS_ENDPOINT_URL"] = endpoint
    s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    log, store, signer = AuditLog(S3Store(s3, bucket)), S3Store(s3, checkpoints), LocalSigner(pem)
    for i in range(n):
        log.append("registration", writer, f"{writer}/{i}")
        if i % 10 == 9:
            log.sign_checkpoint(signer, store)


def test_two_writers_and_a_verifier_on_moto_server_s3(tmp_path: Path, monkeypatch) -> None:
    """Two processes x 150 appends through S3's create-only writes (If-None-Match) on a real
    moto_server, signing checkpoints as they go, while this process verifies again and again: nothing
    lost, nothing forked, nothing falsely reported."""
    import boto3
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from govhub.backends.aws.store import S3Store
    from tools.emulator import MotoServer

    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    key = checkpoint.public_key(LocalSigner(pem).public_key_pem())
    with MotoServer(log=tmp_path / "moto.log") as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
        s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
        for bucket in ("audit", "checkpoints"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        ctx = multiprocessing.get_context("spawn")
        writers = [
            ctx.Process(target=_append_s3, args=(server.endpoint, "audit", "checkpoints", pem, f"spoke{i}", 150))
            for i in range(2)
        ]
        for w in writers:
            w.start()
        reader, cps, reports = AuditLog(S3Store(s3, "audit")), S3Store(s3, "checkpoints"), 0
        while any(w.is_alive() for w in writers):
            report = reader.verify(checkpoints=cps, public_key=key)
            assert report.ok, [p.message for p in report.problems]
            reports += 1
        for w in writers:
            w.join(300)
            assert w.exitcode == 0
        final = reader.verify(checkpoints=cps, public_key=key)
        seqs = sorted(e.seq for e in reader.entries())  # read while the server runs (it is stopped after)
    assert final.ok and final.entries == 300 and reports > 0, [p.message for p in final.problems]
    assert seqs == list(range(1, 301))


def test_signing_finds_the_newest_checkpoint_from_the_head_without_listing_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One checkpoint per request means as many checkpoints as requests: the signer lists only a window
    below the head's size, and a forged head (seq 10^6) costs a full listing, never a wrong root."""
    from govhub.core import audit as audit_module
    from govhub.core.audit import HEAD, AuditLog
    from govhub.core.checkpoint import CHECKPOINTS, LocalSigner, public_key
    from govhub.core.store import LocalStore

    class Listing(LocalStore):
        def __init__(self, root: Path) -> None:
            super().__init__(root)
            self.listed: list[str] = []

        def keys(self, prefix: str, start_after: str = ""):
            if prefix == CHECKPOINTS:
                self.listed.append(start_after)
            return super().keys(prefix, start_after)

    monkeypatch.setattr(audit_module, "CHECKPOINT_WINDOW", 5)
    log, checkpoints, signer = AuditLog(LocalStore(tmp_path / "log")), Listing(tmp_path / "cp"), LocalSigner()
    for i in range(30):
        log.append("decision", "svc", f"m/{i}", {"n": i})
        log.sign_checkpoint(signer, checkpoints)
    checkpoints.listed.clear()
    log.append("decision", "svc", "m/30", {"n": 30})
    cp = log.sign_checkpoint(signer, checkpoints)
    assert checkpoints.listed == [f"{CHECKPOINTS}{26:012d}.json"] and cp.size == 31
    log.store.put(HEAD, b'{"seq": 1000000, "hash": "' + b"0" * 64 + b'"}')
    log.append("decision", "svc", "m/31", {"n": 31})
    cp = log.sign_checkpoint(signer, checkpoints)
    assert cp.size == 32 and "" in checkpoints.listed  # the window was empty: everything was listed
    report = log.verify(checkpoints=checkpoints, public_key=public_key(signer.public_key_pem()))
    assert report.signed_size == 32 and [p.key for p in report.problems] == [HEAD]  # only the forged head
