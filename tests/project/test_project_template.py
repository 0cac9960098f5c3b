"""The data scientists' project template, baked in the style of cookiecutter-data-science: every valid
cloud x CI x tier combination, the exact file set, nothing left unrendered, each project's own tests
and its `govhub evaluate` on the sample data (a biased high-tier model must fail, a fair one pass)."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from govhub.project import (
    PIPELINE_FILES,
    ProjectError,
    apply_update,
    new_project,
    plan_update,
    render_pipeline,
    validate_context,
)
from tests.helpers import ROOT

CONFIG = ROOT / "examples" / "platform.yaml"
GOVHUB = str(Path(sys.executable).parent / "govhub")
COMBOS = list(
    itertools.product(("aws", "azure", "gcp"), ("github-actions", "gitlab-ci"), ("high", "limited", "minimal"))
)
COMMON = {
    "src/{pkg}/__init__.py",
    "src/{pkg}/data.py",
    "src/{pkg}/train.py",
    "src/{pkg}/evaluate.py",
    "src/{pkg}/evaluate_spark.py",
    "tests/test_train.py",
    "data/sample.csv",
    "governance.yaml",
    "model_card.yaml",
    "pyproject.toml",
    "README.md",
    ".gitignore",
    ".govhub-template.json",
}
AZUREML_EXPRESSION = re.compile(r"\$\{\{[^{}]*\}\}")
CI = {"github-actions": {".github/workflows/governance.yml"}, "gitlab-ci": {".gitlab-ci.yml"}}


def context(cloud: str, ci: str, tier: str, deps: str = "pip") -> dict:
    return {
        "project_name": f"Credit {cloud} {ci} {tier}",
        "team": "fraud",
        "use_case": "credit-scoring",
        "cloud": cloud,
        "risk_tier": tier,
        "ci": ci,
        "dependency_manager": deps,
        "owner": "dana@acme.example",
        "intended_use": "consumer credit scoring",
        "policy_pack": f"govhub-{tier}",
        "policy_version": "1.0.0",
        "template_version": "1.0.0",
    }


def files(project: Path) -> set[str]:
    return {
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and "artifacts" not in p.parts
    }


@pytest.fixture(scope="module")
def baked(tmp_path_factory) -> dict[tuple[str, str, str], Path]:
    out = tmp_path_factory.mktemp("bakes")
    return {combo: new_project(context(*combo), out) for combo in COMBOS}


@pytest.mark.parametrize("combo", COMBOS, ids=["-".join(c) for c in COMBOS])
def test_bake_has_exactly_the_expected_files_all_rendered(baked, combo) -> None:
    cloud, ci, tier = combo
    project = baked[combo]
    pkg = project.name.replace("-", "_")
    expected = {f.format(pkg=pkg) for f in COMMON} | CI[ci] | {f"pipelines/{name}" for name in PIPELINE_FILES[cloud]}
    assert files(project) == expected
    for rel in expected - {"data/sample.csv"}:
        text = AZUREML_EXPRESSION.sub("", (project / rel).read_text())  # Azure ML's own ${{...}} syntax
        assert "{{" not in text and "{%" not in text, rel
    # the project depends on govhub with its own cloud's extra, and its CI installs just the project
    assert f'"govhub[{cloud}]>=0.1"' in (project / "pyproject.toml").read_text()
    ci_text = "".join((project / rel).read_text() for rel in CI[ci] if (project / rel).is_file())
    assert "install govhub" not in ci_text and " govhub\n" not in ci_text
    governance = yaml.safe_load((project / "governance.yaml").read_text())
    assert (governance["risk_tier"], governance["cloud"], governance["policy"]["name"]) == (
        tier,
        cloud,
        f"govhub-{tier}",
    )
    from govhub.core.monitoring import parse_plan

    parse_plan((project / "governance.yaml").read_text(), "governance.yaml")  # the plan attaches as it is
    record = json.loads((project / ".govhub-template.json").read_text())
    assert record["template_version"] == "1.0.0" and record["context"]["ci"] == ci
    (ci_file,) = CI[ci]
    workflow = yaml.safe_load((project / ci_file).read_text())  # the CI definition parses
    text = json.dumps(workflow)
    assert f"{pkg}.evaluate" in text and "govhub submit --team fraud" in text
    assert ("refs/heads/main" in text) if ci == "github-actions" else ("CI_DEFAULT_BRANCH" in text)
    assert ("configure-aws-credentials" in text) == (ci == "github-actions" and cloud == "aws")


def _run(project: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "GOVHUB": GOVHUB,
        "GIT_COMMIT": "abc1234",
        "TRAINING_JOB": "tj-test",
    }
    return subprocess.run([sys.executable, *argv], cwd=project, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("combo", COMBOS, ids=["-".join(c) for c in COMBOS])
def test_each_project_passes_its_own_tests_and_the_gates(baked, combo) -> None:
    project = baked[combo]
    tests = _run(project, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    pkg = project.name.replace("-", "_")
    assert _run(project, "-m", f"{pkg}.train").returncode == 0
    judged = _run(project, "-m", f"{pkg}.evaluate")
    assert judged.returncode == 0, judged.stdout + judged.stderr
    decision = json.loads((project / "artifacts" / "decision.json").read_text())
    assert decision["outcome"] == "pass" and decision["risk_tier"] == combo[2]


def test_a_biased_high_tier_model_fails_its_gate(baked) -> None:
    project = baked[("aws", "github-actions", "high")]
    pkg = project.name.replace("-", "_")
    assert _run(project, "-m", f"{pkg}.train", "--inject-bias").returncode == 0
    judged = _run(project, "-m", f"{pkg}.evaluate")
    assert judged.returncode == 1, judged.stdout + judged.stderr
    assert "clarify.DI" in judged.stdout and "below 0.8 required for risk tier high" in judged.stdout
    decision = json.loads((project / "artifacts" / "decision.json").read_text())
    assert [g["id"] for g in decision["gates"] if g["status"] == "fail"] == ["gate.fairness"]


def test_invalid_combinations_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    bad = {**context("aws", "github-actions", "high"), "policy_pack": "govhub-minimal", "ci": "jenkins"}
    with pytest.raises(ProjectError) as err:
        new_project(bad, tmp_path)
    assert "ci 'jenkins' is not one of" in str(err.value) and "does not belong to risk tier high" in str(err.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ProjectError, match="must start with a letter"):
        validate_context({**context("aws", "gitlab-ci", "high"), "project_slug": "1-bad", "package_name": "x"})


def test_project_new_takes_the_team_context_from_the_platform_config(tmp_path: Path, capsys) -> None:
    from govhub.cli import main

    code = main(
        [
            "project",
            "new",
            "--team",
            "fraud",
            "--use-case",
            "credit-scoring",
            "--platform",
            str(CONFIG),
            "--output-dir",
            str(tmp_path),
            "--ci",
            "gitlab-ci",
            "--deps",
            "uv",
        ]
    )
    assert code == 0, capsys.readouterr().err
    project = tmp_path / "credit-scoring"
    governance = yaml.safe_load((project / "governance.yaml").read_text())
    assert governance["risk_tier"] == "high" and governance["cloud"] == "aws"
    assert governance["hub"]["registry"] == (
        "arn:aws:sagemaker:eu-west-1:222222222222:model-package-group/fraud-credit-scoring"
    )
    assert governance["hub"]["submit_role"] == "arn:aws:iam::222222222222:role/govhub/govhub-submit-fraud"
    pipeline = json.loads((project / "pipelines" / "sagemaker_pipeline.json").read_text())
    submit = next(s for s in pipeline["Steps"] if s["Name"] == "SubmitToHub")  # the hub service registers
    assert (
        "govhub submit --team fraud --use-case credit-scoring"
        in submit["Arguments"]["AppSpecification"]["ContainerEntrypoint"][2]
    )
    image = {p["Name"]: p["DefaultValue"] for p in pipeline["Parameters"]}["GovhubImage"]
    assert image == "222222222222.dkr.ecr.eu-west-1.amazonaws.com/govhub/pipeline-images:govhub-1.0.0"
    assert "uv sync" in (project / ".gitlab-ci.yml").read_text()
    gitlab = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    assert "govhub submit --team fraud" in gitlab["submit"]["script"][-1]
    # the CI role the spoke stack creates (teams[].ci), with its OIDC wiring and the README's CI variables
    assert gitlab["submit"]["variables"]["AWS_ROLE_ARN"] == "$GOVHUB_CI_ROLE_ARN"
    assert gitlab["submit"]["id_tokens"]["GOVHUB_OIDC_TOKEN"]["aud"] == "https://gitlab.com"
    readme = (project / "README.md").read_text()
    assert "| repository variable `GOVHUB_CI_ROLE_ARN` | `arn:aws:iam::333333333333:role/govhub/govhub-ci` |" in readme
    assert "| the CI the role trusts | `github:acme/fraud-credit-scoring@main` |" in readme
    assert "| repository variable `AWS_REGION` | `eu-west-1` |" in readme


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--team", "ghost"], "no team named 'ghost'"),
        (["--team", "fraud", "--use-case", "credit-scoring", "--tier", "minimal"], "may not build risk tier minimal"),
        (["--team", "fraud", "--use-case", "credit-scoring", "--cloud", "gcp"], "team fraud is on aws, not gcp"),
        (
            ["--team", "fraud", "--use-case", "credit-scoring", "--tier", "limited"],
            "use case credit-scoring is risk tier high",
        ),
        (["--team", "fraud", "--use-case", "payments"], "team fraud has no use case 'payments'"),
    ],
)
def test_project_new_refusals(tmp_path: Path, capsys, argv, message) -> None:
    from govhub.cli import main

    code = main(["project", "new", *argv, "--platform", str(CONFIG), "--output-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_non_empty_directory_is_never_overwritten(tmp_path: Path, capsys) -> None:
    from govhub.cli import main

    (tmp_path / "credit-scoring").mkdir()
    (tmp_path / "credit-scoring" / "notes.txt").write_text("mine")
    code = main(
        [
            "project",
            "new",
            "--team",
            "fraud",
            "--use-case",
            "credit-scoring",
            "--platform",
            str(CONFIG),
            "--output-dir",
            str(tmp_path),
        ]
    )
    assert code == 2 and "exists and is not empty" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "credit-scoring").iterdir()] == ["notes.txt"]


def test_update_shows_and_applies_a_newer_template_and_keeps_user_changes(tmp_path: Path) -> None:
    import shutil

    from govhub import project as project_module

    template = tmp_path / "template"
    shutil.copytree(project_module.TEMPLATE, template)
    project = new_project(context("aws", "github-actions", "high"), tmp_path / "out", template)
    # the user edits their README; the template (v1.1.0) changes the README, the model card and adds a file
    (project / "README.md").write_text((project / "README.md").read_text() + "\nOur notes.\n")
    cfg = json.loads((template / "cookiecutter.json").read_text())
    cfg["template_version"] = "1.1.0"
    (template / "cookiecutter.json").write_text(json.dumps(cfg, indent=2))
    slug_dir = template / "{{cookiecutter.project_slug}}"
    (slug_dir / "README.md").write_text((slug_dir / "README.md").read_text() + "\nNew template section.\n")
    (slug_dir / "model_card.yaml").write_text(
        (slug_dir / "model_card.yaml")
        .read_text()
        .replace("Replace before use.", "Replace before use; see the hub's data policy.")
    )
    (slug_dir / "CONTRIBUTING.md").write_text("Contributions follow the hub's review rules.\n")
    plan = plan_update(project, template)
    assert (plan.current, plan.target) == ("1.0.0", "1.1.0")
    # the version is recorded in governance.yaml and the pipeline's metadata, so those change too
    assert set(plan.changed) == {
        "model_card.yaml",
        "governance.yaml",
        "pipelines/sagemaker_pipeline.json",
        "pipelines/sagemaker_deploy_pipeline.json",
        "pipelines/sagemaker_spark_evaluation.json",
    }
    assert plan.conflicts == ["README.md"] and set(plan.added) == {"CONTRIBUTING.md"}
    assert (
        '+limitations: "Trained on the bundled synthetic sample; not validated on real applicants. Replace before use; see the hub\'s data policy."'
        in plan.diff()
    )
    apply_update(project, plan)
    assert "hub's data policy" in (project / "model_card.yaml").read_text()
    assert (project / "CONTRIBUTING.md").is_file() and "Our notes." in (project / "README.md").read_text()
    record = json.loads((project / ".govhub-template.json").read_text())
    assert record["template_version"] == "1.1.0"
    again = plan_update(project, template)
    assert not again.changed and not again.added and again.conflicts == ["README.md"]


def test_pipelines_render_for_every_cloud_from_the_hub_templates() -> None:
    ctx = {
        **context("aws", "github-actions", "high"),
        "project_slug": "credit",
        "package_name": "credit",
        "hub_registry": "",
        "hub_account": "",
        "hub_region": "",
    }
    for cloud, name in ((c, n) for c, names in PIPELINE_FILES.items() for n in names):
        text = render_pipeline(cloud, ctx, name)
        assert "{{" not in AZUREML_EXPRESSION.sub("", text), cloud


@pytest.mark.parametrize("tier", ["minimal", "limited", "high"])
def test_the_generated_monitoring_plan_carries_its_own_tiers_thresholds(tmp_path: Path, tier: str) -> None:
    """A limited-tier project used to get the high tier's bounds and would alert on its first day: the
    plan now holds exactly the bounds of its tier's pack for every monitored gate, and loads."""
    from govhub.core.monitoring import MONITORED_GATES, load_plan
    from govhub.core.policy import pack_for_tier

    project = new_project(context("aws", "github-actions", tier), tmp_path)
    plan = load_plan(project / "governance.yaml")
    pack = pack_for_tier(tier)
    bounds = {c.metric: (c.min, c.max, c.abs_max) for c in plan.checks}
    for gate in MONITORED_GATES:
        for t in pack.gates[gate].thresholds if gate in pack.gates else ():
            assert bounds.pop(t.metric) == (t.min, t.max, t.abs_max), (tier, t.metric)
    # what the pack does not bound is filled with defaults, never with another tier's bounds
    assert set(bounds) <= {"drift.psi", "quality.missing_rate"}
    assert f"the thresholds of {pack.name} {pack.version}" in (project / "governance.yaml").read_text()


