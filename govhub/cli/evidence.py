"""``govhub evidence import``: cloud-native outputs into normalized evidence, through an adapter."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from govhub.cli.common import fail


def _evidence_import(args: argparse.Namespace) -> int:
    from govhub.adapters.base import AdapterError, fetch
    from govhub.adapters.registry import get
    from govhub.core.evidence import Evidence, merge

    try:
        adapter = get(args.adapter)
        s3 = None
        if any(u.startswith("s3://") for u in args.uris):
            import boto3

            s3 = boto3.client("s3")
        evidence = adapter.read([fetch(uri, s3) for uri in args.uris])
        if args.merge:
            try:
                base = Evidence.from_json(Path(args.merge).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise AdapterError(
                    f"{args.merge}: cannot be merged, not a readable evidence document ({exc})"
                ) from None
            if args.replace:  # the imported artifact speaks for these metrics now: drop the base's copies
                same = {(m.name, tuple(sorted(m.group.items())), m.feature) for m in evidence.metrics}
                base = Evidence(
                    model=base.model,
                    metrics=tuple(
                        m for m in base.metrics if (m.name, tuple(sorted(m.group.items())), m.feature) not in same
                    ),
                )
            evidence = merge(base, evidence, model=dict(base.model))
    except AdapterError as exc:
        return fail(str(exc))
    Path(args.out).write_text(evidence.to_json(), encoding="utf-8")
    kinds = sorted({m.name for m in evidence.metrics})
    errors = sum(1 for m in evidence.metrics if m.error)
    print(
        f"wrote {args.out}: {len(evidence.metrics)} metrics ({', '.join(kinds[:8])}{', …' if len(kinds) > 8 else ''})"
        + (f"; {errors} could not be computed and will fail their gates" if errors else "")
    )
    return 0


def add_commands(sub: Any) -> None:
    ev = sub.add_parser("evidence", help="turn cloud-native outputs into normalized evidence")
    ev_sub = ev.add_subparsers(dest="action", metavar="ACTION")
    p = ev_sub.add_parser("import", help="read native artifacts (local paths or s3:// URIs) with an adapter")
    p.add_argument("--adapter", required=True, help="e.g. sagemaker-clarify, sagemaker-monitor, local")
    p.add_argument("uris", nargs="+", metavar="URI")
    p.add_argument("--out", required=True, help="where to write the evidence document")
    p.add_argument("--merge", help="an evidence document to add the imported metrics to")
    p.add_argument(
        "--replace",
        action="store_true",
        help="with --merge: imported metrics replace the document's metrics of the same name and group",
    )
    p.set_defaults(func=_evidence_import)
