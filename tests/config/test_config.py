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
    assert example_config.hubs.clouds == ("aws", "azure", "gcp")
    assert [t.name for t in example_config.teams] == ["fraud", "recsys", "claims", "credit", "vision"]
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


def test_a_misspelled_required_key_is_one_problem_with_did_you_mean() -> None:
    problems = _problems(
        BASE.replace("guardrails:", "guardrail:") + TEAM.format(name="fraud", account='"333333333333"', extra="")
    )
    assert list(problems) == ["guardrail"]
    message, fix = problems["guardrail"]
    assert message == "unknown key 'guardrail'; the required key 'guardrails' is missing"
    assert fix == "did you mean 'guardrails'? rename guardrail to guardrails"
    team = TEAM.format(name="fraud", account='"333333333333"', extra="").replace("risk_tiers", "risk_teirs")
    assert list(_problems(BASE + team)) == ["teams[0].risk_teirs"]


def test_an_unknown_optional_key_lists_the_keys_and_still_suggests() -> None:
    problems = _problems(BASE + TEAM.format(name="fraud", account='"333333333333"', extra=", vpc_cdir: 10.0.0.0/16"))
    message, fix = problems["teams[0].vpc_cdir"]
    assert message == "unknown key 'vpc_cdir'" and fix.startswith("did you mean 'vpc_cidr'? remove it or use one of:")


def test_overlapping_team_networks_are_reported_on_the_later_team() -> None:
    teams = TEAM.format(name="fraud", account='"333333333333"', extra=", vpc_cidr: 10.20.0.0/16") + TEAM.format(
        name="claims", account='"444444444444"', extra=", vpc_cidr: 10.20.64.0/18"
    )
    message, fix = _problems(BASE + teams)["teams[1].vpc_cidr"]
    assert message == "network 10.20.64.0/18 of team 'claims' overlaps 10.20.0.0/16 of team 'fraud'"
    assert "own range" in fix
    apart = teams.replace("10.20.64.0/18", "10.21.0.0/16")
    parse_config(BASE + apart, "inline.yaml")  # adjacent ranges are fine


def test_a_protected_attribute_without_groups_is_refused() -> None:
    case = ", use_cases: [{name: credit, risk_tier: high, protected_attributes: {sex: []}}]"
    message, _ = _problems(BASE + TEAM.format(name="fraud", account='"333333333333"', extra=case))[
        "teams[0].use_cases[0].protected_attributes.sex"
    ]
    assert "lists no groups" in message


def test_an_empty_tier_list_is_one_problem_not_one_per_use_case() -> None:
    case = ", use_cases: [{name: credit, risk_tier: high}, {name: alerts, risk_tier: limited}]"
    team = TEAM.format(name="fraud", account='"333333333333"', extra=case).replace(
        "risk_tiers: [high]", "risk_tiers: []"
    )
    problems = _problems(BASE + team)
    assert list(problems) == ["teams[0].risk_tiers"] and problems["teams[0].risk_tiers"][0] == (
        "needs at least 1 entry, found 0"
    )


def test_validator_wording_never_reaches_people() -> None:
    from pydantic import BaseModel, Field, ValidationError

    from govhub.problems import problem_lines

    class Doc(BaseModel):
        groups: tuple[str, ...] = Field(min_length=1)
        threshold: float = Field(ge=0, le=1)
        name: str

    with pytest.raises(ValidationError) as caught:
        Doc.model_validate({"groups": [], "threshold": 2, "name": 5})
    lines = problem_lines(caught.value)
    assert lines == [
        "  groups: needs at least 1 entry, found 0",
        "  threshold: 2 is out of range: it must be at most 1",
        "  name: expected text, got int 5",
    ]
    assert not any("after validation" in line or "should be" in line.lower() for line in lines)


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
    assert (
        "valid; hubs: aws, azure, gcp; teams: 5 (fraud/aws, recsys/aws, claims/aws, credit/azure, vision/gcp)"
        in result.stdout
    )


AZURE_BASE = """
version: 1
organization: acme
hubs:
  azure: {tenant_id: 11111111-2222-3333-4444-555555555555, subscription_id: 66666666-7777-8888-9999-000000000000,
          location: westeurope, owner: p@acme.example, cost_centre: CC-1, service_client_id: SERVICE{billing}}
guardrails:
  allowed_regions: {azure: [westeurope]}
teams:
  - {name: credit, cloud: azure, account: ACCOUNT, owners: [a@acme.example], cost_centre: CC-1, risk_tiers: [high]}
"""


def azure(account: str, service: str = "bbbbbbbb-0000-0000-0000-000000000001", billing: str = "") -> str:
    return AZURE_BASE.replace("ACCOUNT", account).replace("SERVICE", service).replace("{billing}", billing)


def test_an_azure_subscription_is_vended_only_with_a_billing_scope() -> None:
    problems = _problems(azure("vend"))
    message, fix = problems["teams[0].account"]
    assert "billing scope" in message and "hubs.azure.billing_scope_id" in fix
    config = parse_config(
        azure("vend", billing=", billing_scope_id: /providers/Microsoft.Billing/billingAccounts/1"), "x.yaml"
    )
    assert config.teams[0].vended


def test_azure_ids_are_guids_named_in_one_report() -> None:
    problems = _problems(azure("not-a-guid", service="also-not"))
    assert "is not an Azure subscription GUID" in problems["teams[0].account"][0]
    assert "hubs.azure.service_client_id" in problems


def test_each_hub_chooses_its_registry() -> None:
    good_team = TEAM.format(name="fraud", account='"333333333333"', extra="")
    config = parse_config(BASE + good_team, "inline.yaml")
    assert config.hubs.aws is not None and config.hubs.aws.registry == "sagemaker"  # the cloud's own by default
    mlflow = BASE.replace(
        "cost_centre: CC-1}",
        "cost_centre: CC-1,\n        registry: mlflow, mlflow: {tracking_uri: 'https://mlflow.acme.example'}}",
    )
    config = parse_config(mlflow + good_team, "inline.yaml")
    assert config.hubs.aws.registry == "mlflow" and config.hubs.aws.mlflow.tracking_uri == "https://mlflow.acme.example"
    # another cloud's registry, or mlflow without a tracking server: one message each, with the fix
    problems = _problems(BASE.replace("cost_centre: CC-1}", "cost_centre: CC-1, registry: vertex}") + good_team)
    assert problems["hubs.aws.registry"][1] == "use one of: sagemaker, mlflow"
    problems = _problems(BASE.replace("cost_centre: CC-1}", "cost_centre: CC-1, registry: mlflow}") + good_team)
    message, fix = problems["hubs.aws.registry"]
    assert "needs the tracking server" in message and "hubs.aws.mlflow.tracking_uri" in fix
