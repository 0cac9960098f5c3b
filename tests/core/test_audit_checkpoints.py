"""Signed checkpoints and Merkle proofs (RFC 9162): what an insider with write access to the log cannot
hide. Every attack the hash chain alone missed is run here against a log whose checkpoints are signed
after each append and kept in a second store the attacker cannot write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govhub.core import checkpoint, merkle
from govhub.core.audit import ENTRIES, HEAD, AuditEntry, AuditLog, entry_key
from govhub.core.checkpoint import LocalSigner
from govhub.core.store import LocalStore

# RFC 6962 / Certificate Transparency test vectors: roots of the first n of these eight leaves.
CT_LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43", bytes(range(0x50, 0x58)),
             bytes(range(0x60, 0x70))]  # fmt: skip
CT_ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


def test_tree_hashes_match_the_certificate_transparency_vectors() -> None:
    tree = merkle.MerkleTree([merkle.leaf_hash(x) for x in CT_LEAVES])
    assert {n: tree.root(n).hex() for n in CT_ROOTS} == CT_ROOTS


@settings(max_examples=40, deadline=None, derandomize=True)
@given(n=st.integers(1, 130), data=st.data())
def test_every_inclusion_and_consistency_proof_verifies_and_a_forged_one_does_not(n: int, data) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    tree = merkle.MerkleTree(leaves)
    index = data.draw(st.integers(0, n - 1))
    size = data.draw(st.integers(index + 1, n))
    proof = tree.inclusion_proof(index, size)
    merkle.verify_inclusion(index, size, leaves[index], proof, tree.root(size))
    old = data.draw(st.integers(1, n))
    consistency = tree.consistency_proof(old, n)
    merkle.verify_consistency(old, n, tree.root(old), tree.root(), consistency)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(index, size, merkle.leaf_hash(b"forged"), proof, tree.root(size))
    if proof:
        forged = [bytes(32), *proof[1:]]
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, leaves[index], forged, tree.root(size))
    if old < n:
        rewritten = merkle.MerkleTree([merkle.leaf_hash(b"x"), *leaves[1:]])
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old, n, rewritten.root(old), tree.root(), consistency)


def test_a_checkpoint_verifies_with_the_public_key_only_and_not_once_edited() -> None:
    signer = checkpoint.LocalSigner()
    cp = checkpoint.Checkpoint("govhub-audit-log file:///x", 7, bytes(range(32)), "2026-12-02T00:00:00+00:00")
    stored = checkpoint.sign(cp, signer)
    key = checkpoint.public_key(signer.public_key_pem())
    assert checkpoint.verify(stored, key, cp.origin) == cp
    edited = json.loads(stored)
    edited["note"] = edited["note"].replace("\n7\n", "\n9\n")
    with pytest.raises(checkpoint.CheckpointError, match="does not verify"):
        checkpoint.verify(json.dumps(edited).encode(), key)
    with pytest.raises(checkpoint.CheckpointError, match="does not verify"):
        checkpoint.verify(stored, checkpoint.public_key(checkpoint.LocalSigner().public_key_pem()))
    with pytest.raises(checkpoint.CheckpointError, match="not 'other'"):
        checkpoint.verify(stored, key, "other")


def test_the_kms_signer_signs_checkpoints_that_verify_offline() -> None:
    """moto's KMS implements Sign and GetPublicKey for ECC_NIST_P256 with ECDSA_SHA_256 (RSA-PSS
    signatures from moto did not verify with the standard salt length, so the hub key is ECC)."""
    import boto3
    from moto import mock_aws

    from govhub.backends.aws.signing import KmsSigner

    with mock_aws():
        kms = boto3.client("kms", region_name="eu-west-1")
        key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
        signer = KmsSigner(kms, key_id)
        cp = checkpoint.Checkpoint("govhub-audit-log s3://b", 3, bytes(32), "2026-12-02T00:00:00+00:00")
        stored = checkpoint.sign(cp, signer)
        pem = signer.public_key_pem()
    assert checkpoint.verify(stored, checkpoint.public_key(pem)) == cp


def test_a_message_over_4_kib_is_signed_as_its_digest_and_verifies_over_the_message() -> None:
    """moto's KMS has no MessageType=DIGEST, so this fake stands at the KMS client boundary and does
    what the KMS API reference says Sign does: RAW messages are hashed with SHA-256 by KMS, DIGEST
    messages are the 32-byte digest already; both yield a DER ECDSA signature."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    from govhub.backends.aws.signing import RAW_LIMIT, KmsSigner

    class FakeKms:
        def __init__(self) -> None:
            self.key = ec.generate_private_key(ec.SECP256R1())
            self.calls: list[str] = []

        def sign(self, *, KeyId, Message, MessageType, SigningAlgorithm):  # noqa: N803 - the API's names
            assert SigningAlgorithm == "ECDSA_SHA_256" and len(Message) <= RAW_LIMIT
            self.calls.append(MessageType)
            if MessageType == "DIGEST":
                assert len(Message) == 32
                return {"Signature": self.key.sign(Message, ec.ECDSA(utils.Prehashed(hashes.SHA256())))}
            return {"Signature": self.key.sign(Message, ec.ECDSA(hashes.SHA256()))}

        def get_public_key(self, *, KeyId):  # noqa: N803
            der = self.key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return {"PublicKey": der}

    kms = FakeKms()
    signer = KmsSigner(kms, "alias/govhub/audit-signing")
    key = checkpoint.public_key(signer.public_key_pem())
    for message in (b"x" * RAW_LIMIT, b"y" * (RAW_LIMIT + 1)):
        key.verify(signer.sign(message), message, ec.ECDSA(hashes.SHA256()))
    assert kms.calls == ["RAW", "DIGEST"]


