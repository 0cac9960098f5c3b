"""Data scientists' projects: ``govhub project new`` and ``govhub project update``.

The cookiecutter template lives in ``templates/ml-project``; its hooks stay thin and call
:func:`validate_context` (before any file is written) and :func:`finish_project` (after). The team's
context (cloud, allowed tiers, hub coordinates, policy pack) comes from ``platform.yaml``, so the data
scientist types only the team and the use case.

Updates are cruft-style: a generated project records the template version, the full context and the
sha256 of every file it was generated with (``.govhub-template.json``). ``project update`` renders the
current template with the same context, shows the diff, and applies it only to files the user has
not changed since; a file changed on both sides is reported as a conflict and left alone.
"""

from __future__ import annotations

import difflib
import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govhub import vocabulary
from govhub.canonical import sha256_hex
from govhub.core import keys
from govhub.resources import templates_dir

TEMPLATE = templates_dir("ml-project")
RECORD = ".govhub-template.json"
CLOUDS = vocabulary.CLOUDS
TIERS = vocabulary.PROJECT_TIERS  # prohibited use cases get no project
CI_FILES = {"github-actions": ".github", "gitlab-ci": ".gitlab-ci.yml"}
# Per cloud: the training pipeline (train, gates, submit to the hub), the deploy pipeline (verify the
# hub's signed prod attestation, then serve), and the evaluation step on Spark (`govhub evaluate --engine
# spark` for tables beyond one process's memory).
PIPELINE_FILES = {
    "aws": ("sagemaker_pipeline.json", "sagemaker_deploy_pipeline.json", "sagemaker_spark_evaluation.json"),
    "azure": ("azureml_pipeline.yml", "azureml_deploy.yml", "azureml_spark_evaluation.yml"),
    "gcp": ("vertex_pipeline.py", "vertex_deploy_pipeline.py", "dataproc_spark_evaluation.json"),
}
DEPENDENCY_MANAGERS = ("pip", "uv")


class ProjectError(ValueError):
    """A project that cannot be created or updated; the message says why and what to do."""


def template_version(template: Path = TEMPLATE) -> str:
    from govhub.pipelines import template_version as version

    return version(template)


def validate_context(ctx: Mapping[str, Any]) -> None:
    """The checks every project passes, whoever renders it (govhub or the pre-generation hook)."""
    problems = []
    slug = str(ctx.get("project_slug", ""))
    if not slug or not all(c.isalnum() or c == "-" for c in slug) or not slug[0].isalpha():
        problems.append(f"project_slug {slug!r} must start with a letter and hold letters, digits and '-' only")
    if not str(ctx.get("package_name", "")).isidentifier():
        problems.append(f"package_name {ctx.get('package_name')!r} is not a Python identifier")
    for key, allowed in (
        ("cloud", CLOUDS),
        ("risk_tier", TIERS),
        ("ci", tuple(CI_FILES)),
        ("dependency_manager", DEPENDENCY_MANAGERS),
    ):
        if ctx.get(key) not in allowed:
            problems.append(f"{key} {ctx.get(key)!r} is not one of {', '.join(allowed)}")
    if ctx.get("risk_tier") in TIERS and ctx.get("policy_pack") != f"govhub-{ctx.get('risk_tier')}":
        problems.append(
            f"policy_pack {ctx.get('policy_pack')!r} does not belong to risk tier {ctx.get('risk_tier')} "
            f"(expected govhub-{ctx.get('risk_tier')})"
        )
    if problems:
        raise ProjectError("invalid project settings:\n  - " + "\n  - ".join(problems))


