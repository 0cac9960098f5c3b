"""checkov on the synthesized stacks, gated by the reviewed skips (infra/checkov-skips.yaml).

``python -m tools.checkov_gate [cdktf.out]`` (``make checkov``) exits 1 on any failing check that has no
reviewed reason, and names each with where it fails; the platform's CI runs it on every pull request.
The suite's tests/infra/test_checkov.py runs the same scan on the example estate.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPS_FILE = ROOT / "infra" / "checkov-skips.yaml"
AZURE_SKIPS_FILE = ROOT / "infra" / "checkov-skips-azure.yaml"  # hub-azure's reviewed skips
GCP_SKIPS_FILE = ROOT / "infra" / "checkov-skips-gcp.yaml"  # hub-gcp's reviewed skips
CHECKOV = ROOT / ".cache" / "tools" / "checkov" / "bin" / "checkov"


class CheckovMissing(RuntimeError):
    pass


def checkov_binary() -> str:
    if CHECKOV.exists():
        return str(CHECKOV)
    found = shutil.which("checkov")
    if not found:
        raise CheckovMissing(f"checkov is not installed at {CHECKOV} or on PATH; `make test-tools` installs it")
    return found


def scan(stacks_dir: Path) -> tuple[list[dict], dict[str, set[str]]]:
    """(checkov's reports, failing check id -> where it fails) for every stack under ``stacks_dir``."""
    result = subprocess.run(
        [checkov_binary(), "-d", str(stacks_dir), "--framework", "terraform_json", "--skip-download", "--quiet",
         "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )  # fmt: skip
    if not result.stdout.strip():
        raise RuntimeError(f"checkov printed nothing: {result.stderr[-2000:]}")
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed: dict[str, set[str]] = {}
    for report in reports:
        for check in report["results"]["failed_checks"]:
            failed.setdefault(check["check_id"], set()).add(f"{check['file_path']}:{check['resource']}")
    return reports, failed


def skips(*files: Path) -> dict[str, dict]:
    """The reviewed skips (default: every cloud's file)."""
    import yaml

    out: dict[str, dict] = {}
    for path in files or (SKIPS_FILE, AZURE_SKIPS_FILE, GCP_SKIPS_FILE):
        out |= yaml.safe_load(path.read_text()) or {}
    return out


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    outdir = Path(args[0] if args else "cdktf.out")
    if not (outdir / "stacks").is_dir():
        print(f"error: {outdir}/stacks not found; synthesize first (`make synth`)", file=sys.stderr)
        return 2
    try:
        reports, failed = scan(outdir / "stacks")
    except (CheckovMissing, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    code, lines = verdict(reports, failed, skips())
    print("\n".join(lines))
    if code:
        print(f"fix them, or add a reviewed reason to {SKIPS_FILE.relative_to(ROOT)}", file=sys.stderr)
    return code


def verdict(reports: list[dict], failed: dict[str, set[str]], reviewed: dict[str, dict]) -> tuple[int, list[str]]:
    """1 with the new failures named, or 0: every failing check has a reviewed reason."""
    new = {cid: sorted(where) for cid, where in failed.items() if cid not in reviewed}
    passed = sum(r["summary"]["passed"] for r in reports)
    lines = [f"checkov: {passed} checks passed, {sum(map(len, failed.values()))} failures under reviewed skips"
             if not new else f"checkov: {passed} checks passed, {len(new)} new failing check(s)"]  # fmt: skip
    for cid, where in sorted(new.items()):
        lines.append(f"  NEW {cid}: {', '.join(where[:3])}{' …' if len(where) > 3 else ''}")
    return (1 if new else 0), lines


if __name__ == "__main__":
    sys.exit(main())