# --------------------------------------------------------------------------- the attacks


@pytest.fixture()
def signed_log(tmp_path: Path) -> tuple[AuditLog, LocalStore, checkpoint.LocalSigner]:
    log = AuditLog(LocalStore(tmp_path / "log"))
    checkpoints = LocalStore(tmp_path / "checkpoints")
    signer = checkpoint.LocalSigner()
    for i in range(8):
        log.append("decision", f"arn:aws:sts::2:assumed-role/govhub-hub-service/svc-{i}", f"m/{i + 1}", {"n": i})
        log.sign_checkpoint(signer, checkpoints)
    return log, checkpoints, signer


def _verify(setup) -> list[tuple[str, int | None, str]]:
    log, checkpoints, signer = setup
    report = log.verify(checkpoints=checkpoints, public_key=checkpoint.public_key(signer.public_key_pem()))
    return [(p.kind, p.seq, p.message) for p in report.problems]


def _write(log: AuditLog, entries: list[AuditEntry], *, rechain_from: int = 1) -> None:
    """Rewrite entries consistently: re-link and re-hash from ``rechain_from`` on, move the head."""
    prev = "0" * 64 if rechain_from == 1 else entries[rechain_from - 2].hash
    for e in entries[rechain_from - 1 :]:
        fields = {**e.model_dump(mode="json"), "prev": prev}
        fields["hash"] = AuditEntry.digest(fields)
        entry = AuditEntry(**fields)
        log.store.put(entry_key(entry.seq), json.dumps(entry.model_dump(mode="json")).encode())
        prev = entry.hash
    log.store.put(HEAD, json.dumps({"seq": entries[-1].seq, "hash": prev}).encode())


def test_an_untouched_log_verifies(signed_log) -> None:
    assert _verify(signed_log) == []


def test_deleting_the_newest_entries_with_the_head_is_detected(signed_log) -> None:
    log = signed_log[0]
    root = Path(log.store.root)
    for seq in (6, 7, 8):
        (root / entry_key(seq)).unlink()
    (root / HEAD).unlink()
    assert [(k, s) for k, s, _ in _verify(signed_log)] == [("truncated", 6)]


def test_deleting_everything_is_detected(signed_log) -> None:
    log = signed_log[0]
    for path in (Path(log.store.root) / ENTRIES).iterdir():
        path.unlink()
    (Path(log.store.root) / HEAD).unlink()
    kinds = _verify(signed_log)
    assert [(k, s) for k, s, _ in kinds] == [("truncated", 1)] and "entries 1 to 8 were removed" in kinds[0][2]


def test_a_consistent_rewrite_of_the_tail_is_detected_and_named(signed_log) -> None:
    log = signed_log[0]
    entries = sorted(log.entries(), key=lambda e: e.seq)
    entries[5] = AuditEntry(**{**entries[5].model_dump(mode="json"), "details": {"n": 99}})
    _write(log, entries, rechain_from=6)
    assert log.verify().ok  # the hash chain alone sees nothing
    assert [(k, s) for k, s, _ in _verify(signed_log)] == [("modified", 6)]