def test_the_readme_first_steps_work_as_written_and_lineage_needs_the_commit(tmp_path: Path) -> None:
    """The README's first block, run as written (pip install aside: govhub comes from the organisation's
    index; here it is this checkout's): without the commit a high-tier project fails its lineage gate;
    after the README's `git init ... commit` line it passes, with the commit id in its lineage."""
    if not shutil.which("git"):
        pytest.fail("git is not installed (Debian package git)")
    project = new_project(context("aws", "github-actions", "high"), tmp_path)
    pkg = project.name.replace("-", "_")
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "GOVHUB": GOVHUB, "TRAINING_JOB": "tj-test"}
    for var in ("GIT_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA"):
        env.pop(var, None)
    env |= {"GIT_AUTHOR_NAME": "ds", "GIT_AUTHOR_EMAIL": "ds@acme.example", "GIT_COMMITTER_NAME": "ds",
            "GIT_COMMITTER_EMAIL": "ds@acme.example", "GIT_CEILING_DIRECTORIES": str(tmp_path)}  # fmt: skip

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=300)

    assert run(sys.executable, "-m", f"{pkg}.train").returncode == 0
    judged = run(sys.executable, "-m", f"{pkg}.evaluate")
    assert judged.returncode == 1 and "lineage code_commit 'uncommitted' is not a commit id" in judged.stdout
    block = (project / "README.md").read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    first = block.splitlines()[0].split("#", 1)[0]
    assert first.startswith("git init") and run("bash", "-c", first).returncode == 0
    judged = run(sys.executable, "-m", f"{pkg}.evaluate")
    assert judged.returncode == 0, judged.stdout + judged.stderr
    commit = run("git", "rev-parse", "HEAD").stdout.strip()
    card = yaml.safe_load((project / "artifacts" / "model_card.yaml").read_text())
    assert card["lineage"]["code_commit"] == commit
