"""The platform config loader: typed models, and one report that lists every problem."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from govhub.config import ConfigError, PlatformConfig, load_config, parse_config
from tests.helpers import EXAMPLE_CONFIG, FIXTURES, ROOT

EVERY_PROBLEM = FIXTURES / "config" / "every_problem.yaml"

# (field path, words the message must contain, words the fix must contain)
EXPECTED_PROBLEMS = {
    ("hubs.aws.governance_account_id", "invalid value '2222'", "12-digit"),
    ("hubs.aws.colour", "unknown key 'colour'", "remove it"),
    ("hubs.aws.region", "outside the allow-list", "allowed_regions.aws"),
    ("teams[0].risk_tiers[1]", "unknown risk tier 'extreme'", "minimal, limited, high, prohibited"),
    ("teams[1].name", "already used by teams[0]", "unique"),
    ("teams[1].account", "not a 12-digit AWS account id", '"vend"'),
    ("teams[1].region", "'ap-south-1' is outside the allow-list", "allowed_regions.aws"),
    ("teams[2].cloud", "unknown cloud 'azzure'", "did you mean 'azure'"),
    ("teams[3].cloud", "no hubs.gcp section", "add a hubs.gcp section"),
    ("teams[3].use_cases[0].risk_tier", "may not carry", "risk_tiers"),
}


def test_example_config_loads_into_frozen_typed_models(example_config: PlatformConfig) -> None:
    assert example_config.hubs.clouds == ("aws",)
    assert [t.name for t in example_config.teams] == ["fraud", "recsys", "claims"]
    recsys = example_config.team("recsys")
    assert recsys.vended and recsys.account_email == "aws-recsys@acme.example"
    assert example_config.region_for(recsys) == "eu-central-1"
    assert example_config.region_for(example_config.team("fraud")) == "eu-west-1"
    assert example_config.guardrails.audit_retention_days == 2555
    assert isinstance(example_config.teams, tuple) and isinstance(recsys.owners, tuple)
    with pytest.raises(ValidationError):
        recsys.name = "other"  # frozen: the assignment must fail


def test_one_report_lists_every_problem_with_file_field_and_fix() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(EVERY_PROBLEM)
    error = caught.value
    found = {p.path: p for p in error.problems}
    for path, message, fix in EXPECTED_PROBLEMS:
        assert path in found, f"no problem reported at {path}; got {sorted(found)}"
        assert message in found[path].message, found[path]
        assert fix in found[path].fix, found[path]
        assert found[path].line is not None
    assert len(error.problems) == len(EXPECTED_PROBLEMS), error.report()
    report = error.report()
    assert report.startswith(f"platform config {EVERY_PROBLEM} has {len(EXPECTED_PROBLEMS)} problems:")
    assert f"{EVERY_PROBLEM}:7  hubs.aws.governance_account_id" in report
    assert report.count("fix: ") == len(EXPECTED_PROBLEMS)


def _problems(text: str) -> dict[str, tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "inline.yaml")
    return {p.path: (p.message, p.fix) for p in caught.value.problems}


BASE = """
version: 1
organization: acme
hubs:
  aws: {management_account_id: "111111111111", governance_account_id: "222222222222",
        organization_id: o-a1b2c3d4e5, region: eu-west-1, owner: p@acme.example, cost_centre: CC-1}
guardrails:
  allowed_regions: {aws: [eu-west-1]}
teams:
"""
TEAM = "  - {{name: {name}, cloud: aws, account: {account}, owners: [a@acme.example], cost_centre: CC-1, risk_tiers: [high]{extra}}}\n"


def test_unquoted_account_id_is_asked_to_be_quoted() -> None:
    problems = _problems(BASE + TEAM.format(name="fraud", account="333333333333", extra=""))
    message, fix = problems["teams[0].account"]
    assert "expected a quoted string, got int" in message
    assert "put the value in quotes" in fix


def test_vended_account_needs_an_email_and_an_aws_team() -> None:
    problems = _problems(BASE + TEAM.format(name="fraud", account="vend", extra=""))
    assert "root e-mail" in problems["teams[0].account_email"][0]


def test_team_may_not_reuse_a_hub_account() -> None:
    problems = _problems(BASE + TEAM.format(name="fraud", account='"222222222222"', extra=""))
    assert "is the hub's governance_account_id" in problems["teams[0].account"][0]


def test_missing_required_key_names_the_key_and_what_it_is() -> None:
    problems = _problems(
        BASE.replace("cost_centre: CC-1}", "}")
        + TEAM.format(name="a1", account="vend", extra=", account_email: x@y.zz")
    )
    message, fix = problems["hubs.aws.cost_centre"]
    assert message == "required key 'cost_centre' is missing"
    assert fix == "add cost_centre: (cost centre billed for the hub)"


def test_duplicate_yaml_keys_are_reported_not_silently_overwritten() -> None:
    problems = _problems(BASE + TEAM.format(name="fraud", account='"333333333333"', extra=", cost_centre: CC-2"))
    assert any("appears twice" in m for m, _ in problems.values())


def test_unknown_top_level_key_suggests_the_close_match() -> None:
    problems = _problems(BASE.replace("guardrails:", "guardrail:"))
    assert "did you mean 'guardrails'" in problems["guardrail"][1]
    assert problems["guardrails"][0] == "required key 'guardrails' is missing"


def test_yaml_syntax_error_is_one_problem_with_a_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("version: 1\nteams: [unclosed\n", "broken.yaml")
    (problem,) = caught.value.problems
    assert "not valid YAML" in problem.message and problem.line == 3


def test_missing_file_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_extra_required_tags_need_values_and_risk_tier_is_automatic() -> None:
    text = BASE.replace(
        "allowed_regions: {aws: [eu-west-1]}",
        "allowed_regions: {aws: [eu-west-1]}\n  required_tags: [owner, team, cost-centre, "
        "data-classification, risk-tier]",
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "inline.yaml")
    problems = [p.message for p in caught.value.problems if p.path == "guardrails.required_tags"]
    assert len(problems) == 2
    assert any("required tag 'data-classification' has no value" in m for m in problems)
    assert any("risk-tier cannot be required on every resource" in m for m in problems)


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "govhub", "config", "validate", str(EVERY_PROBLEM)],
        [sys.executable, "main.py"],
    ],
)
def test_commands_exit_2_with_the_report_and_no_traceback(command: list[str]) -> None:
    env = {"PLATFORM_CONFIG": str(EVERY_PROBLEM), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"has {len(EXPECTED_PROBLEMS)} problems" in result.stderr
    assert result.stdout == ""


def test_validate_command_accepts_the_example() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "govhub", "config", "validate", str(EXAMPLE_CONFIG)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "valid; hubs: aws; teams: 3 (fraud/aws, recsys/aws, claims/aws)" in result.stdout
