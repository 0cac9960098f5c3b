"""Synth benchmark: generated estates of N AWS spokes on both CDK engines, and onboarding one team.

Each measurement runs in a fresh interpreter, so the engine import is measured cold (as a user's
``cdktf synth`` sees it). Phases are reported separately: import (engine, AWS bindings and stack
modules), construct (building the stacks), synth (writing JSON, then the guardrails on it), plus
the peak RSS of the whole process tree (Python and the jsii Node runtime).

Rows:
- ``N spokes``: the hub and N spokes, all constructed and synthesized (what a hub change needs);
- ``N+1st alone``: an estate of N+1 teams with ``GOVHUB_STACKS`` naming the new team's spoke: the
  hub is constructed for its facts, no other spoke is, and only that spoke is written.

    .venv/bin/python bench/synth.py                                  # 1, 50, 200, 500 on cdktf and cdktn
    .venv/bin/python bench/synth.py --spokes 1 50 --engines cdktn    # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml
from measure import peak_rss_of

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "platform.yaml"

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from infra import engine
engine.provider("aws")
import hub.stacks.aws, spoke.stacks.aws
t1 = time.perf_counter()
from govhub.config import load_config
from main import build_estate, prune_output, synthesize
only = sys.argv[3].split(",") if len(sys.argv) > 3 else None
app, stacks = build_estate(load_config(sys.argv[1]), outdir=sys.argv[2], only=only)
built = len(app.node.children)
t2 = time.perf_counter()
synthesize(app)
prune_output(app, stacks)
t3 = time.perf_counter()
print(json.dumps({"engine": engine.ENGINE, "import": t1 - t0, "construct": t2 - t1, "synth": t3 - t2,
                  "stacks": len(stacks), "built": built}))
"""

# The engine's own floor: as many bare resources as the estate writes, in spokes of 45 (one tag map
# each, no references, no grouping constructs, no guardrails), constructed and synthesized.
FLOOR = r"""
import json, sys, time
t0 = time.perf_counter()
from infra import engine
aws = engine.provider("aws")
t1 = time.perf_counter()
app = engine.App(outdir=sys.argv[1])
count = int(sys.argv[2])
for s in range(0, count, 45):
    stack = engine.TerraformStack(app, f"floor-{s // 45}")
    aws.provider.AwsProvider(stack, "aws", region="eu-west-1")
    for i in range(s, min(count, s + 45)):
        aws.s3_bucket.S3Bucket(stack, f"b{i}", bucket=f"floor-{i}", tags={"team": f"t{s // 45}"})
t2 = time.perf_counter()
app.synth()
t3 = time.perf_counter()
print(json.dumps({"engine": engine.ENGINE, "import": t1 - t0, "construct": t2 - t1, "synth": t3 - t2,
                  "stacks": len(app.node.children), "built": len(app.node.children)}))
"""


def generated_config(spokes: int) -> dict:
    """The example organisation with only its AWS hub and ``spokes`` generated AWS teams."""
    config = yaml.safe_load(EXAMPLE.read_text())
    config["hubs"] = {"aws": config["hubs"]["aws"]}
    config["guardrails"]["allowed_regions"] = {"aws": config["guardrails"]["allowed_regions"]["aws"]}
    config["teams"] = [
        {
            "name": f"team-{i:03d}",
            "cloud": "aws",
            "account": f"{500000000000 + i:012d}",
            "owners": [f"team-{i:03d}@acme.example"],
            "cost_centre": f"CC-{i:04d}",
            "risk_tiers": ["limited", "high"],
            "vpc_cidr": f"10.{64 + i // 16}.{(i % 16) * 16}.0/20",  # each team its own range (up to 1,024)
            "use_cases": [{"name": "scoring", "risk_tier": "high"}] if i % 4 == 0 else [],
        }
        for i in range(spokes)
    ]
    return config


