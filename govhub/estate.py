"""A readable summary of a synth output folder (``cdktf.out``), from the JSON alone."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
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


def render_summary(outdir: str | Path, only: Iterable[str] | None = None) -> str:
    """Each stack's resource count by service and its path (``only``: those stacks, in that order)."""
    stacks = load_stacks(outdir)
    if only is not None:
        stacks = {name: stacks[name] for name in only}
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
    if parts[0] == "azapi":
        return "azapi"
    if parts[1:3] == ["cloudwatch", "event"]:
        return "events"
    if parts[1:3] == ["cloudwatch", "log"]:
        return "logs"
    service = parts[1] if len(parts) > 1 else resource_type
    return "network" if service in NETWORK_SERVICES else service


NETWORK_SERVICES = frozenset({"vpc", "subnet", "route", "security", "default", "internet", "nat", "network", "flow"})


# --------------------------------------------------------------------------- diff


def _blocks(doc: dict) -> dict[str, tuple[str, dict]]:
    """Every resource and output of one stack: address -> (readable construct path, its settings)."""
    out: dict[str, tuple[str, dict]] = {}
    for rtype, items in (doc.get("resource") or {}).items():
        for name, body in items.items():
            path = str(((body.get("//") or {}).get("metadata") or {}).get("path", name))
            settings = {k: v for k, v in body.items() if k != "//"}
            out[f"{rtype}.{name}"] = (f"{rtype} {path.split('/', 1)[-1]}", settings)
    for name, body in (doc.get("output") or {}).items():
        out[f"output.{name}"] = (f"output {name}", {k: v for k, v in body.items() if k != "//"})
    return out


def diff_stacks(before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    """What changes, stack by stack: resources (and outputs) added, removed and changed, with the
    settings that change. Stacks that appear or disappear are listed whole; unchanged ones too."""
    out = []
    for stack in sorted(set(before) | set(after), key=lambda s: (not s.startswith("hub-"), s)):
        old, new = _blocks(before.get(stack, {})), _blocks(after.get(stack, {}))
        added = sorted(new[a][0] for a in set(new) - set(old))
        removed = sorted(old[a][0] for a in set(old) - set(new))
        changed = []
        for address in sorted(set(old) & set(new)):
            (label, was), (_, now) = old[address], new[address]
            if was != now:
                keys = sorted(k for k in set(was) | set(now) if was.get(k) != now.get(k))
                changed.append({"what": label, "settings": keys})
        state = "added" if stack not in before else "removed" if stack not in after else "changed"
        if state == "changed" and not (added or removed or changed):
            state = "unchanged"
        out.append({"stack": stack, "state": state, "added": added, "removed": removed, "changed": changed})
    return out


def render_diff(rows: list[dict], before: str, after: str, *, limit: int = 40) -> str:
    lines = [f"estate diff: {before} -> {after}"]
    unchanged = [r["stack"] for r in rows if r["state"] == "unchanged"]
    for r in rows:
        if r["state"] == "unchanged":
            continue
        counts = f"{len(r['added'])} to add, {len(r['changed'])} to change, {len(r['removed'])} to remove"
        title = {"added": "new stack", "removed": "stack removed", "changed": "changes"}[r["state"]]
        lines.append(f"  {r['stack']} ({title}): {counts}")
        items = [f"+ {a}" for a in r["added"]] + [f"- {a}" for a in r["removed"]]
        items += [f"~ {c['what']} ({', '.join(c['settings'])})" for c in r["changed"]]
        shown = items if r["state"] == "changed" else items[:0]
        lines += [f"      {i}" for i in shown[:limit]]
        if len(shown) > limit:
            lines.append(f"      … and {len(shown) - limit} more (--json lists them all)")
    if unchanged:
        lines.append(f"  unchanged: {', '.join(unchanged)}")
    if all(r["state"] == "unchanged" for r in rows):
        lines.append("  no changes")
    return "\n".join(lines)
