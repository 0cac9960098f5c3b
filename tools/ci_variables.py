"""Write a spoke's ``ci_variables`` output into the team's repository (the platform's deploy workflow).

``python -m tools.ci_variables OUTPUTS.json STACK --platform platform.yaml [--apply]`` reads the
outputs file of ``cdktf deploy --outputs-file`` and prints, or with ``--apply`` runs, one command per
variable: ``gh variable set`` for a GitHub repository, ``glab variable set`` for a GitLab project
(teams[].ci says which). The values are the stack's own outputs, never typed in by hand.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def commands(outputs: dict, stack: str, config) -> list[list[str]]:
    """The commands that set the team repository's CI variables from ``stack``'s outputs."""
    team_name = stack.split("-", 2)[-1] if stack.startswith("spoke-") else ""
    team = next((t for t in config.teams if t.name == team_name), None)
    if team is None:
        raise SystemExit(f"error: {stack} is not a team's spoke in the platform config")
    if team.ci is None:
        raise SystemExit(f"error: team {team.name} has no teams[].ci in the platform config; nothing to write")
    found = outputs.get(stack) or {}
    variables = next((v for k, v in found.items() if k.replace("-", "_").endswith("ci_variables")), None)
    if not isinstance(variables, dict):
        raise SystemExit(f"error: the outputs of {stack} have no ci_variables; deploy the stack with --outputs-file")
    out = []
    for name, value in sorted(variables.items()):
        if team.ci.provider == "github":
            out.append(["gh", "variable", "set", name, "--repo", team.ci.repository, "--body", str(value)])
        else:
            out.append(["glab", "variable", "set", name, str(value), "--repo", team.ci.repository])
    return out


def main(argv: list[str] | None = None) -> int:
    from govhub.config import ConfigError, load_config

    parser = argparse.ArgumentParser(prog="python -m tools.ci_variables")
    parser.add_argument("outputs", help="the file `cdktf deploy --outputs-file` wrote")
    parser.add_argument("stack", help="the spoke stack, e.g. spoke-aws-fraud")
    parser.add_argument("--platform", default="platform.yaml")
    parser.add_argument("--apply", action="store_true", help="run the commands (default: print them)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.platform)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return 2
    try:
        outputs = json.loads(Path(args.outputs).read_text())
    except (OSError, ValueError) as exc:
        print(f"error: {args.outputs}: {exc}", file=sys.stderr)
        return 2
    for cmd in commands(outputs, args.stack, config):
        print(" ".join(cmd))
        if args.apply:
            subprocess.run(cmd, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
