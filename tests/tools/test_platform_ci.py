"""The platform's own CI pipelines (GitHub Actions and GitLab CI), read as the runners would read them.

No runner is available offline, so these tests check the pipelines' structure and run every local
piece they call (make targets, tools modules, the inline script that turns `estate diff` into the
deploy matrix); the parts that need a cloud (OIDC, terraform plan, cdktf deploy) are not run here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from govhub.config import load_config
from tests.helpers import ROOT
from tests.mothub import CONFIG

GITHUB = ROOT / ".github" / "workflows" / "platform.yml"
GITLAB = ROOT / ".gitlab-ci.yml"


def test_github_workflow_validates_on_pull_requests_and_deploys_hub_then_spokes_with_oidc() -> None:
    wf = yaml.safe_load(GITHUB.read_text())
    triggers = wf[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"} and triggers["push"]["branches"] == ["main"]
    jobs = wf["jobs"]
    assert list(jobs) == ["synth", "plan", "deploy-hub", "deploy-spokes"]
    runs = "\n".join(s.get("run", "") for s in jobs["synth"]["steps"])
    for step in ("govhub config validate platform.yaml", "python main.py", "make checkov", "govhub estate diff"):
        assert step in runs, step
    assert jobs["plan"]["if"].startswith("github.event_name == 'pull_request'")
    assert "terraform plan" in "\n".join(s.get("run", "") for s in jobs["plan"]["steps"])
    assert jobs["deploy-spokes"]["needs"] == ["synth", "deploy-hub"]  # the hub first, then the spokes
    assert "matrix" in jobs["deploy-spokes"]["strategy"] and jobs["deploy-spokes"]["strategy"]["max-parallel"] > 1
    for name in ("plan", "deploy-hub", "deploy-spokes"):
        assert jobs[name]["permissions"]["id-token"] == "write", name  # OIDC, never keys
        creds = next(s for s in jobs[name]["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert "role-to-assume" in creds["with"]
    assert "AWS_ACCESS_KEY_ID" not in GITHUB.read_text() and "aws-secret-access-key" not in GITHUB.read_text()
    assert "npx cdktf deploy ${{ matrix.stack }}" in "\n".join(s.get("run", "") for s in jobs["deploy-hub"]["steps"])
    assert jobs["deploy-hub"]["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.synth.outputs.hubs) }}"
    for name in ("deploy-hub", "deploy-spokes"):  # each stack signs in to its own cloud, with OIDC
        logins = {s["uses"].split("@")[0]: s["if"] for s in jobs[name]["steps"] if "if" in s and "uses" in s}
        assert logins == {
            "aws-actions/configure-aws-credentials": "contains(matrix.stack, '-aws')",
            "azure/login": "contains(matrix.stack, '-azure')",
            "google-github-actions/auth": "contains(matrix.stack, '-gcp')",
        }, name


def test_gitlab_pipeline_has_the_same_shape() -> None:
    ci = yaml.safe_load(GITLAB.read_text())
    assert ci["stages"] == ["validate", "plan", "deploy-hub", "deploy-spokes"]
    assert ci["deploy-spokes"]["needs"] == ["synth", "deploy-hub"] and "parallel" in ci["deploy-spokes"]
    for job in ("plan", "deploy-hub", "deploy-spokes"):
        assert ci[job]["id_tokens"]["GOVHUB_OIDC_TOKEN"]["aud"] == "sts.amazonaws.com", job
        assert ci[job]["variables"]["AWS_ROLE_ARN"].startswith("$GOVHUB_"), job
    assert ci["plan"]["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert ci["deploy-hub"]["rules"][0]["if"] == "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
    for step in ("govhub config validate", "make checkov", "govhub estate diff"):
        assert any(step in line for line in ci["synth"]["script"]), step


def test_every_local_piece_the_pipelines_call_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for path in (GITHUB, GITLAB):
        text = path.read_text()
        for target in set(re.findall(r"\bmake ([a-z-]+)", text)):
            assert re.search(rf"^{target}:", makefile, re.M), f"{path.name}: make {target} is not a Makefile target"
        for module in set(re.findall(r"python -m (tools\.[a-z_]+)", text)):
            assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), f"{path.name}: {module} does not exist"


def test_the_github_matrix_script_turns_an_estate_diff_into_changed_stacks_and_spokes(tmp_path: Path) -> None:
    step = next(s for s in yaml.safe_load(GITHUB.read_text())["jobs"]["synth"]["steps"] if s.get("id") == "diff")
    script = step["run"].split("<<'PY' >> \"$GITHUB_OUTPUT\"\n", 1)[1].split("\nPY", 1)[0]
    rows = [
        {"stack": "hub-aws", "state": "changed"},
        {"stack": "hub-azure", "state": "unchanged"},
        {"stack": "spoke-aws-fraud", "state": "unchanged"},
        {"stack": "spoke-aws-payments", "state": "added"},
        {"stack": "spoke-aws-old", "state": "removed"},
    ]
    (tmp_path / "estate-diff.json").write_text(json.dumps(rows))
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    outputs = dict(line.split("=", 1) for line in out.stdout.splitlines())
    assert json.loads(outputs["changed"]) == ["hub-aws", "spoke-aws-payments"]
    assert json.loads(outputs["spokes"]) == ["spoke-aws-fraud", "spoke-aws-payments"]
    assert json.loads(outputs["hubs"]) == ["hub-aws", "hub-azure"]


def test_ci_variables_become_repository_variables_of_the_teams_ci(tmp_path: Path, capsys) -> None:
    from tools.ci_variables import commands, main

    outputs = {
        "spoke-aws-fraud": {
            "out-ci_variables": {
                "GOVHUB_CI_ROLE_ARN": "arn:aws:iam::333333333333:role/govhub/govhub-ci",
                "GOVHUB_SUBMIT_ROLE_ARN": "arn:aws:iam::222222222222:role/govhub/govhub-submit-fraud",
                "AWS_REGION": "eu-west-1",
            }
        }
    }
    cmds = commands(outputs, "spoke-aws-fraud", load_config(CONFIG))
    assert cmds[0] == [
        "gh",
        "variable",
        "set",
        "AWS_REGION",
        "--repo",
        "acme/fraud-credit-scoring",
        "--body",
        "eu-west-1",
    ]
    assert len(cmds) == 3
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    assert main([str(path), "spoke-aws-fraud", "--platform", str(CONFIG)]) == 0  # prints, runs nothing
    assert "gh variable set GOVHUB_CI_ROLE_ARN --repo acme/fraud-credit-scoring" in capsys.readouterr().out
    try:
        commands(outputs, "spoke-aws-recsys", load_config(CONFIG))
        raise AssertionError("a team without teams[].ci has nothing to write")
    except SystemExit as exc:
        assert "has no teams[].ci" in str(exc)
