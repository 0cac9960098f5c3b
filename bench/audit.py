"""Audit log benchmark: append throughput, verification time at 10k and 100k entries (hash chain and
signed checkpoints), and Merkle proof size and verification time.

    .venv/bin/python bench/audit.py [--entries 10000 100000] [--appends 1000]

Logs are folder stores in a temporary directory. Appends go through AuditLog.append (create-only
writes, tail refresh); the large logs are written entry by entry with the same hashing but without the
append path, so that building them does not dominate the run. One checkpoint is signed per log.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govhub.core import merkle  # noqa: E402
from govhub.core.audit import GENESIS, HEAD, AuditEntry, AuditLog, entry_key, leaves  # noqa: E402
from govhub.core.checkpoint import LocalSigner, public_key  # noqa: E402
from govhub.core.store import LocalStore  # noqa: E402


def build(root: Path, n: int) -> AuditLog:
    store, prev = LocalStore(root), GENESIS
    for seq in range(1, n + 1):
        fields = {"seq": seq, "time": f"2026-12-02T00:00:{seq % 60:02d}.{seq:06d}+00:00", "type": "decision",
                  "actor": "arn:aws:sts::2:assumed-role/govhub-hub-service/svc", "subject": f"m/{seq}",
                  "details": {"outcome": "pass", "n": seq}, "prev": prev}  # fmt: skip
        entry = AuditEntry(**fields, hash=AuditEntry.digest(fields))
        path = root / entry_key(seq)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entry.model_dump(mode="json")))
        prev = entry.hash
    (root / HEAD).write_text(json.dumps({"seq": n, "hash": prev}))
    return AuditLog(store)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--appends", type=int, default=1000)
    args = parser.parse_args()
    signer = LocalSigner()
    key = public_key(signer.public_key_pem())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        log = AuditLog(LocalStore(Path(tmp) / "appends"))
        start = time.perf_counter()
        for i in range(args.appends):
            log.append("decision", "svc", f"m/{i}", {"n": i})
        took = time.perf_counter() - start
        rows.append(("append (folder store)", f"{args.appends} appends", f"{args.appends / took:.0f} appends/s"))
        for n in args.entries:
            log = build(Path(tmp) / f"log-{n}", n)
            checkpoints = LocalStore(Path(tmp) / f"checkpoints-{n}")
            (Path(tmp) / f"checkpoints-{n}").mkdir()
            start = time.perf_counter()
            log.sign_checkpoint(signer, checkpoints)
            rows.append(("sign checkpoint (read + tree)", f"{n} entries", f"{time.perf_counter() - start:.2f} s"))
            for i in range(10):
                log.append("decision", "svc", f"m/new-{i}", {"n": i})
            start = time.perf_counter()
            log.sign_checkpoint(signer, checkpoints)
            rows.append(("sign after 10 appends (extends the last checkpoint's compact range)", f"{n} entries",
                         f"{(time.perf_counter() - start) * 1e3:.1f} ms"))  # fmt: skip
            start = time.perf_counter()
            assert log.verify().ok
            rows.append(("verify, hash chain only", f"{n} entries", f"{time.perf_counter() - start:.2f} s"))
            start = time.perf_counter()
            report = log.verify(checkpoints=checkpoints, public_key=key)
            assert report.ok, report.problems[:3]
            rows.append(("verify with signed checkpoints", f"{n} entries", f"{time.perf_counter() - start:.2f} s"))
            tree = merkle.MerkleTree(leaves(sorted(log.entries(), key=lambda e: e.seq)))
            sizes, times = [], []
            size = n + 10
            for index in range(0, size, max(1, size // 200)):
                proof = tree.inclusion_proof(index)
                sizes.append(len(proof) * 32)
                t0 = time.perf_counter()
                merkle.verify_inclusion(index, size, tree.levels[0][index], proof, tree.root())
                times.append(time.perf_counter() - t0)
            rows.append(
                ("inclusion proof", f"{n} entries", f"{max(sizes)} bytes, {statistics.median(times) * 1e6:.0f} µs")
            )
            proof = tree.consistency_proof(size // 2)
            t0 = time.perf_counter()
            merkle.verify_consistency(size // 2, size, tree.root(size // 2), tree.root(), proof)
            rows.append(("consistency proof (n/2 -> n)", f"{n} entries",
                         f"{len(proof) * 32} bytes, {(time.perf_counter() - t0) * 1e6:.0f} µs"))  # fmt: skip
    print("| measure | log | result |\n|---|---|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
