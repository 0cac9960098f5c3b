"""``govhub project new | update``: the data scientists' governed project from the template."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from govhub.cli.common import fail
from govhub.vocabulary import CLOUDS, PROJECT_TIERS


def _project_new(args: argparse.Namespace) -> int:
    from govhub.config import ConfigError, load_config
    from govhub.project import ProjectError, context_for, new_project

    try:
        config = load_config(args.platform)
        ctx = context_for(
            config,
            args.team,
            args.use_case,
            cloud=args.cloud,
            tier=args.tier,
            ci=args.ci,
            dependency_manager=args.deps,
            project_name=args.name,
        )
        path = new_project(ctx, Path(args.output_dir))
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return 2
    except ProjectError as exc:
        return fail(str(exc))
    print(
        f"created {path} ({ctx['cloud']}, risk tier {ctx['risk_tier']}, policy {ctx['policy_pack']} "
        f"{ctx['policy_version']}, CI {ctx['ci']}, template {ctx['template_version']})"
    )
    print(
        f"next: cd {path} && python -m {path.name.replace('-', '_')}.train && "
        f"python -m {path.name.replace('-', '_')}.evaluate"
    )
    return 0


def _project_update(args: argparse.Namespace) -> int:
    from govhub.project import ProjectError, apply_update, plan_update

    project = Path(args.project_dir)
    try:
        plan = plan_update(project)
    except ProjectError as exc:
        return fail(str(exc))
    if plan.empty:
        print(f"{project}: up to date with template {plan.target}")
        return 0
    print(f"{project}: template {plan.current} -> {plan.target}")
    diff = plan.diff()
    if diff:
        print(diff, end="")
    for rel in plan.removed:
        print(f"removed by the template: {rel}")
    for rel in plan.conflicts:
        print(f"CONFLICT (changed here and in the template; left as is): {rel}")
    if not args.apply:
        print("dry run: nothing changed; run again with --apply to write these changes")
        return 0
    apply_update(project, plan)
    print(
        f"applied: {len(plan.changed)} changed, {len(plan.added)} added, {len(plan.removed)} removed, "
        f"{len(plan.conflicts)} conflict(s) left for you"
    )
    return 0


def add_commands(sub: Any) -> None:
    proj = sub.add_parser("project", help="create or update a data scientist's governed project")
    proj_sub = proj.add_subparsers(dest="action", metavar="ACTION")
    p = proj_sub.add_parser("new", help="create a project from the template with the team's hub context")
    p.add_argument("--team", required=True)
    p.add_argument("--use-case", help="the use case (sets the risk tier); default: the team's own group")
    p.add_argument("--cloud", choices=CLOUDS, help="must be the team's cloud (default: it)")
    p.add_argument("--tier", choices=PROJECT_TIERS, help="default: the use case's tier")
    p.add_argument("--ci", choices=["github-actions", "gitlab-ci"], default="github-actions")
    p.add_argument("--deps", choices=["pip", "uv"], default="pip", help="the Python dependency manager")
    p.add_argument("--name", help="project name (default: from the use case)")
    p.add_argument("--output-dir", default=".", help="where the project folder is created (default: here)")
    p.add_argument("--platform", default=os.environ.get("PLATFORM_CONFIG", "platform.yaml"))
    p.set_defaults(func=_project_new)
    p = proj_sub.add_parser("update", help="show (and with --apply, apply) what a newer template changes")
    p.add_argument("project_dir", nargs="?", default=".")
    p.add_argument("--apply", action="store_true")
    p.set_defaults(func=_project_update)
