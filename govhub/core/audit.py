"""The audit log: append-only, hash-chained, one object per entry, in the hub's object-lock bucket.

Entry ``n`` is stored at ``govhub-audit-log/entries/<n, 12 digits>.json`` and carries the sha256 of
entry ``n-1`` (``prev``) and its own hash over every other field (``hash``). An append writes the
next sequence number with a create-only precondition (S3 ``If-None-Match: *``), so two writers that
race for the same number cannot both win: the loser re-reads the tail and retries on top of the
winner's entry. Nothing is lost and the chain never forks.

``head.json`` records the newest entry's number and hash after each append; it catches a truncated
tail, which a chain alone cannot show. ``verify`` walks everything and names each modified, removed,
reordered or inserted entry. In the hub bucket, Object Lock (compliance mode) stops these changes
from happening at all; verification proves it to an auditor and checks exported copies.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govhub.canonical import digest_of
from govhub.core.checkpoint import CHECKPOINTS, Checkpoint, CheckpointError, Signer, checkpoint_key
from govhub.core.checkpoint import parse_unverified as parse_checkpoint
from govhub.core.checkpoint import sign as sign_checkpoint
from govhub.core.checkpoint import verify as verify_checkpoint
from govhub.core.merkle import CompactRange, MerkleTree, leaf_hash
from govhub.core.store import Conflict, Missing, ObjectStore

PREFIX = "govhub-audit-log/"
ENTRIES = PREFIX + "entries/"
HEAD = PREFIX + "head.json"
ORIGIN = PREFIX + "origin"
GENESIS = "0" * 64
KEY_PATTERN = re.compile(r"^(\d{12})\.json$")
MAX_ATTEMPTS = 60
CHECKPOINT_WINDOW = 1000  # how far below the head's size to look for the newest checkpoint (one list page)
EventType = Literal[
    "registration",
    "decision",
    "waiver",
    "approval",
    "rejection",
    "promotion",
    "policy_publish",
    "monitoring_plan",
    "refusal",  # a change the hub refused: who asked, for what, and why
    "waiver_request",  # a team member asks the approvers to waive one failing gate
]


class AuditError(RuntimeError):
    """The log could not be appended to or read; the message says what to do."""


class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=1)
    time: str
    type: EventType
    actor: str = Field(description="who: the caller's identity (role session) as the hub saw it")
    subject: str = Field(description="what: a model version (group/version) or policy:<name>@<version>")
    details: dict[str, Any] = Field(default_factory=dict)
    prev: str = Field(pattern=r"^[0-9a-f]{64}$")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")

    @staticmethod
    def digest(fields: Mapping[str, Any]) -> str:
        body = {k: v for k, v in fields.items() if k != "hash"}
        return digest_of(body)

    def computed_hash(self) -> str:
        return self.digest(self.model_dump(mode="json"))


def leaves(entries: Iterable[AuditEntry]) -> list[bytes]:
    """The Merkle leaves of entries in sequence order: each entry's own hash (over all its fields)."""
    return [leaf_hash(bytes.fromhex(e.hash)) for e in entries]


def entry_key(seq: int) -> str:
    return f"{ENTRIES}{seq:012d}.json"


@dataclass(frozen=True)
class Problem:
    seq: int | None
    key: str
    kind: Literal["modified", "removed", "reordered", "inserted", "unreadable", "truncated"]
    message: str


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    head_seq: int | None
    last_hash: str
    problems: tuple[Problem, ...]
    signed_size: int | None = None
    """Entries the newest signed checkpoint covers (None: checkpoints were not checked)."""

    @property
    def ok(self) -> bool:
        return not self.problems