def context_for(
    config: Any,
    team_name: str,
    use_case: str | None,
    *,
    cloud: str | None = None,
    tier: str | None = None,
    ci: str = "github-actions",
    dependency_manager: str = "pip",
    project_name: str | None = None,
) -> dict[str, Any]:
    """The cookiecutter context for a team's use case, checked against platform.yaml."""
    from govhub.core.policy import pack_for_tier

    try:
        team, case, expected = config.use_case(team_name, use_case)
    except KeyError as exc:
        raise ProjectError(str(exc.args[0])) from None
    if cloud and cloud != team.cloud:
        raise ProjectError(
            f"team {team.name} is on {team.cloud}, not {cloud}; omit --cloud or use --cloud {team.cloud}"
        )
    tier = tier or expected
    if tier not in team.risk_tiers:
        raise ProjectError(
            f"team {team.name} may not build risk tier {tier} models; its tiers: {', '.join(team.risk_tiers)}"
        )
    if case and tier != case.risk_tier:
        raise ProjectError(
            f"use case {case.name} is risk tier {case.risk_tier} in platform.yaml; a {tier} project "
            "would be judged by the wrong pack (omit --tier)"
        )
    if tier not in TIERS:
        raise ProjectError(f"risk tier {tier} gets no project: prohibited use cases may not be built")
    pack = pack_for_tier(tier)
    use_case_name = case.name if case else team.name
    ctx: dict[str, Any] = {
        "project_name": project_name or use_case_name.replace("-", " ").capitalize(),
        "team": team.name,
        "use_case": use_case_name,
        "cloud": team.cloud,
        "risk_tier": tier,
        "ci": ci,
        "dependency_manager": dependency_manager,
        "owner": team.members[0].id if team.members else team.owner,  # the author: a person the hub knows
        "intended_use": (case.description if case and case.description else f"{use_case_name} for team {team.name}"),
        "policy_pack": pack.name,
        "policy_version": pack.version,
        "template_version": template_version(),
    }
    hub = config.hubs.for_cloud(team.cloud)
    if team.cloud == "aws" and hub is not None:
        from govhub.backends.aws import names
        from govhub.backends.aws.hub import AwsHubCoordinates

        aws = AwsHubCoordinates.from_config(config)
        ctx |= {
            "hub_account": aws.account,
            "hub_region": aws.region,
            "hub_registry": f"arn:aws:sagemaker:{aws.region}:{aws.account}:model-package-group/"
            f"{names.model_package_group_name(team.name, case.name if case else None)}",
            "hub_event_bus": f"arn:aws:events:{aws.region}:{aws.account}:event-bus/{aws.event_bus}",
            "hub_artifact_store": f"s3://{aws.artifact_bucket}/{keys.team_prefix(team.name)}",
            "hub_audit_store": f"s3://{aws.audit_bucket}/{names.AUDIT_LOG_PREFIX}",
            "hub_submit_role": aws.role_arn(names.team_submitter_role(team.name)),
            # created by the spoke stack when teams[].ci is set (output ci_variables)
            "ci_role": names.role_arn(team.account, names.SPOKE_CI_ROLE) if team.ci and not team.vended else "",
            "ci_repository": f"{team.ci.provider}:{team.ci.repository}@{team.ci.branch}" if team.ci else "",
        }
    elif team.cloud == "azure" and hub is not None:
        ctx |= {
            "hub_account": hub.subscription_id,
            "hub_region": hub.location,
            "hub_registry": f"azureml://registries/{config.organization}-govhub",
            "hub_event_bus": f"{config.organization}-govhub-events",
            "hub_artifact_store": f"azureml://registries/{config.organization}-govhub/{keys.team_prefix(team.name).rstrip('/')}",
            "hub_audit_store": f"{config.organization}govhubaudit",
            "hub_submit_role": vocabulary.team_submitter(team.name),
        }
    elif team.cloud == "gcp" and hub is not None:
        ctx |= {
            "hub_account": hub.project_id,
            "hub_region": hub.region,
            "hub_registry": f"projects/{hub.project_id}/locations/{hub.region}/models",
            "hub_event_bus": f"projects/{hub.project_id}/topics/govhub-governance",
            "hub_artifact_store": f"gs://{hub.project_id}-govhub-artifacts/{keys.team_prefix(team.name)}",
            "hub_audit_store": f"gs://{hub.project_id}-govhub-audit/",
            "hub_submit_role": f"{vocabulary.team_submitter(team.name)}@{hub.project_id}.iam.gserviceaccount.com",
        }
    return ctx


def new_project(ctx: Mapping[str, Any], output_dir: Path, template: Path = TEMPLATE) -> Path:
    """Render the template into ``output_dir/<project_slug>``; never overwrite a non-empty directory."""
    from cookiecutter.exceptions import CookiecutterException, FailedHookException
    from cookiecutter.main import cookiecutter

    slug = str(ctx.get("project_slug") or str(ctx["project_name"]).lower().replace(" ", "-"))
    target = Path(output_dir) / slug
    if target.exists() and any(target.iterdir()):
        raise ProjectError(f"{target} exists and is not empty; choose another --output-dir (nothing was written)")
    full = {**ctx, "project_slug": slug, "package_name": slug.replace("-", "_")}
    validate_context({**_defaults(template), **full})
    try:
        path = cookiecutter(
            str(template),
            no_input=True,
            extra_context=dict(full),
            output_dir=str(output_dir),
            overwrite_if_exists=target.exists(),
            accept_hooks=True,
        )
    except FailedHookException as exc:
        raise ProjectError(f"the template refused these settings: {exc}") from None
    except CookiecutterException as exc:
        raise ProjectError(f"cookiecutter failed: {exc}") from None
    return Path(path)


def _defaults(template: Path) -> dict[str, Any]:
    raw = json.loads((template / "cookiecutter.json").read_text())
    return {k: (v[0] if isinstance(v, list) else v) for k, v in raw.items() if not k.startswith("_")}


def finish_project(project: Path, ctx: Mapping[str, Any]) -> None:
    """Post-generation: keep the chosen CI system and cloud pipeline, then record the generation."""
    for ci, path in CI_FILES.items():
        if ci != ctx["ci"]:
            target = project / path
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    (project / "pipelines").mkdir(exist_ok=True)
    for name in PIPELINE_FILES[ctx["cloud"]]:
        (project / "pipelines" / name).write_text(render_pipeline(ctx["cloud"], ctx, name))
    _write_monitoring_checks(project / "governance.yaml", str(ctx["risk_tier"]))
    record(project, ctx)


