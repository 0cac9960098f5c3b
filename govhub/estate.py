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
        return {
            name: json.loads((root / entry["synthesizedStackPath"]).read_text())
            for name, entry in manifest["stacks"].items()
        }
    except (OSError, ValueError, KeyError) as exc:
        raise SummaryError(f"{root} is not a complete synth output ({exc}); synthesize again") from None


def render_summary(outdir: str | Path) -> str:
    stacks = load_stacks(outdir)
    lines = [f"{len(stacks)} stacks in {outdir}:"]
    for name, doc in stacks.items():
        by_service: Counter[str] = Counter()
        for rtype, items in (doc.get("resource") or {}).items():
            by_service[service_of(rtype)] += len(items)
        path = Path(outdir) / "stacks" / name / "cdk.tf.json"
        services = ", ".join(f"{svc} {n}" for svc, n in by_service.most_common())
        lines.append(f"  {name:<24} {sum(by_service.values()):>4} resources  {path}")
        lines.append(f"  {'':<24}      {services}")
    return "\n".join(lines)


def service_of(resource_type: str) -> str:
    """``aws_s3_bucket_policy`` -> ``s3``; ``aws_cloudwatch_event_rule`` -> ``events``."""
    parts = resource_type.split("_")
    if parts[1:3] == ["cloudwatch", "event"]:
        return "events"
    if parts[1:3] == ["cloudwatch", "log"]:
        return "logs"
    service = parts[1] if len(parts) > 1 else resource_type
    return "network" if service in NETWORK_SERVICES else service


NETWORK_SERVICES = frozenset({"vpc", "subnet", "route", "security", "default", "internet", "nat", "network", "flow"})