def test_swapping_and_inserting_with_rechaining_are_detected(signed_log) -> None:
    log = signed_log[0]
    entries = sorted(log.entries(), key=lambda e: e.seq)
    swapped = [*entries[:2], *(AuditEntry(**{**e.model_dump(mode="json"), "seq": s})
                               for e, s in ((entries[3], 3), (entries[2], 4))), *entries[4:]]  # fmt: skip
    _write(log, swapped, rechain_from=3)
    assert [(k, s) for k, s, _ in _verify(signed_log)] == [("modified", 3)]


def test_replaying_an_old_entry_as_a_new_one_is_detected(signed_log) -> None:
    log = signed_log[0]
    entries = sorted(log.entries(), key=lambda e: e.seq)
    replay = AuditEntry(**{**entries[1].model_dump(mode="json"), "seq": 9})
    _write(log, [*entries, replay], rechain_from=9)
    problems = _verify(signed_log)
    assert [(k, s) for k, s, _ in problems] == [("inserted", 9)] and "replays entry 2" in problems[0][2]


def test_a_forged_head_neither_blocks_appends_nor_hides(signed_log) -> None:
    log, checkpoints, signer = signed_log
    log.store.put(HEAD, json.dumps({"seq": 10**6, "hash": "f" * 64}).encode())
    fresh = AuditLog(log.store)  # a new writer, who trusts nothing but the entries
    assert fresh.append("decision", "svc", "m/9", {"n": 9}).seq == 9
    fresh.sign_checkpoint(signer, checkpoints)
    problems = [(k, s) for k, s, _ in _verify((fresh, checkpoints, signer))]
    assert problems == [] or problems == [("modified", None)]  # the head moved on, or is reported as forged
    log.store.put(HEAD, json.dumps({"seq": 10**6, "hash": "f" * 64}).encode())
    report = _verify((fresh, checkpoints, signer))
    assert [(k, s) for k, s, _ in report] == [("modified", None)] and "damaged or forged" in report[0][2]


def _append_and_sign(root: str, checkpoints: str, pem: bytes, writer: str, n: int) -> None:
    log, store, signer = AuditLog(LocalStore(root)), LocalStore(checkpoints), checkpoint.LocalSigner(pem)
    for i in range(n):
        log.append("registration", writer, f"{writer}/{i}")
        if i % 10 == 9:
            log.sign_checkpoint(signer, store)


def test_a_verifier_running_during_appends_reports_nothing_false(tmp_path: Path) -> None:
    """Two processes x 150 appends on one folder store, signing checkpoints as they go, while this
    process verifies again and again: nothing lost, nothing forked, and no false report."""
    import multiprocessing

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    key = checkpoint.public_key(checkpoint.LocalSigner(pem).public_key_pem())
    root, cps = str(tmp_path / "log"), str(tmp_path / "checkpoints")
    AuditLog(LocalStore(root))  # the folders exist before the writers start
    (tmp_path / "log").mkdir()
    (tmp_path / "checkpoints").mkdir()
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_append_and_sign, args=(root, cps, pem, f"spoke{i}", 150)) for i in range(2)]
    for w in writers:
        w.start()
    reader, reports = AuditLog(LocalStore(root)), 0
    while any(w.is_alive() for w in writers):
        report = reader.verify(checkpoints=LocalStore(cps), public_key=key)
        assert report.ok, [p.message for p in report.problems]
        reports += 1
    for w in writers:
        w.join(120)
        assert w.exitcode == 0
    final = reader.verify(checkpoints=LocalStore(cps), public_key=key)
    assert final.ok and final.entries == 300 and reports > 0
    assert sorted(e.seq for e in reader.entries()) == list(range(1, 301))


def test_an_overwritten_entry_is_found_in_the_version_listing_on_s3() -> None:
    """moto S3 with versioning (as the hub's Object Lock bucket): a second version of an entry's key,
    even with the same bytes, and a delete marker are both reported."""
    import boto3
    from moto import mock_aws

    from govhub.backends.aws.store import S3Store

    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket="audit", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_versioning(Bucket="audit", VersioningConfiguration={"Status": "Enabled"})
        log = AuditLog(S3Store(s3, "audit"))
        for i in range(3):
            log.append("decision", "svc", f"m/{i}", {"n": i})
        assert log.verify().ok
        body = s3.get_object(Bucket="audit", Key=entry_key(2))["Body"].read()
        s3.put_object(Bucket="audit", Key=entry_key(2), Body=body)  # identical bytes, a new version
        s3.delete_object(Bucket="audit", Key=entry_key(3))
        problems = [(p.kind, p.seq) for p in log.verify().problems]
    assert ("modified", 2) in problems and ("removed", 3) in problems