class AuditLog:
    def __init__(
        self,
        store: ObjectStore,
        *,
        retention_days: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.store, self.retention_days, self.clock = store, retention_days, clock
        self._tail: AuditEntry | None = None
        self._origin: str | None = None

    # ------------------------------------------------------------------ append

    def append(self, type: EventType, actor: str, subject: str, details: Mapping[str, Any] | None = None) -> AuditEntry:
        details = json.loads(json.dumps(dict(details or {}), default=str))  # canonical, JSON-only values
        for attempt in range(MAX_ATTEMPTS):
            tail = self._refresh_tail()
            now = self.clock()
            fields: dict[str, Any] = {
                "seq": (tail.seq if tail else 0) + 1,
                "time": now.isoformat(timespec="microseconds"),
                "type": type,
                "actor": actor,
                "subject": subject,
                "details": details,
                "prev": tail.hash if tail else GENESIS,
            }
            entry = AuditEntry(**fields, hash=AuditEntry.digest(fields))
            retain = now + timedelta(days=self.retention_days) if self.retention_days else None
            try:
                self.store.put(entry_key(entry.seq), _dump(entry), if_absent=True, retain_until=retain)
            except Conflict:
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # another writer took this number
                continue
            self._tail = entry
            self._write_head(entry)
            return entry
        raise AuditError(
            f"could not append to the audit log in {self.store.uri} after {MAX_ATTEMPTS} attempts: "
            "too many concurrent writers; retry the command"
        )

    def _refresh_tail(self) -> AuditEntry | None:
        start = entry_key(self._tail.seq) if self._tail else self._head_hint()
        if start and not self._tail and not self.store.exists(start):
            start = ""  # a damaged or forged head names no entry: recover the tail from the entries themselves
        last = None
        for key in self.store.keys(ENTRIES, start_after=start):
            if KEY_PATTERN.match(key.removeprefix(ENTRIES)):
                last = key
        if last is None:
            if self._tail is not None or not start:
                return self._tail
            last = start  # the hinted head is still the tail
        try:
            self._tail = AuditEntry.model_validate_json(self.store.get(last))
        except (ValidationError, Missing) as exc:
            raise AuditError(
                f"the audit log's newest entry {self.store.uri_of(last)} is unreadable ({exc}); "
                "run `govhub audit verify` and escalate to the platform team before writing"
            ) from None
        return self._tail

    def _head_hint(self) -> str:
        try:
            head = json.loads(self.store.get(HEAD))
            return entry_key(int(head["seq"]))
        except (Missing, ValueError, KeyError, TypeError):
            return ""

    def _write_head(self, entry: AuditEntry) -> None:
        head = json.dumps({"seq": entry.seq, "hash": entry.hash}).encode()
        try:
            current = json.loads(self.store.get(HEAD))
            if int(current.get("seq", 0)) >= entry.seq:
                return  # a concurrent writer already moved the head past us
        except (Missing, ValueError, TypeError):
            pass
        self.store.put(HEAD, head)

    # ------------------------------------------------------------------ read

    def entries(self) -> list[AuditEntry]:
        out = []
        for key in self.store.keys(ENTRIES):
            try:
                out.append(AuditEntry.model_validate_json(self.store.get(key)))
            except ValidationError:
                continue  # verify() reports it; readers see only well-formed entries
        return out

    def for_subject(self, subject: str) -> list[AuditEntry]:
        return [e for e in self.entries() if e.subject == subject]

    # ------------------------------------------------------------------ verify

    def verify(
        self,
        anchor: tuple[int, str] | None = None,
        *,
        checkpoints: ObjectStore | None = None,
        public_key: Any = None,
    ) -> VerifyReport:
        problems: list[Problem] = []
        chain: list[tuple[str, AuditEntry]] = []
        # A consistent snapshot: the head (and the checkpoints) are read before the entries. Writers
        # put an entry before they move the head or sign, so concurrent appends can only add entries
        # beyond what the head and the checkpoints claim, never make them look truncated.
        head = self._read_head()
        signed = self._read_checkpoints(checkpoints, public_key, problems) if checkpoints and public_key else None
        for key in self.store.keys(ENTRIES):
            name = key.removeprefix(ENTRIES)
            match = KEY_PATTERN.match(name)
            if not match:
                problems.append(
                    Problem(
                        None, key, "inserted", f"{key}: an object that is not an audit entry was inserted into the log"
                    )
                )
                continue
            try:
                entry = AuditEntry.model_validate_json(self.store.get(key))
            except ValidationError as exc:
                problems.append(
                    Problem(
                        int(match[1]),
                        key,
                        "modified",
                        f"entry {int(match[1])} ({key}) is not a valid audit entry any more: {exc.errors()[0]['msg']}",
                    )
                )
                continue
            if entry.seq != int(match[1]):
                problems.append(
                    Problem(
                        int(match[1]),
                        key,
                        "reordered",
                        f"entry {int(match[1])} ({key}) holds entry {entry.seq}: entries were moved or reordered",
                    )
                )
            if entry.computed_hash() != entry.hash:
                problems.append(
                    Problem(
                        entry.seq,
                        key,
                        "modified",
                        f"entry {entry.seq} ({key}) was modified after "
                        "it was written: its content no longer matches its hash",
                    )
                )
            chain.append((key, entry))
        problems += _check_links(chain)
        problems += _check_replays(chain)
        problems += self._check_versions()
        covered = max((c.size for c in signed), default=0) if signed is not None else None
        head_seq, last = self._check_head(chain, problems, head, covered)
        if signed is not None:
            problems += self.check_checkpoints(signed, chain)
        if anchor is not None:
            seq, digest = anchor
            found = next((e for _, e in chain if e.seq == seq), None)
            if found is None or found.hash != digest:
                problems.append(
                    Problem(
                        seq,
                        entry_key(seq),
                        "modified",
                        f"entry {seq} does not match the anchor {digest[:12]}…: the log was rewritten from there on",
                    )
                )
        return VerifyReport(
            entries=len(chain), head_seq=head_seq, last_hash=last, problems=tuple(problems), signed_size=covered
        )

    # ------------------------------------------------------------------ signed checkpoints

    def origin(self) -> str:
        """The log's name in its checkpoints: the hub store's URI, kept by copies (``ORIGIN``) so that a
        copy verifies against the checkpoints the hub signed for the original."""
        if self._origin is None:
            try:
                self._origin = self.store.get(ORIGIN).decode().strip()
            except (Missing, UnicodeDecodeError):
                self._origin = f"govhub-audit-log {self.store.uri}"
        return self._origin

    def sign_checkpoint(self, signer: Signer, checkpoints: ObjectStore) -> Checkpoint:
        """Sign the log as it is now (size, Merkle root, time) and store it create-only, under its size,
        in ``checkpoints``: a location the log's writers cannot write. The tree is extended from the
        newest checkpoint's compact range with the entries after it; from the start when that state is
        missing or does not reproduce its checkpoint."""
        rng, last, entries = self._extend_from(checkpoints)
        try:
            return self._sign(signer, checkpoints, rng, last, entries)
        except AuditError:
            if not rng.size:
                raise
        # the stored state does not continue into the entries: recompute the tree from the start
        return self._sign(signer, checkpoints, CompactRange(), GENESIS, self._all_in_order())

    def _sign(
        self, signer: Signer, checkpoints: ObjectStore, rng: CompactRange, last: str, entries: list[AuditEntry]
    ) -> Checkpoint:
        for entry in entries:
            if entry.seq != rng.size + 1 or entry.prev != last:
                raise AuditError(
                    f"the audit log in {self.store.uri} has gaps or broken links at entry {rng.size + 1}; "
                    "run `govhub audit verify` before signing a checkpoint"
                )
            rng.append(leaf_hash(bytes.fromhex(entry.hash)))
            last = entry.hash
        return self._write_checkpoint(signer, checkpoints, rng, last)

    def _write_checkpoint(self, signer: Signer, checkpoints: ObjectStore, rng: CompactRange, last: str) -> Checkpoint:
        cp = Checkpoint(self.origin(), rng.size, rng.root(), self.clock().isoformat(timespec="seconds"))
        state = {"range": [n.hex() for n in rng.nodes], "last": last}
        try:
            checkpoints.put(checkpoint_key(cp.size), sign_checkpoint(cp, signer, state), if_absent=True)
        except Conflict:
            pass  # a checkpoint of this size exists; verify() compares it with the entries
        return cp

    def _all_in_order(self) -> list[AuditEntry]:
        return sorted(self.entries(), key=lambda e: e.seq)

    def _extend_from(self, checkpoints: ObjectStore) -> tuple[CompactRange, str, list[AuditEntry]]:
        """(compact range, last entry hash, entries after it) from the newest usable checkpoint."""
        newest = self._newest_checkpoint_key(checkpoints)
        if newest is not None:
            try:
                cp, state = parse_checkpoint(checkpoints.get(newest))
                rng = CompactRange(cp.size, [bytes.fromhex(n) for n in state["range"]])
                last = str(state["last"])
                if rng.root() == cp.root and len(last) == 64:
                    after = [
                        AuditEntry.model_validate_json(self.store.get(k))
                        for k in self.store.keys(ENTRIES, start_after=entry_key(cp.size))
                        if KEY_PATTERN.match(k.removeprefix(ENTRIES))
                    ]
                    return rng, last, sorted(after, key=lambda e: e.seq)
            except (CheckpointError, Missing, KeyError, TypeError, ValueError):
                pass
        return CompactRange(), GENESIS, self._all_in_order()

    def _newest_checkpoint_key(self, checkpoints: ObjectStore) -> str | None:
        """The newest checkpoint's key without listing them all: the service signs after every request,
        so there is one checkpoint per request, and the newest sits just below the head's size. The
        head is only a hint: when the window holds none (a forged or missing head), list everything.
        Whatever is found is trusted only once its stored state reproduces its signed root."""
        hint = KEY_PATTERN.match(self._head_hint().removeprefix(ENTRIES))
        if hint:
            start = checkpoint_key(max(0, int(hint[1]) - CHECKPOINT_WINDOW))
            near = list(checkpoints.keys(CHECKPOINTS, start_after=start))
            if near:
                return near[-1]
        newest = None
        for name in checkpoints.keys(CHECKPOINTS):
            newest = name
        return newest

    def newest_checkpoint(self, checkpoints: ObjectStore, key: Any) -> tuple[Checkpoint, bytes] | None:
        """The newest signed checkpoint that verifies with ``key``, and its stored form."""
        for name in reversed(list(checkpoints.keys(CHECKPOINTS))):
            raw = checkpoints.get(name)
            try:
                return verify_checkpoint(raw, key, self.origin()), raw
            except CheckpointError:
                continue  # verify() names it
        return None

    def consistency(self, old: Checkpoint, checkpoints: ObjectStore, key: Any) -> tuple[Checkpoint, list[bytes]]:
        """Prove that the log an auditor saw at checkpoint ``old`` is a prefix of the log at the newest
        signed checkpoint (RFC 9162 consistency proof, computed from the entries and checked against
        both signed roots). Raises :class:`~govhub.core.merkle.ProofError` when it is not."""
        from govhub.core.merkle import ProofError, verify_consistency

        found = self.newest_checkpoint(checkpoints, key)
        if found is None:
            raise ProofError(f"no signed checkpoint in {checkpoints.uri} verifies with the hub's public key")
        new = found[0]
        if new.size < old.size:
            raise ProofError(
                f"the newest signed checkpoint ({new.size} entries) is smaller than yours ({old.size}): the log shrank"
            )
        tree = MerkleTree(leaves(self._all_in_order()))
        if tree.size < new.size:
            raise ProofError(f"the log holds {tree.size} entries, fewer than its checkpoint of {new.size}")
        proof = tree.consistency_proof(old.size, new.size) if old.size else []
        if old.size:
            verify_consistency(old.size, new.size, old.root, new.root, proof)
        return new, proof

    def inclusion_proofs(self, subset: Iterable[AuditEntry], checkpoints: ObjectStore, key: Any) -> dict[str, Any]:
        """For each entry of ``subset``, its RFC 9162 audit path in the newest signed checkpoint: with the
        checkpoint and the public key, an auditor checks offline that each entry is in the signed log."""
        found = self.newest_checkpoint(checkpoints, key)
        if found is None:
            return {"checkpoint": None, "proofs": [], "not_yet_signed": sorted(e.seq for e in subset)}
        cp, raw = found
        ordered = self._all_in_order()
        tree = MerkleTree(leaves(ordered[: cp.size]))
        proofs, unsigned = [], []
        for entry in sorted(subset, key=lambda e: e.seq):
            if entry.seq > cp.size:
                unsigned.append(entry.seq)
                continue
            path = tree.inclusion_proof(entry.seq - 1, cp.size)
            proofs.append({"seq": entry.seq, "leaf_index": entry.seq - 1, "audit_path": [h.hex() for h in path]})
        return {"checkpoint": json.loads(raw), "proofs": proofs, "not_yet_signed": unsigned}

    def _read_checkpoints(self, checkpoints: ObjectStore, key: Any, problems: list[Problem]) -> list[Checkpoint]:
        signed: list[Checkpoint] = []
        for name in checkpoints.keys(CHECKPOINTS):
            try:
                signed.append(verify_checkpoint(checkpoints.get(name), key, self.origin()))
            except CheckpointError as exc:
                problems.append(Problem(None, name, "modified", f"checkpoint {name}: {exc}"))
        return signed

    def check_checkpoints(self, signed: list[Checkpoint], chain: list[tuple[str, AuditEntry]]) -> list[Problem]:
        """Every signed checkpoint against the entries: a checkpoint larger than the log means entries
        were removed (head record or not); a root that the first ``size`` entries do not reproduce
        means they were rewritten, reordered, inserted or replaced, re-chained or not."""
        problems: list[Problem] = []
        entries = sorted((e for _, e in chain), key=lambda e: e.seq)
        tree = MerkleTree(leaves(entries))
        previous = 0
        for cp in sorted((c for c in signed if c.size <= tree.size), key=lambda c: c.size):
            if tree.root(cp.size) != cp.root:
                first = previous + 1
                where = f"entry {first} was" if cp.size == first else f"an entry between {first} and {cp.size} was"
                problems.append(
                    Problem(first, entry_key(first), "modified",
                            f"the first {cp.size} entries do not reproduce the checkpoint signed at {cp.time}: "
                            f"{where} rewritten, moved, inserted or replayed (re-chained or not)")
                )  # fmt: skip
                break
            previous = cp.size
        newest = max(signed, key=lambda c: c.size, default=None)
        if newest is not None and newest.size > tree.size:
            problems.append(
                Problem(tree.size + 1, entry_key(tree.size + 1), "truncated",
                        f"the checkpoint signed at {newest.time} covers {newest.size} entries but the log holds "
                        f"{tree.size}: entries {tree.size + 1} to {newest.size} were removed")
            )  # fmt: skip
        return problems

    def _check_versions(self) -> list[Problem]:
        """Object Lock stops deletes, not a new version of a key: every entry key must hold exactly
        one version and no delete marker (read from the store's version listing, not current objects)."""
        counts = self.store.versions(ENTRIES)
        problems = []
        for key, (versions, markers) in sorted((counts or {}).items()):
            match = KEY_PATTERN.match(key.removeprefix(ENTRIES))
            seq = int(match[1]) if match else None
            if versions > 1:
                problems.append(Problem(seq, key, "modified", f"entry {seq} ({key}) has {versions} versions: it was "
                                        "overwritten after it was written (the current version may look clean)"))  # fmt: skip
            if markers:
                problems.append(Problem(seq, key, "removed", f"entry {seq} ({key}) carries {markers} delete "
                                        "marker(s): someone deleted it"))  # fmt: skip
        return problems

    def _read_head(self) -> bytes | None:
        try:
            return self.store.get(HEAD)
        except Missing:
            return None

    def _check_head(
        self, chain: list[tuple[str, AuditEntry]], problems: list[Problem], raw: bytes | None, covered: int | None
    ) -> tuple[int | None, str]:
        last = chain[-1][1] if chain else None
        if raw is None:
            return None, last.hash if last else GENESIS
        try:
            head = json.loads(raw)
            head_seq, head_hash = int(head["seq"]), str(head["hash"])
        except (ValueError, KeyError, TypeError):
            problems.append(Problem(None, HEAD, "modified", f"{HEAD} is not a valid head record"))
            return None, last.hash if last else GENESIS
        last_seq = last.seq if last else 0
        if covered is not None and head_seq > max(last_seq, covered):
            problems.append(
                Problem(None, HEAD, "modified", f"{HEAD} claims entry {head_seq}, which neither the log ({last_seq} "
                        f"entries) nor any signed checkpoint ({covered}) holds: the head is damaged or forged")
            )  # fmt: skip
        elif head_seq > last_seq:
            problems.append(
                Problem(
                    last_seq + 1,
                    entry_key(last_seq + 1),
                    "truncated",
                    f"the log ends at entry {last_seq} but the head records entry {head_seq}: "
                    f"entries {last_seq + 1}..{head_seq} were removed",
                )
            )
        else:
            at_head = next((e for _, e in chain if e.seq == head_seq), None)
            if at_head is not None and at_head.hash != head_hash:
                problems.append(
                    Problem(
                        head_seq,
                        entry_key(head_seq),
                        "modified",
                        f"entry {head_seq} differs from the one the head recorded: it was replaced",
                    )
                )
        return head_seq, last.hash if last else GENESIS


def check_inclusion(section: Mapping[str, Any], entries: Iterable[Mapping[str, Any]], key: Any) -> list[str]:
    """Offline check of an evidence pack's ``transparency`` section: the checkpoint's signature, every
    entry's own hash, and every entry's inclusion proof against the signed root. The problems found
    (empty: every entry is in the log the hub signed)."""
    from govhub.core.merkle import ProofError, verify_inclusion

    if not section or not section.get("checkpoint"):
        return ["the pack has no signed checkpoint: export it again from a hub that signs its log"]
    try:
        cp = verify_checkpoint(json.dumps(section["checkpoint"]).encode(), key)
    except CheckpointError as exc:
        return [f"the pack's checkpoint: {exc}"]
    problems: list[str] = []
    by_seq: dict[int, AuditEntry] = {}
    for raw in entries:
        try:
            entry = AuditEntry.model_validate(raw)
        except ValidationError as exc:
            problems.append(f"an audit entry in the pack is malformed: {exc.errors()[0]['msg']}")
            continue
        if entry.computed_hash() != entry.hash:
            problems.append(f"entry {entry.seq} was edited in the pack: its content no longer matches its hash")
        by_seq[entry.seq] = entry
    proven = set()
    for proof in section.get("proofs", []):
        seq = int(proof.get("seq", 0))
        held = by_seq.get(seq)
        if held is None:
            problems.append(f"the pack proves entry {seq} but does not hold it")
            continue
        try:
            path = [bytes.fromhex(h) for h in proof.get("audit_path", [])]
            verify_inclusion(seq - 1, cp.size, leaf_hash(bytes.fromhex(held.hash)), path, cp.root)
        except (ProofError, ValueError) as exc:
            problems.append(f"entry {seq} is not in the log the hub signed at {cp.time} ({cp.size} entries): {exc}")
            continue
        proven.add(seq)
    unsigned = {int(s) for s in section.get("not_yet_signed", [])}
    for seq in sorted(set(by_seq) - proven):
        if seq not in unsigned or seq <= cp.size:
            problems.append(f"entry {seq} has no inclusion proof in the pack")
    return problems


def _check_replays(chain: list[tuple[str, AuditEntry]]) -> list[Problem]:
    """An entry whose every field but its place (seq, prev, hash) repeats an earlier one is a replay."""
    seen: dict[str, int] = {}
    problems = []
    for key, entry in chain:
        body = digest_of(entry.model_dump(mode="json", exclude={"seq", "prev", "hash"}))
        if body in seen:
            problems.append(
                Problem(
                    entry.seq,
                    key,
                    "inserted",
                    f"entry {entry.seq} ({key}) replays entry {seen[body]}: same time, actor, subject and details",
                )  # fmt: skip
            )
        else:
            seen[body] = entry.seq
    return problems


def _check_links(chain: list[tuple[str, AuditEntry]]) -> list[Problem]:
    problems: list[Problem] = []
    prev_seq, prev_hash = 0, GENESIS
    for key, entry in chain:
        expected = prev_seq + 1
        if entry.seq > expected:
            gap = f"entry {expected}" if entry.seq == expected + 1 else f"entries {expected}..{entry.seq - 1}"
            problems.append(
                Problem(
                    expected,
                    entry_key(expected),
                    "removed",
                    f"{gap} removed: the log jumps from entry {prev_seq} to entry {entry.seq}",
                )
            )
        elif entry.seq < expected:
            problems.append(
                Problem(
                    entry.seq,
                    key,
                    "inserted",
                    f"entry {entry.seq} ({key}) appears again after "
                    f"entry {prev_seq}: an entry was inserted or duplicated",
                )
            )
        elif entry.prev != prev_hash:
            problems.append(
                Problem(
                    entry.seq,
                    key,
                    "inserted" if prev_seq else "modified",
                    f"entry {entry.seq} ({key}) does not follow entry {prev_seq}: it records previous "
                    f"hash {entry.prev[:12]}… but entry {prev_seq} hashes to {prev_hash[:12]}… "
                    f"(entry {prev_seq} was replaced, or entry {entry.seq} was inserted)",
                )
            )
        prev_seq, prev_hash = max(prev_seq, entry.seq), entry.hash
    return problems


def _dump(entry: AuditEntry) -> bytes:
    return json.dumps(entry.model_dump(mode="json"), indent=2, sort_keys=True).encode()


def copy_log(
    source: ObjectStore, target: ObjectStore, keys: Iterable[str] | None = None, checkpoints: ObjectStore | None = None
) -> int:
    """Copy the log's objects (entries, head and, when given, the signed checkpoints) into another
    store, e.g. a folder for an auditor; the copy keeps the original's name for its checkpoints."""
    target.put(ORIGIN, AuditLog(source).origin().encode())
    n = 0
    if checkpoints is not None:
        for key in checkpoints.keys(CHECKPOINTS):
            target.put(key, checkpoints.get(key))
            n += 1
    for key in keys if keys is not None else [*source.keys(ENTRIES), HEAD]:
        try:
            target.put(key, source.get(key))
        except Missing:
            continue
        n += 1
    return n