def run(engine: str, config_path: Path | None, outdir: Path, only: str | None = None, floor: int = 0) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CDK_ENGINE": engine}
    if floor:
        command = [sys.executable, "-c", FLOOR, str(outdir), str(floor)]
    else:
        command = [sys.executable, "-c", CHILD, str(config_path), str(outdir), *([only] if only else [])]
    result, wall, rss = peak_rss_of(command, env)
    if result.returncode != 0:
        raise SystemExit(f"synth on {engine} failed:\n{result.stderr[-2000:]}")
    phases = json.loads(result.stdout.strip().splitlines()[-1])
    resources = sum(
        len(items)
        for stack in (outdir / "stacks").iterdir()
        for items in json.loads((stack / "cdk.tf.json").read_text()).get("resource", {}).values()
    )
    return {**phases, "wall": wall, "rss_mib": rss, "resources": resources}


def growth(rows: list[dict], key: str) -> str:
    """Seconds (or MiB) per added spoke, between the smallest and largest full estates measured."""
    full = sorted((r for r in rows if not r["alone"] and not r.get("floor")), key=lambda r: r["spokes"])
    if len(full) < 2 or full[-1]["spokes"] == full[0]["spokes"]:
        return "–"
    a, b = full[0], full[-1]
    value = (b[key] - a[key]) / (b["spokes"] - a["spokes"])
    return f"{value * 1000:.0f} ms" if key != "rss_mib" else f"{value:.1f} MiB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spokes", type=int, nargs="+", default=[1, 50, 200, 500])
    parser.add_argument("--engines", nargs="+", default=["cdktf", "cdktn"], choices=["cdktf", "cdktn"])
    parser.add_argument("--alone", type=int, default=200, help="onboard team N+1 onto an estate of N (0: skip)")
    parser.add_argument(
        "--floor", type=int, default=9170, help="bare resources for the engine's floor row (0: skip; 9,170: 200 spokes)"
    )
    args = parser.parse_args()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for engine in args.engines:
            for n in args.spokes:
                path = base / f"spokes-{n}.yaml"
                path.write_text(yaml.safe_dump(generated_config(n)))
                print(f"{engine}: hub + {n} spokes ...", file=sys.stderr, flush=True)
                rows.append({**run(engine, path, base / f"{engine}-{n}"), "spokes": n, "alone": False})
            if args.alone:
                n = args.alone
                path = base / f"spokes-{n + 1}.yaml"
                path.write_text(yaml.safe_dump(generated_config(n + 1)))
                print(f"{engine}: spoke {n + 1} alone ...", file=sys.stderr, flush=True)
                only = f"spoke-aws-team-{n:03d}"
                rows.append({**run(engine, path, base / f"{engine}-alone", only), "spokes": n + 1, "alone": True})
            if args.floor:
                print(f"{engine}: floor of {args.floor} bare resources ...", file=sys.stderr, flush=True)
                row = run(engine, None, base / f"{engine}-floor", floor=args.floor)
                rows.append({**row, "spokes": 0, "alone": False, "floor": True})
    print(
        "| engine | estate | stacks built / written | resources written | import s | construct s | synth s "
        "| construct + synth s | wall s | peak RSS MiB |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        estate = f"spoke {r['spokes']} alone" if r["alone"] else f"hub + {r['spokes']} spokes"
        if r.get("floor"):
            estate = "floor: bare buckets, 45 a stack"
        print(
            f"| {r['engine']} | {estate} | {r['built']} / {r['stacks']} | {r['resources']} | {r['import']:.1f} | "
            f"{r['construct']:.1f} | {r['synth']:.1f} | {r['construct'] + r['synth']:.1f} | {r['wall']:.1f} | "
            f"{r['rss_mib']:.0f} |"
        )
    print()
    print("| engine | construct per added spoke | synth per added spoke | peak RSS per added spoke |")
    print("|---|---:|---:|---:|")
    for engine in args.engines:
        mine = [r for r in rows if r["engine"] == engine]
        print(f"| {engine} | {growth(mine, 'construct')} | {growth(mine, 'synth')} | {growth(mine, 'rss_mib')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
