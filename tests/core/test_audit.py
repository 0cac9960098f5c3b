"""The audit log: hash chain, tamper detection of each kind, and concurrent appends without loss or fork."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from govhub.core.audit import ENTRIES, HEAD, AuditEntry, AuditLog, copy_log, entry_key
from govhub.core.store import LocalStore


def _log(tmp_path: Path, n: int = 6) -> AuditLog:
    log = AuditLog(LocalStore(tmp_path / "log"))
    for i in range(n):
        log.append(
            "decision",
            f"arn:aws:sts::222222222222:assumed-role/govhub-submit-fraud/ci-{i}",
            f"fraud-credit-scoring/{i + 1}",
            {"outcome": "pass" if i % 2 else "fail", "n": i},
        )
    return log


def _path(tmp_path: Path, seq: int) -> Path:
    return tmp_path / "log" / entry_key(seq)


def _kinds(log: AuditLog) -> list[tuple[str, int | None]]:
    return [(p.kind, p.seq) for p in log.verify().problems]


def test_chain_links_every_entry_to_the_previous_one(tmp_path: Path) -> None:
    log = _log(tmp_path)
    entries = log.entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev == "0" * 64
    assert all(b.prev == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert all(e.computed_hash() == e.hash for e in entries)
    report = log.verify()
    assert report.ok and report.entries == 6 and report.head_seq == 6 and report.last_hash == entries[-1].hash
    # a fresh reader (new process, no cached tail) continues the same chain from the head
    again = AuditLog(LocalStore(tmp_path / "log")).append("approval", "alice", "fraud-credit-scoring/2")
    assert again.seq == 7 and again.prev == entries[-1].hash


def test_modified_entry_is_pinpointed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    doc = json.loads(_path(tmp_path, 3).read_text())
    doc["details"]["outcome"] = "pass"  # quietly turn a failure into a pass
    _path(tmp_path, 3).write_text(json.dumps(doc))
    assert _kinds(log) == [("modified", 3)]


def test_modified_entry_with_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    log = _log(tmp_path)
    doc = json.loads(_path(tmp_path, 3).read_text())
    doc["actor"] = "someone-else"
    doc["hash"] = AuditEntry.digest(doc)
    _path(tmp_path, 3).write_text(json.dumps(doc))
    problems = log.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("inserted", 4)]
    assert "entry 3 was replaced" in problems[0].message


def test_removed_entry_is_pinpointed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _path(tmp_path, 4).unlink()
    problems = log.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("removed", 4)]
    assert "jumps from entry 3 to entry 5" in problems[0].message


def test_truncated_tail_is_caught_by_the_head(tmp_path: Path) -> None:
    log = _log(tmp_path)
    _path(tmp_path, 6).unlink()
    _path(tmp_path, 5).unlink()
    problems = log.verify().problems
    assert [(p.kind, p.seq) for p in problems] == [("truncated", 5)]
    assert "entries 5..6 were removed" in problems[0].message


def test_reordered_entries_are_pinpointed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    a, b = _path(tmp_path, 2), _path(tmp_path, 5)
    text_a, text_b = a.read_text(), b.read_text()
    a.write_text(text_b)
    b.write_text(text_a)
    kinds = _kinds(log)
    assert ("reordered", 2) in kinds and ("reordered", 5) in kinds


def test_inserted_entry_is_pinpointed(tmp_path: Path) -> None:
    log = _log(tmp_path)
    # forge an entry 4 that chains correctly onto entry 3, and shift the real 4..6 up by one
    for seq in (6, 5, 4):
        doc = json.loads(_path(tmp_path, seq).read_text())
        doc["seq"] = seq + 1
        doc["hash"] = AuditEntry.digest(doc)
        _path(tmp_path, seq + 1).write_text(json.dumps(doc))
    three = json.loads(_path(tmp_path, 3).read_text())
    forged = {
        "seq": 4,
        "time": three["time"],
        "type": "approval",
        "actor": "mallory",
        "subject": "fraud-credit-scoring/1",
        "details": {},
        "prev": three["hash"],
    }
    forged["hash"] = AuditEntry.digest(forged)
    _path(tmp_path, 4).write_text(json.dumps(forged))
    problems = log.verify().problems
    assert ("inserted", 5) in [(p.kind, p.seq) for p in problems]
    # an object dropped into the entries folder under any other name is reported too
    (tmp_path / "log" / ENTRIES / "000000000004-bis.json").write_text("{}")
    assert ("inserted", None) in _kinds(log)


def test_anchor_catches_a_fully_rewritten_tail(tmp_path: Path) -> None:
    log = _log(tmp_path)
    anchor = (5, log.entries()[4].hash)
    for seq in (5, 6):  # rewrite 5 and 6 consistently, head included: only an outside anchor can tell
        doc = json.loads(_path(tmp_path, seq).read_text())
        doc["actor"] = "mallory"
        if seq == 6:
            doc["prev"] = json.loads(_path(tmp_path, 5).read_text())["hash"]
        doc["hash"] = AuditEntry.digest(doc)
        _path(tmp_path, seq).write_text(json.dumps(doc))
    (tmp_path / "log" / HEAD).write_text(
        json.dumps({"seq": 6, "hash": json.loads(_path(tmp_path, 6).read_text())["hash"]})
    )
    assert log.verify().ok
    assert [(p.kind, p.seq) for p in log.verify(anchor=anchor).problems] == [("modified", 5)]


def test_copy_then_verify(tmp_path: Path) -> None:
    log = _log(tmp_path)
    assert copy_log(log.store, LocalStore(tmp_path / "copy")) == 7
    assert AuditLog(LocalStore(tmp_path / "copy")).verify().ok


def _append_many(root: str, writer: str, n: int) -> None:
    log = AuditLog(LocalStore(root))
    for i in range(n):
        log.append("registration", writer, f"{writer}/{i}")


def test_concurrent_appends_from_processes_neither_lose_nor_fork(tmp_path: Path) -> None:
    """Four real processes (two per 'spoke') append at once to one folder store; O_EXCL-style link(2)
    is the conditional write."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path / "log"), f"spoke{i}", 25)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    log = AuditLog(LocalStore(tmp_path / "log"))
    entries = log.entries()
    assert [e.seq for e in entries] == list(range(1, 101))
    assert sorted(e.subject for e in entries) == sorted(f"spoke{i}/{j}" for i in range(4) for j in range(25))
    assert log.verify().ok


def test_a_taken_sequence_number_is_a_conflict_not_an_overwrite(tmp_path: Path) -> None:
    from govhub.core.store import Conflict

    log = _log(tmp_path, 1)
    before = log.store.get(entry_key(1))
    with pytest.raises(Conflict):
        log.store.put(entry_key(1), b"{}", if_absent=True)
    assert log.store.get(entry_key(1)) == before