CHECKS_MARKER = "  checks:  # GOVHUB-CHECKS:"


def _write_monitoring_checks(governance: Path, tier: str) -> None:
    """The monitoring plan's checks, with the thresholds of the tier's own pack (a limited-tier project
    must not alert on high-tier bounds on its first day)."""
    import yaml

    from govhub.core.monitoring import checks_for_pack
    from govhub.core.policy import pack_for_tier

    text = governance.read_text()
    start = text.find(CHECKS_MARKER)
    if start < 0:
        return  # a template without the marker keeps its own checks
    end = text.index("\n", start) + 1
    pack = pack_for_tier(tier)
    lines = [f"  checks:  # the thresholds of {pack.name} {pack.version} (drift, data quality, fairness)\n"]
    lines += [
        f"    - {yaml.safe_dump(c, default_flow_style=True, sort_keys=False).strip()}\n" for c in checks_for_pack(pack)
    ]
    governance.write_text(text[:start] + "".join(lines) + text[end:])


def render_pipeline(cloud: str, ctx: Mapping[str, Any], name: str | None = None) -> str:
    """One of the hub's pipeline templates for a cloud (default: the training pipeline), filled with the
    project's context."""
    import jinja2

    from govhub.pipelines import PIPELINES  # the templates the hub stack publishes

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PIPELINES), undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    return env.get_template(f"{cloud}/{name or PIPELINE_FILES[cloud][0]}.j2").render(cookiecutter=dict(ctx))


def _files(project: Path) -> dict[str, str]:
    out = {}
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project).as_posix()
        if (
            path.is_file()
            and rel != RECORD
            and not rel.startswith(("artifacts/", ".git/"))
            and "__pycache__" not in rel
        ):
            out[rel] = sha256_hex(path.read_bytes())
    return out


def record(project: Path, ctx: Mapping[str, Any]) -> None:
    context = {k: v for k, v in ctx.items() if not k.startswith("_")}
    (project / RECORD).write_text(
        json.dumps(
            {
                "template": "govhub ml-project",
                "template_version": context.get("template_version"),
                "context": context,
                "files": _files(project),
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )


@dataclass
class UpdatePlan:
    current: str
    target: str
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (old text, new text)
    added: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # changed by the user and by the template

    def diff(self) -> str:
        parts: list[str] = []
        for path, (old, new) in sorted(self.changed.items()):
            parts += difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}"
            )
        for path, new in sorted(self.added.items()):
            parts += difflib.unified_diff([], new.splitlines(keepends=True), "/dev/null", f"b/{path}")
        return "".join(parts)

    @property
    def empty(self) -> bool:
        return not (self.changed or self.added or self.removed or self.conflicts) and self.current == self.target


def plan_update(project: Path, template: Path = TEMPLATE) -> UpdatePlan:
    recorded_path = project / RECORD
    if not recorded_path.is_file():
        raise ProjectError(f"{project} has no {RECORD}: it was not generated by `govhub project new`")
    recorded = json.loads(recorded_path.read_text())
    ctx = {**recorded["context"], "template_version": template_version(template)}
    with tempfile.TemporaryDirectory() as tmp:
        fresh = new_project(ctx, Path(tmp), template)
        new_files = {rel: (fresh / rel).read_text(errors="replace") for rel in _files(fresh)}
    plan = UpdatePlan(current=recorded["template_version"], target=ctx["template_version"])
    old_hashes: dict[str, str] = recorded["files"]
    for rel, new_text in new_files.items():
        path = project / rel
        new_hash = sha256_hex(new_text.encode())
        if not path.exists():
            if rel not in old_hashes:
                plan.added[rel] = new_text
            continue  # the user deleted a generated file: respect that
        ours = sha256_hex(path.read_bytes())
        if ours == new_hash:
            continue
        user_changed = old_hashes.get(rel) != ours
        template_changed = old_hashes.get(rel) != new_hash
        if user_changed and template_changed:
            plan.conflicts.append(rel)
        elif template_changed:
            plan.changed[rel] = (path.read_text(errors="replace"), new_text)
    plan.removed = sorted(
        rel
        for rel in old_hashes
        if rel not in new_files
        and (project / rel).exists()
        and sha256_hex((project / rel).read_bytes()) == old_hashes[rel]
    )
    plan._ctx = ctx  # type: ignore[attr-defined]
    return plan


def apply_update(project: Path, plan: UpdatePlan) -> None:
    for rel, (_, new) in plan.changed.items():
        (project / rel).write_text(new)
    for rel, new in plan.added.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(new)
    for rel in plan.removed:
        (project / rel).unlink()
    recorded = json.loads((project / RECORD).read_text())
    files = _files(project)
    for rel in plan.conflicts:  # keep the old base for conflicts, so the next update still sees them
        files[rel] = recorded["files"].get(rel, files.get(rel, ""))
    recorded.update(template_version=plan.target, files=files)
    recorded["context"]["template_version"] = plan.target
    (project / RECORD).write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