def test_the_cli_signs_and_verifies_checkpoints_with_the_public_key_only(tmp_path: Path, capsys) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from govhub.cli import main

    private = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "hub.key").write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    (tmp_path / "hub.pem").write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))  # fmt: skip
    log, cps = tmp_path / "log", tmp_path / "checkpoints"
    cps.mkdir()
    audit = AuditLog(LocalStore(log))
    for i in range(5):
        audit.append("decision", "svc", f"m/{i}", {"n": i})
    sign = ["audit", "sign", "--from", str(log), "--checkpoints", str(cps), "--signing-key", str(tmp_path / "hub.key")]
    assert main(sign) == 0 and "size 5" in capsys.readouterr().out
    verify = [
        "audit",
        "verify",
        "--from",
        str(log),
        "--checkpoints",
        str(cps),
        "--public-key",
        str(tmp_path / "hub.pem"),
    ]
    assert main(verify) == 0 and "signed checkpoints in" in capsys.readouterr().out
    for name in ("000000000005.json", "000000000004.json"):
        (log / ENTRIES / name).unlink()
    (log / HEAD).unlink()
    assert main(verify) == 1
    assert "[truncated] the checkpoint signed at" in capsys.readouterr().err
    assert main(verify[:-2]) == 2 and "give --checkpoints and --public-key together" in capsys.readouterr().err


# --------------------------------------------------------------------------- random tamperings

KINDS = ("truncate", "wipe", "rewrite", "swap", "insert", "replay")


def _tamper(log: AuditLog, kind: str, at: int) -> tuple[str, int]:
    """Apply one tampering the way an insider with write access would (re-chaining and moving the head
    so the chain alone looks clean); returns the (kind, entry) verify must report."""
    root = Path(log.store.root)
    entries = sorted(log.entries(), key=lambda e: e.seq)
    n = len(entries)
    if kind == "truncate":
        for e in entries[at - 1 :]:
            (root / entry_key(e.seq)).unlink()
        (root / HEAD).unlink()
        return "truncated", at
    if kind == "wipe":
        for e in entries:
            (root / entry_key(e.seq)).unlink()
        (root / HEAD).unlink()
        return "truncated", 1
    if kind == "rewrite":
        entries[at - 1] = AuditEntry(**{**entries[at - 1].model_dump(mode="json"), "details": {"forged": True}})
        _write(log, entries, rechain_from=at)
        return "modified", at
    if kind == "swap":
        i, j = at - 1, min(at, n - 1)
        a, b = entries[i].model_dump(mode="json"), entries[j].model_dump(mode="json")
        entries[i], entries[j] = AuditEntry(**{**b, "seq": a["seq"]}), AuditEntry(**{**a, "seq": b["seq"]})
        _write(log, entries, rechain_from=at)
        return "modified", at
    if kind == "insert":
        forged = AuditEntry(**{**entries[at - 1].model_dump(mode="json"), "subject": "forged", "details": {}})
        shifted = [*entries[: at - 1], forged, *entries[at - 1 :]]
        renumbered = [AuditEntry(**{**e.model_dump(mode="json"), "seq": s}) for s, e in enumerate(shifted, 1)]
        _write(log, renumbered, rechain_from=at)
        return "modified", at
    replay = AuditEntry(**{**entries[at - 1].model_dump(mode="json"), "seq": n + 1})
    _write(log, [*entries, replay], rechain_from=n + 1)
    return "inserted", n + 1


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(2, 12), kind=st.sampled_from(KINDS), data=st.data())
def test_every_tampering_is_detected_with_its_kind_and_entry(n: int, kind: str, data) -> None:
    import tempfile

    at = data.draw(st.integers(1, n - 1 if kind == "swap" else n))
    with tempfile.TemporaryDirectory() as tmp:
        log, checkpoints, signer = AuditLog(LocalStore(Path(tmp) / "log")), LocalStore(Path(tmp) / "cps"), LocalSigner()
        (Path(tmp) / "cps").mkdir()
        for i in range(n):
            log.append("decision", f"svc-{i}", f"m/{i}", {"n": i})
            log.sign_checkpoint(signer, checkpoints)
        key = checkpoint.public_key(signer.public_key_pem())
        assert log.verify(checkpoints=checkpoints, public_key=key).ok  # untampered: never flagged
        expected = _tamper(log, kind, at)
        found = [(p.kind, p.seq) for p in log.verify(checkpoints=checkpoints, public_key=key).problems]
    assert expected in found, (kind, at, found)
