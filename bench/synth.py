"""Synth benchmark: the example estate and a generated estate of N AWS spokes.

Each measurement runs in a fresh interpreter, so engine import is measured cold (as a user's
``cdktf synth`` sees it). Phases are reported separately: import (engine + provider bindings),
construct (building the stacks), synth (aspects + writing JSON), plus peak RSS of the whole process
tree (Python and the jsii Node runtime). For comparison, the same example estate is also run through
the cdktf CLI (``npx cdktf synth``), which is what users would otherwise type.

    .venv/bin/python bench/synth.py                 # example estate + 200 spokes
    .venv/bin/python bench/synth.py --spokes 50     # smaller generated estate
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
from main import build_estate, synthesize
app, stacks = build_estate(load_config(sys.argv[1]), outdir=sys.argv[2])
t2 = time.perf_counter()
synthesize(app)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "construct": t2 - t1, "synth": t3 - t2, "stacks": len(stacks)}))
"""


def generated_config(spokes: int) -> dict:
    config = yaml.safe_load(EXAMPLE.read_text())
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


def run_direct(config_path: Path, outdir: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result, wall, rss = peak_rss_of([sys.executable, "-c", CHILD, str(config_path), str(outdir)], env)
    if result.returncode != 0:
        raise SystemExit(f"synth failed:\n{result.stderr[-2000:]}")
    phases = json.loads(result.stdout.strip().splitlines()[-1])
    resources = sum(
        len(items)
        for stack in (outdir / "stacks").iterdir()
        for items in json.loads((stack / "cdk.tf.json").read_text()).get("resource", {}).values()
    )
    return {**phases, "wall": wall, "rss_mib": rss, "resources": resources}


def run_cli(config_path: Path, outdir: Path) -> dict:
    env = {**os.environ, "PLATFORM_CONFIG": str(config_path), "CHECKPOINT_DISABLE": "1"}
    result, wall, rss = peak_rss_of(["npx", "--no-install", "cdktf", "synth", "--output", str(outdir)], env)
    if result.returncode != 0:
        raise SystemExit(f"cdktf synth failed:\n{result.stdout[-1000:]}\n{result.stderr[-1000:]}")
    return {"wall": wall, "rss_mib": rss}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spokes", type=int, default=200)
    parser.add_argument("--no-cli", action="store_true", help="skip the npx cdktf synth comparison")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        generated = tmp_path / "generated.yaml"
        generated.write_text(yaml.safe_dump(generated_config(args.spokes)))
        print("example estate (direct, python main.py) ...", file=sys.stderr, flush=True)
        rows.append(("example estate", "python (in-process)", run_direct(EXAMPLE, tmp_path / "example")))
        if not args.no_cli:
            print("example estate (npx cdktf synth) ...", file=sys.stderr, flush=True)
            rows.append(("example estate", "npx cdktf synth", run_cli(EXAMPLE, tmp_path / "example-cli")))
        print(f"{args.spokes} spokes (direct) ...", file=sys.stderr, flush=True)
        rows.append((f"{args.spokes} AWS spokes", "python (in-process)", run_direct(generated, tmp_path / "generated")))
    print("| estate | runner | stacks | resources | import s | construct s | synth s | wall s | peak RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for estate, runner, r in rows:
        cell = lambda k, fmt="{:.1f}", r=r: fmt.format(r[k]) if k in r else "–"  # noqa: E731
        print(
            f"| {estate} | {runner} | {cell('stacks', '{}')} | {cell('resources', '{}')} | {cell('import')} | "
            f"{cell('construct')} | {cell('synth')} | {cell('wall')} | {cell('rss_mib', '{:.0f}')} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
