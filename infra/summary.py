"""A readable summary of a synth output folder (``cdktf.out``), from the JSON alone."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


class SummaryError(Exception):
    pass


def load_stacks(outdir: str | Path) -> dict[str, dict]:
    """Every synthesized stack in ``outdir``, by stack name, as parsed Terraform JSON."""
    root = Path(outdir)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise SummaryError(f"{manifest_path} not found; synthesize first (`make demo` or `npx cdktf synth`)")
    try:
        manifest = json.loads(manifest_path.read_text())
        return {name: json.loads((root / entry["synthesizedStackPath"]).read_text())
                for name, entry in manifest["stacks"].items()}
    except (OSError, ValueError, KeyError) as exc:
        raise SummaryError(f"{root} is not a complete synth output ({exc}); synthesize again") from None


def render_summary(outdir: str | Path) -> str:
    stacks = load_stacks(outdir)
    lines = [f"{len(stacks)} stacks in {outdir}:"]
    for name, doc in stacks.items():
        counts = Counter({rtype: len(items) for rtype, items in (doc.get("resource") or {}).items()})
        path = Path(outdir) / "stacks" / name / "cdk.tf.json"
        lines.append(f"  {name:<28} {sum(counts.values()):>4} resources  {path}")
        for rtype, n in sorted(counts.items()):
            lines.append(f"      {n:>3}  {rtype}")
    return "\n".join(lines)
