"""The platform configuration: ``platform.yaml`` loaded into frozen, typed models.

A file is checked completely before anything is built from it. Every problem found
(unknown keys, malformed ids, a team on a cloud without a hub, a region outside the
allow-list, ...) is collected into one :class:`ConfigError` whose report names the
file, the line, the field path and the fix. Nothing falls back to a default silently.

This module must stay cheap to import: it is used by the gate CLI as well as by the
stacks, so it imports neither the CDK engine nor any cloud SDK.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from govhub.core.identity import Directory, IdentityError, Person, canonical, confusable_pairs
from govhub.problems import describe
from govhub.vocabulary import CLOUDS, RISK_TIERS, Cloud, RiskTier, highest_tier

__all__ = [
    "CLOUDS",
    "RISK_TIERS",
    "ConfigError",
    "PlatformConfig",
    "Team",
    "UseCase",
    "highest_tier",
    "load_config",
    "parse_config",
]
VEND = "vend"
BASE_TAGS = ("owner", "team", "cost-centre")

AWS_ACCOUNT_PATTERN = r"^\d{12}$"
AZURE_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
GCP_PROJECT_PATTERN = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
TeamName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$")]
AwsAccountId = Annotated[str, StringConstraints(pattern=AWS_ACCOUNT_PATTERN)]
AzureId = Annotated[str, StringConstraints(pattern=AZURE_ID_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]

# Fixes for constrained fields, keyed by the last element of the field path.
FIELD_FIXES: Mapping[str, str] = {
    "management_account_id": 'use the 12-digit AWS account id in quotes, e.g. "111111111111"',
    "governance_account_id": 'use the 12-digit AWS account id in quotes, e.g. "222222222222"',
    "organization_id": "use the AWS Organizations id (o- and 10 to 32 lowercase letters or digits), "
    'e.g. "o-a1b2c3d4e5"; for GCP, the numeric organization id in quotes',
    "account": "use the team's account id in quotes (AWS: 12 digits, Azure: subscription GUID, "
    'GCP: project id), or "vend" to create a new AWS account',
    "tenant_id": 'use the Entra tenant GUID in quotes, e.g. "00000000-0000-0000-0000-000000000000"',
    "subscription_id": 'use the subscription GUID in quotes, e.g. "00000000-0000-0000-0000-000000000000"',
    "project_id": "use a GCP project id: 6 to 30 lowercase letters, digits or hyphens, starting with a letter",
    "name": "use lowercase letters, digits and hyphens, starting with a letter (2 to 32 characters; "
    "team names at most 24, because they are part of bucket names)",
    "owners": "list owners as e-mail addresses, e.g. [alice@example.com]",
    "owner": "give an e-mail address, e.g. platform@example.com",
    "account_email": "give the e-mail address for the new account's root user, e.g. aws-fraud@example.com",
    "risk_tiers": f"use tiers from: {', '.join(RISK_TIERS)}",
    "risk_tier": f"use one of: {', '.join(RISK_TIERS)}",
    "cloud": f"use one of: {', '.join(CLOUDS)}",
    "audit_retention_days": "give a whole number of days between 1 and 36500 (2555 is seven years)",
    "budget_monthly_usd": "give a positive whole number of US dollars",
    "vpc_cidr": 'give an IPv4 network in CIDR notation, e.g. "10.20.0.0/16"',
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MlflowSettings(_Model):
    """The MLflow tracking server a hub keeps its registry in (``registry: mlflow``)."""

    tracking_uri: NonEmpty = Field(
        description="the tracking server the hub service registers models in: https://mlflow.example.com, "
        "databricks (a Databricks workspace), or an Azure ML workspace's azureml:// MLflow URI"
    )


REGISTRY_DESCRIPTION = (
    "the hub's model registry: the cloud's own ({native}) or mlflow (any MLflow tracking server, set under mlflow)"
)


class S3State(_Model):
    """Where the AWS stacks keep their Terraform state: an S3 bucket, one key per stack, locked with
    S3's native lock file (Terraform 1.10 and newer; no DynamoDB table)."""

    bucket: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] = Field(
        description="the state bucket (in the governance account; versioned and encrypted by whoever creates it)"
    )
    region: NonEmpty | None = Field(default=None, description="the bucket's region (default: the hub's)")
    prefix: NonEmpty = Field(default="govhub", description="the folder in the bucket; each stack adds <stack>.tfstate")
    kms_key_id: NonEmpty | None = Field(
        default=None, description="a KMS key ARN for the state objects (default: the bucket's own encryption)"
    )


class AwsHub(_Model):
    """The AWS side of the governance hub."""

    management_account_id: AwsAccountId = Field(description="the organization's management (payer) account")
    governance_account_id: AwsAccountId = Field(description="the account that holds the governance hub")
    organization_id: Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$")] = Field(
        description="the AWS Organizations id, e.g. o-a1b2c3d4e5"
    )
    region: NonEmpty = Field(description="the hub's home region, e.g. eu-west-1")
    owner: Email = Field(description="e-mail address of the platform team")
    cost_centre: NonEmpty = Field(description="cost centre billed for the hub")
    access_role_name: NonEmpty = Field(
        default="OrganizationAccountAccessRole",
        description="role the deploy pipeline assumes in every member account",
    )
    workloads_ou_name: NonEmpty = Field(default="ml-workloads", description="OU that holds the team accounts")
    ci_principal_arn: NonEmpty | None = Field(
        default=None, description="principal allowed to assume the CI deployer role (default: the governance account)"
    )
    registry: Literal["sagemaker", "mlflow"] = Field(
        default="sagemaker", description=REGISTRY_DESCRIPTION.format(native="sagemaker")
    )
    mlflow: MlflowSettings | None = Field(default=None, description="the tracking server, for registry: mlflow")
    state: S3State | None = Field(
        default=None, description="the s3 backend for the AWS stacks (needed to synthesize them for a deploy)"
    )


class TeamCi(_Model):
    """The team's CI, whose OIDC token the spoke's CI role trusts (no long-lived keys)."""

    provider: Literal["github", "gitlab"] = Field(description="github (Actions) or gitlab (CI/CD)")
    repository: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")] = Field(
        description='the repository the team submits from: "owner/repo" (GitHub) or "group/project" (GitLab)'
    )
    branch: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_./-]{1,100}$")] = Field(
        default="main", description="the only branch whose pipelines may submit to the hub"
    )
    gitlab_host: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+$")] = Field(
        default="gitlab.com", description="the GitLab instance that issues the tokens (gitlab only)"
    )

    @property
    def issuer_host(self) -> str:
        return "token.actions.githubusercontent.com" if self.provider == "github" else self.gitlab_host

    @property
    def audience(self) -> str:
        return "sts.amazonaws.com" if self.provider == "github" else f"https://{self.gitlab_host}"

    @property
    def subject(self) -> str:
        """The token subject of a pipeline on the submitting branch, as each provider spells it."""
        if self.provider == "github":
            return f"repo:{self.repository}:ref:refs/heads/{self.branch}"
        return f"project_path:{self.repository}:ref_type:branch:ref:{self.branch}"


class AzureState(_Model):
    """Where the Azure stacks keep their Terraform state: a blob container, reached with Entra ID."""

    resource_group: NonEmpty = Field(description="resource group of the state storage account")
    storage_account: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{3,24}$")] = Field(
        description="the state storage account (3-24 lower-case letters and digits)"
    )
    container: NonEmpty = Field(default="tfstate", description="the blob container; one blob per stack")


class AzureHub(_Model):
    """The Azure side of the governance hub."""

    tenant_id: AzureId = Field(description="the Entra tenant GUID")
    subscription_id: AzureId = Field(description="the subscription that holds the hub")
    location: NonEmpty = Field(description="the hub's Azure location, e.g. westeurope")
    owner: Email = Field(description="e-mail address of the platform team")
    cost_centre: NonEmpty = Field(description="cost centre billed for the hub")
    ml_management_group: Slug = Field(
        default="ml-workloads", description="the management group created for ML subscriptions"
    )
    approver_group_id: AzureId | None = Field(
        default=None, description="object id of the Entra group of approvers (from the identity provider)"
    )
    auditor_group_id: AzureId | None = Field(default=None, description="object id of the auditors' Entra group")
    platform_admin_group_id: AzureId | None = Field(
        default=None, description="object id of the platform admins' Entra group"
    )
    network_cidr: NonEmpty = Field(
        default="10.250.0.0/24",
        description="the hub's virtual network: private endpoints of its stores and the hub service's subnet",
    )
    service_client_id: AzureId = Field(
        description="client id of the hub service's Entra app registration (the API its Function App's "
        "authentication accepts tokens for; a tenant admin registers it once)"
    )
    billing_scope_id: NonEmpty | None = Field(
        default=None,
        description="billing scope that vended team subscriptions are billed to (an enrollment account or "
        "invoice section id); needed for teams with account: vend",
    )
    platform_ci: TeamCi | None = Field(
        default=None, description="the platform repository's CI: federated identities for plans and deploys"
    )
    state: AzureState | None = Field(
        default=None, description="the azurerm backend for the Azure stacks (needed to synthesize them for a deploy)"
    )
    registry: Literal["azureml", "mlflow"] = Field(
        default="azureml", description=REGISTRY_DESCRIPTION.format(native="azureml")
    )
    mlflow: MlflowSettings | None = Field(default=None, description="the tracking server, for registry: mlflow")


class GcsState(_Model):
    """Where the GCP stacks keep their Terraform state: a GCS bucket, one prefix per stack."""

    bucket: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")] = Field(
        description="the state bucket"
    )
    prefix: NonEmpty = Field(default="govhub", description="the folder in the bucket; each stack adds its name")


class GcpHub(_Model):
    """The Google Cloud side of the governance hub."""

    organization_id: Annotated[str, StringConstraints(pattern=r"^\d{6,20}$")] = Field(
        description="the numeric organization id, in quotes"
    )
    project_id: Annotated[str, StringConstraints(pattern=GCP_PROJECT_PATTERN)] = Field(
        description="the project that holds the hub"
    )
    region: NonEmpty = Field(description="the hub's region, e.g. europe-west4")
    owner: Email = Field(description="e-mail address of the platform team")
    cost_centre: NonEmpty = Field(description="cost centre billed for the hub")
    ml_folder: Slug = Field(default="ml-workloads", description="the folder created for ML projects")
    approver_group: Email | None = Field(default=None, description="the approvers' Google group (e-mail)")
    auditor_group: Email | None = Field(default=None, description="the auditors' Google group (e-mail)")
    platform_admin_group: Email | None = Field(default=None, description="the platform admins' Google group")
    billing_account: Annotated[str, StringConstraints(pattern=r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")] = Field(
        description='the Cloud Billing account id ("XXXXXX-XXXXXX-XXXXXX"): team budgets, and vended projects'
    )
    platform_ci: TeamCi | None = Field(
        default=None, description="the platform repository's CI: a workload identity pool and a deployer"
    )
    vpc_sc: bool = Field(default=False, description="put the hub and team projects in a VPC Service Controls perimeter")
    registry: Literal["vertex", "mlflow"] = Field(
        default="vertex", description=REGISTRY_DESCRIPTION.format(native="vertex")
    )
    mlflow: MlflowSettings | None = Field(default=None, description="the tracking server, for registry: mlflow")
    access_policy: Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")] | None = Field(
        default=None, description="the organization's Access Context Manager policy number (needed for vpc_sc)"
    )
    state: GcsState | None = Field(
        default=None, description="the gcs backend for the GCP stacks (needed to synthesize them for a deploy)"
    )


class Hubs(_Model):
    aws: AwsHub | None = None
    azure: AzureHub | None = None
    gcp: GcpHub | None = None

    def for_cloud(self, cloud: str) -> AwsHub | AzureHub | GcpHub | None:
        return getattr(self, cloud)

    @property
    def clouds(self) -> tuple[str, ...]:
        return tuple(c for c in CLOUDS if getattr(self, c) is not None)


class AllowedRegions(_Model):
    aws: tuple[NonEmpty, ...] = ()
    azure: tuple[NonEmpty, ...] = ()
    gcp: tuple[NonEmpty, ...] = ()


class Guardrails(_Model):
    allowed_regions: AllowedRegions = Field(description="regions each cloud may use; everything else is denied")
    audit_retention_days: int = Field(
        default=2555, ge=1, le=36500, description="object-lock retention of audit records"
    )
    required_tags: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")], ...] = Field(
        default=BASE_TAGS, description="tags every taggable resource must carry"
    )
    default_tags: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")], NonEmpty] = Field(
        default_factory=dict, description="values for required tags beyond owner, team and cost-centre"
    )


class UseCase(_Model):
    name: Slug = Field(description="the use case's name, e.g. credit-scoring")
    risk_tier: RiskTier = Field(description="the use case's risk tier")
    description: str = ""
    protected_attributes: dict[NonEmpty, tuple[NonEmpty, ...]] = Field(
        default_factory=dict,
        description="each sensitive column and its groups, e.g. {sex: [female, male]}; the hub requires "
        "fairness evidence for every group",
    )
    positive_outcome: str = Field(
        default="",
        max_length=40,
        description='what a positive prediction means to the people affected, e.g. "approval"; findings then '
        'speak of the "approval rate"',
    )


class PersonEntry(_Model):
    id: NonEmpty = Field(
        description="the person's identity-provider id (the role session name), e.g. erin@acme.example"
    )
    aliases: tuple[NonEmpty, ...] = Field(default=(), description="other spellings the identity provider may send")


class Governance(_Model):
    approvers: tuple[PersonEntry, ...] = Field(default=(), description="who may approve, reject and grant waivers")
    platform_admins: tuple[PersonEntry, ...] = Field(default=(), description="who operates the hub")


class Team(_Model):
    name: TeamName = Field(description="the team's short name, e.g. fraud")
    cloud: Cloud = Field(description="the cloud the team runs on")
    account: NonEmpty = Field(description='the team\'s account id, or "vend" to create one')
    account_email: Email | None = Field(default=None, description="root e-mail of a vended account")
    owners: tuple[Email, ...] = Field(min_length=1, description="owners' e-mail addresses")
    cost_centre: NonEmpty = Field(description="cost centre billed for the team")
    risk_tiers: tuple[RiskTier, ...] = Field(min_length=1, description="risk tiers the team's use cases may carry")
    region: NonEmpty | None = Field(default=None, description="the team's region (default: the hub's)")
    use_cases: tuple[UseCase, ...] = ()
    members: tuple[PersonEntry, ...] = Field(
        default=(), description="the team's people (authors of its models), by identity-provider id"
    )
    budget_monthly_usd: int = Field(default=1000, gt=0, description="monthly budget alarm, in USD")
    vpc_cidr: NonEmpty = Field(default="10.100.0.0/16", description="network for the team's ML workspace")
    ci: TeamCi | None = Field(
        default=None, description="the team's CI (provider, repository, branch): the spoke creates its OIDC role"
    )
    workbench: bool = Field(default=False, description="GCP: a Vertex AI Workbench instance for the team")

    @property
    def vended(self) -> bool:
        return self.account == VEND

    @property
    def owner(self) -> str:
        return self.owners[0]


class PlatformConfig(_Model):
    """The whole organisation: hubs, guardrails and teams."""

    version: Literal[1] = Field(description="schema version of this file; 1")
    organization: Slug = Field(description="short name of the organisation, used in resource names")
    hubs: Hubs = Field(description="the governance hub on each cloud in use")
    guardrails: Guardrails = Field(description="organisation-wide guardrail options")
    teams: tuple[Team, ...] = Field(default=(), description="one entry per ML team")
    governance: Governance = Field(default_factory=Governance, description="the hub's approvers and admins")

    @functools.cached_property
    def directory(self) -> Directory:
        """Everyone the platform declares, for identity comparisons (:mod:`govhub.core.identity`); built
        once per loaded config (the workflow consults it several times per request)."""
        people = [Person(p.id, p.aliases, approver=True) for p in self.governance.approvers]
        people += [Person(p.id, p.aliases, platform_admin=True) for p in self.governance.platform_admins]
        people += [Person(p.id, p.aliases, teams=(t.name,)) for t in self.teams for p in t.members]
        return Directory.build(people)

    def team(self, name: str) -> Team:
        for team in self.teams:
            if team.name == name:
                return team
        known = ", ".join(t.name for t in self.teams) or "none"
        raise KeyError(f"no team named {name!r} in the platform config; configured teams: {known}")

    def use_case(self, team_name: str, use_case: str | None) -> tuple[Team, UseCase | None, str]:
        """A team, one of its use cases (None: the team's own group) and the risk tier that applies:
        the use case's, else the strictest the team may carry. The one tier lookup, for the CLI and
        the project template alike. Raises KeyError with the fix for an unknown team or use case."""
        team = self.team(team_name)
        if not use_case:
            return team, None, highest_tier(team.risk_tiers)
        case = next((u for u in team.use_cases if u.name == use_case), None)
        if case is None:
            raise KeyError(
                f"team {team.name} has no use case {use_case!r}; its use cases: "
                f"{', '.join(u.name for u in team.use_cases) or 'none'} (add it to platform.yaml, or omit "
                "--use-case for the team's own group)"
            )
        return team, case, case.risk_tier

    def region_for(self, team: Team) -> str:
        if team.region:
            return team.region
        hub = self.hubs.for_cloud(team.cloud)
        if isinstance(hub, AzureHub):
            return hub.location
        if hub is None:
            raise KeyError(f"team {team.name} is on {team.cloud}, which has no hub in the platform config")
        return hub.region

    def teams_on(self, cloud: str) -> tuple[Team, ...]:
        return tuple(t for t in self.teams if t.cloud == cloud)


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config file: where it is, what is wrong, and how to fix it."""

    path: str
    message: str
    fix: str
    line: int | None = None

    def render(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"  {where}  {self.path or '(top level)'}\n      {self.message}\n      fix: {self.fix}"


class ConfigError(Exception):
    """A platform config that cannot be used; ``str()`` is the full, human-readable report."""

    def __init__(self, source: str, problems: Iterable[Problem]):
        self.source = source
        self.problems = tuple(sorted(problems, key=lambda p: (p.line or 0, p.path)))
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        head = f"platform config {self.source} has {n} problem{'s' if n != 1 else ''}:"
        return "\n".join([head, *(p.render(self.source) for p in self.problems)])


# --------------------------------------------------------------------------- loading


def load_config(path: str | Path) -> PlatformConfig:
    """Load and fully validate ``path``; raise :class:`ConfigError` listing every problem."""
    from govhub import inputs

    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ConfigError(
            source,
            [
                Problem(
                    "", "the file does not exist", "pass the path of your platform.yaml, e.g. examples/platform.yaml"
                )
            ],
        )
    try:
        text = inputs.read_text(path, "platform config")
    except inputs.InputError as exc:
        problem, _, fix = str(exc).removeprefix(f"{source}: ").partition("; ")
        raise ConfigError(source, [Problem("", problem, fix or "check the file's permissions")]) from None
    return parse_config(text, source)


def parse_config(text: str, source: str = "<string>") -> PlatformConfig:
    """Validate YAML text; ``source`` names it in the report."""
    from govhub import inputs

    try:
        inputs.check_bounds(text, source)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = _construct(node)
    except inputs.InputError as exc:
        problem, _, fix = str(exc).removeprefix(f"{source}: ").partition("; ")
        raise ConfigError(source, [Problem("", problem, fix or "simplify the document")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            source,
            [
                Problem(
                    "",
                    f"not valid YAML: {problem}",
                    "fix the YAML syntax at that line (indentation, quotes, colons)",
                    line,
                )
            ],
        ) from None
    lines: dict[tuple, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _index_lines(node, (), lines, problems)
    if not isinstance(data, dict):
        problems.append(
            Problem(
                "",
                "the file must be a YAML mapping with version, organization, hubs, guardrails and teams",
                "start from examples/platform.yaml",
                1,
            )
        )
        raise ConfigError(source, problems)

    config: PlatformConfig | None = None
    try:
        config = PlatformConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(_translate(err, lines) for err in _misspellings_merged(exc.errors(), lines))
    problems.extend(_semantic_problems(data, lines))
    if problems:
        raise ConfigError(source, _dedupe(problems))
    assert config is not None
    return config


def _index_lines(node: yaml.Node, path: tuple, lines: dict[tuple, int], problems: list[Problem]) -> None:
    """Map each field path to its line, and catch duplicate keys (which PyYAML silently overwrites)."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(
                        _dotted(path + (key,)),
                        f"key {key!r} appears twice (first on line {seen[key]}); YAML keeps only the last one",
                        "remove or merge the duplicate",
                        line,
                    )
                )
            seen[key] = line
            lines[path + (key,)] = line
            _index_lines(value_node, path + (key,), lines, problems)
            lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), lines, problems)


def _dotted(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _description(loc: tuple, field: str) -> str:
    model = _model_at(loc)
    info = model.model_fields.get(field) if model else None
    return (info.description or "") if info is not None else ""


def _construct(node: Any) -> Any:
    """The document's data from its composed node graph (the text is not parsed a second time)."""
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _mapping(value: Any) -> dict[str, Any]:
    """A YAML mapping, or an empty one for anything else (its own problem is reported elsewhere)."""
    return value if isinstance(value, dict) else {}


def _line_for(loc: tuple, lines: Mapping[tuple, int]) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class that owns the last element of ``loc`` (for listing allowed keys)."""
    model: Any = PlatformConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        for inner in get_args(arg):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _misspellings_merged(errors: list[Any], lines: Mapping[tuple, int]) -> list[Any]:
    """A misspelled required key is one mistake, not two: drop the "missing" error of a key when an
    unknown key beside it is its close match (the unknown key's problem says "did you mean")."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    covered = set()
    for e in errors:
        loc = tuple(e["loc"])
        if e["type"] != "extra_forbidden" or not loc:
            continue
        model = _model_at(loc)
        close = difflib.get_close_matches(str(loc[-1]), sorted(model.model_fields) if model else [], n=1)
        if close and loc[:-1] + (close[0],) in missing:
            covered.add(loc[:-1] + (close[0],))
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in covered)]


def _translate(err: Mapping[str, Any], lines: Mapping[tuple, int]) -> Problem:
    """Turn one pydantic error into a Problem with a fix a person can act on."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    # Drop pydantic's union branch markers such as 'str' or 'constrained-str'.
    loc = tuple(p for p in loc if p not in {"str", "constrained-str", "none", "int"})
    kind = err["type"]
    field = next((p for p in reversed(loc) if isinstance(p, str)), "")
    value = err.get("input")
    line = _line_for(loc, lines)
    path = _dotted(loc)
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = sorted(model.model_fields) if model else []
        close = difflib.get_close_matches(str(field), allowed, n=1)
        if close and model is not None and model.model_fields[close[0]].is_required():
            return Problem(
                path,
                f"unknown key {field!r}; the required key {close[0]!r} is missing",
                f"did you mean {close[0]!r}? rename {field} to {close[0]}",
                line,
            )
        hint = f"did you mean {close[0]!r}? " if close else ""
        return Problem(path, f"unknown key {field!r}", f"{hint}remove it or use one of: {', '.join(allowed)}", line)
    if kind == "missing":
        desc = _description(loc, field)
        return Problem(path, f"required key {field!r} is missing", f"add {field}:{f' ({desc})' if desc else ''}", line)
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",") if o.strip()]
        close = difflib.get_close_matches(str(value), options, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        what = {"cloud": "cloud", "risk_tiers": "risk tier", "risk_tier": "risk tier"}.get(field, "value")
        return Problem(path, f"unknown {what} {value!r}", f"{hint}use one of: {', '.join(options)}", line)
    if kind in {"string_type", "int_type", "int_parsing", "tuple_type", "model_type", "dict_type"}:
        expected = {
            "string_type": "a quoted string",
            "int_type": "a whole number",
            "int_parsing": "a whole number",
            "tuple_type": "a list",
            "model_type": "a mapping of keys",
            "dict_type": "a mapping of keys",
        }[kind]
        fix = FIELD_FIXES.get(field, f"write {expected}")
        if kind == "string_type" and isinstance(value, int):
            fix = f"put the value in quotes (unquoted numbers lose leading zeros); {fix}"
        return Problem(path, f"expected {expected}, got {type(value).__name__} {value!r}", fix, line)
    fix = FIELD_FIXES.get(field, "see examples/platform.yaml for a valid value")
    ctx = err.get("ctx") or {}
    if kind == "string_too_short":
        return Problem(path, "is empty", fix, line)
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        bound = f"at least {n}" if kind == "too_short" else f"at most {n}"
        return Problem(path, f"needs {bound} entr{'y' if n == 1 else 'ies'}, found {len(value or ())}", fix, line)
    bounds = {"greater_than": "more than", "greater_than_equal": "at least", "less_than": "less than",
              "less_than_equal": "at most"}  # fmt: skip
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        return Problem(path, f"{value!r} is out of range: it must be {bounds[kind]} {limit}", fix, line)
    if kind in ("bool_type", "bool_parsing", "float_type", "float_parsing", "finite_number"):
        expected = "true or false" if kind.startswith("bool") else "a finite number"
        return Problem(path, f"expected {expected}, got {type(value).__name__} {value!r}", fix, line)
    if kind == "string_pattern_mismatch":
        desc = _description(loc, field)
        return Problem(path, f"invalid value {value!r}" + (f": expected {desc}" if desc else ""), fix, line)
    return Problem(path, f"invalid value {value!r}: {describe(err)}", fix, line)


def _semantic_problems(data: Mapping[str, Any], lines: Mapping[tuple, int]) -> list[Problem]:
    """Checks that span fields. They read the raw data defensively so they run even when other
    parts of the file are malformed, which lets one report list every problem."""
    problems: list[Problem] = []

    def add(loc: tuple, message: str, fix: str) -> None:
        problems.append(Problem(_dotted(loc), message, fix, _line_for(loc, lines)))

    hubs = _mapping(data.get("hubs"))
    guard = _mapping(data.get("guardrails"))
    allowed_raw = _mapping(guard.get("allowed_regions"))
    allowed = {
        c: [r for r in (allowed_raw.get(c) or []) if isinstance(r, str)]
        for c in CLOUDS
        if isinstance(allowed_raw.get(c), list)
    }

    tags = guard.get("required_tags")
    if isinstance(tags, list):
        missing = [t for t in BASE_TAGS if t not in tags]
        if missing:
            add(
                ("guardrails", "required_tags"),
                f"required_tags must include {', '.join(BASE_TAGS)}; missing: {', '.join(missing)}",
                f"add {', '.join(missing)} to the list",
            )
        if "risk-tier" in tags:
            add(
                ("guardrails", "required_tags"),
                "risk-tier cannot be required on every resource: it is set "
                "automatically where it is relevant (model registries)",
                "remove risk-tier from required_tags",
            )
        defaults = _mapping(guard.get("default_tags"))
        for tag in tags:
            if isinstance(tag, str) and tag not in BASE_TAGS and tag != "risk-tier" and tag not in defaults:
                add(
                    ("guardrails", "required_tags"),
                    f"required tag {tag!r} has no value",
                    f"add guardrails.default_tags: {{{tag}: <value>}}",
                )

    def check_region(loc: tuple, cloud: str, region: Any) -> None:
        if not isinstance(data.get("guardrails"), dict):
            return  # no guardrails section (or a misspelled one): that is the problem to report
        if not isinstance(region, str) or cloud not in allowed:
            if isinstance(region, str) and cloud not in allowed and cloud in CLOUDS:
                add(
                    loc,
                    f"region {region!r} is used but guardrails.allowed_regions has no list for {cloud}",
                    f"add guardrails.allowed_regions.{cloud}: [{region}]",
                )
            return
        if region not in allowed[cloud]:
            add(
                loc,
                f"region {region!r} is outside the allow-list for {cloud} ({', '.join(allowed[cloud]) or 'empty'})",
                f"use an allowed region or add {region!r} to guardrails.allowed_regions.{cloud}",
            )

    hub_accounts: dict[str, str] = {}
    for cloud in CLOUDS:
        hub = hubs.get(cloud)
        if not isinstance(hub, dict):
            continue
        key = "location" if cloud == "azure" else "region"
        check_region(("hubs", cloud, key), cloud, hub.get(key))
        if hub.get("registry") == "mlflow" and not isinstance(hub.get("mlflow"), dict):
            add(
                ("hubs", cloud, "registry"),
                "registry: mlflow needs the tracking server the hub registers models in",
                f"add hubs.{cloud}.mlflow.tracking_uri: https://mlflow.example.com (or databricks, or an Azure ML "
                "workspace's azureml:// URI), or use the cloud's own registry",
            )
        if cloud == "gcp" and hub.get("vpc_sc") is True and not hub.get("access_policy"):
            add(
                ("hubs", "gcp", "access_policy"),
                "vpc_sc: true needs the organization's Access Context Manager policy",
                "add access_policy: the policy number (`gcloud access-context-manager policies list`), or set vpc_sc: false",
            )
        if cloud == "aws":
            for k in ("management_account_id", "governance_account_id"):
                if isinstance(hub.get(k), str):
                    hub_accounts[hub[k]] = k
            if hub.get("management_account_id") and hub.get("management_account_id") == hub.get(
                "governance_account_id"
            ):
                add(
                    ("hubs", "aws", "governance_account_id"),
                    "the governance hub must not live in the management account",
                    "use a dedicated governance account id (AWS recommends keeping workloads out of the management account)",
                )

    teams = data.get("teams")
    if teams is not None and not isinstance(teams, list):
        return problems
    names: dict[str, int] = {}
    accounts: dict[str, int] = {}
    networks: list[tuple[Any, ipaddress.IPv4Network]] = []  # (team name, vpc_cidr) seen so far
    for i, team in enumerate(teams or []):
        if not isinstance(team, dict):
            continue
        loc = ("teams", i)
        name = team.get("name")
        if isinstance(name, str):
            if name in names:
                add(
                    loc + ("name",),
                    f"team name {name!r} is already used by teams[{names[name]}]",
                    "give every team a unique name",
                )
            else:
                names[name] = i
        team_cloud = team.get("cloud")
        if isinstance(team_cloud, str) and team_cloud in CLOUDS and not isinstance(hubs.get(team_cloud), dict):
            have = ", ".join(c for c in CLOUDS if isinstance(hubs.get(c), dict)) or "none"
            add(
                loc + ("cloud",),
                f"team {name!r} is on {team_cloud} but there is no hubs.{team_cloud} section (hubs configured: {have})",
                f"add a hubs.{team_cloud} section, or move the team to a cloud with a hub",
            )
        account = team.get("account")
        if isinstance(account, str) and team_cloud in CLOUDS:
            azure_hub = hubs.get("azure")
            billing_scope = azure_hub.get("billing_scope_id") if isinstance(azure_hub, dict) else None
            _check_account(add, loc, team_cloud, account, team, billing_scope, data.get("organization"))
            if account != VEND:
                if account in accounts:
                    add(
                        loc + ("account",),
                        f"account {account} is already used by teams[{accounts[account]}]",
                        "give each team its own account",
                    )
                accounts[account] = i
                if account in hub_accounts:
                    add(
                        loc + ("account",),
                        f"account {account} is the hub's {hub_accounts[account]}",
                        'teams need their own accounts; use another id or "vend"',
                    )
        if isinstance(team_cloud, str) and team_cloud in CLOUDS and team.get("region") is not None:
            check_region(loc + ("region",), team_cloud, team.get("region"))
        tiers = team.get("risk_tiers") if isinstance(team.get("risk_tiers"), list) else None
        seen_cases: dict[str, int] = {}
        for j, uc in enumerate(team.get("use_cases") or []):
            case_name = uc.get("name") if isinstance(uc, dict) else None
            if isinstance(case_name, str) and case_name in seen_cases:
                add(
                    loc + ("use_cases", j, "name"),
                    f"use case {case_name!r} is listed twice for team {name!r} (also use_cases[{seen_cases[case_name]}])",
                    "keep one entry per use case, with the one risk tier that applies",
                )
            elif isinstance(case_name, str):
                seen_cases[case_name] = j
            if (
                isinstance(uc, dict)
                and tiers  # an empty list is reported once, as itself
                and uc.get("risk_tier") in RISK_TIERS
                and uc["risk_tier"] not in tiers
            ):
                add(
                    loc + ("use_cases", j, "risk_tier"),
                    f"use case {uc.get('name')!r} has risk tier "
                    f"{uc['risk_tier']!r}, which team {name!r} may not carry (allowed: {', '.join(map(str, tiers))})",
                    f"add {uc['risk_tier']!r} to teams[{i}].risk_tiers, or lower the use case's tier",
                )
        for j, uc in enumerate(team.get("use_cases") or []):
            attrs = uc.get("protected_attributes") if isinstance(uc, dict) else None
            for attr, members in (attrs or {}).items() if isinstance(attrs, dict) else ():
                if isinstance(members, list) and not members:
                    add(
                        loc + ("use_cases", j, "protected_attributes", attr),
                        f"protected attribute {attr!r} lists no groups, so the fairness gate could require nothing",
                        f"list the groups the evidence must cover, e.g. {attr}: [female, male]",
                    )
        cidr = team.get("vpc_cidr")
        if isinstance(cidr, str):
            try:
                net = ipaddress.IPv4Network(cidr)
                clash = next((n for n in networks if n[1].overlaps(net)), None)
                if clash is not None:
                    add(
                        loc + ("vpc_cidr",),
                        f"network {cidr} of team {name!r} overlaps {clash[1]} of team {clash[0]!r}",
                        "give each team its own range: overlapping networks can never be peered or routed to each other, "
                        "e.g. the next free /16",
                    )
                networks.append((name, net))
                if net.prefixlen > 24:
                    add(
                        loc + ("vpc_cidr",),
                        f"network {cidr} is too small for two subnets of /26 or larger",
                        "use a /24 or larger network, e.g. 10.20.0.0/16",
                    )
            except ValueError:
                add(loc + ("vpc_cidr",), f"{cidr!r} is not an IPv4 network", FIELD_FIXES["vpc_cidr"])
    problems += _people_problems(data, lines)
    # Every team and use case names one registry group (team, team-use-case): two must never share it.
    # (Two teams of one name are reported above as a duplicate name.)
    groups: dict[str, tuple[str, bool]] = {}
    for i, team in enumerate(data.get("teams") or []):
        if not isinstance(team, dict) or not isinstance(team.get("name"), str):
            continue
        owned: list[tuple[tuple[Any, ...], str, str]] = [(("teams", i, "name"), f"teams[{i}]", team["name"])]
        owned += [
            (("teams", i, "use_cases", j, "name"), f"teams[{i}].use_cases[{j}]", f"{team['name']}-{uc['name']}")
            for j, uc in enumerate(team.get("use_cases") or [])
            if isinstance(uc, dict) and isinstance(uc.get("name"), str)
        ]
        for loc, where, group in owned:
            is_case = len(loc) > 3
            other = groups.get(group)
            if other is not None and (is_case or other[1]) and not other[0].startswith(f"teams[{i}]"):
                add(
                    loc,
                    f"registry group {group!r} of {where} is also the group of {other[0]}",
                    "rename the team or the use case so that every team-use-case pair is unique",
                )
            groups.setdefault(group, (where, is_case))
    return problems


def _people_problems(data: Mapping[str, Any], lines: Mapping[tuple, int]) -> list[Problem]:
    """Every declared identity is canonical, no name denotes two people, and no two people's names could
    be read as each other (separation of duties compares people, see :mod:`govhub.core.identity`)."""
    problems: list[Problem] = []
    entries: list[tuple[tuple, Any]] = []
    gov = _mapping(data.get("governance"))
    for kind in ("approvers", "platform_admins"):
        entries += [(("governance", kind, i), p) for i, p in enumerate(gov.get(kind) or []) if isinstance(p, dict)]
    for i, team in enumerate(data.get("teams") or []):
        if isinstance(team, dict):
            entries += [
                (("teams", i, "members", j), p) for j, p in enumerate(team.get("members") or []) if isinstance(p, dict)
            ]
    owner: dict[str, tuple[str, tuple]] = {}  # canonical name -> (person id, where)
    for loc, entry in entries:
        names = [("id", entry.get("id"))] + [(("aliases", k), a) for k, a in enumerate(entry.get("aliases") or [])]
        try:
            pid = canonical(str(entry.get("id")))
        except IdentityError:
            pid = None
        for sub, raw in names:
            where = loc + (sub if isinstance(sub, tuple) else (sub,))
            if not isinstance(raw, str):
                continue
            try:
                name = canonical(raw)
            except IdentityError as exc:
                problems.append(
                    Problem(_dotted(where), str(exc), "use the id the identity provider sends", _line_for(where, lines))
                )
                continue
            if pid is None:
                continue
            other = owner.get(name)
            if other is not None and other[0] != pid:
                problems.append(
                    Problem(
                        _dotted(where),
                        f"{raw!r} is also a name of {other[0]} ({_dotted(other[1])})",
                        "give each person their own names: one name must never denote two people",
                        _line_for(where, lines),
                    )
                )
            owner.setdefault(name, (pid, where))
    for a, b in confusable_pairs({name: pid for name, (pid, _) in owner.items()}):
        where = owner[b][1]
        problems.append(
            Problem(
                _dotted(where),
                f"{b!r} ({owner[b][0]}) and {a!r} ({owner[a][0]}) differ only in look-alike characters",
                "separation of duties must be readable by people too: give one of them a distinct id, or, if "
                "they are one person, list the second spelling as an alias",
                _line_for(where, lines),
            )
        )
    return problems


def _check_account(
    add,
    loc: tuple,
    cloud: str,
    account: str,
    team: Mapping[str, Any],
    billing_scope: Any = None,
    organization: Any = "",
) -> None:
    if account == VEND:
        if cloud == "azure":
            if not billing_scope:
                add(
                    loc + ("account",),
                    "a vended Azure subscription needs a billing scope, and hubs.azure.billing_scope_id is not set",
                    "set hubs.azure.billing_scope_id (the enrollment account or invoice section id), or give the "
                    "existing subscription GUID",
                )
        elif cloud == "gcp":  # created in the ML folder, billed to hubs.gcp.billing_account (required)
            project = f"{organization}-{team.get('name')}-ml"[:30]
            if not re.match(GCP_PROJECT_PATTERN, project):
                add(
                    loc + ("account",),
                    f"the vended project id would be {project!r}, which is not a valid GCP project id",
                    "shorten the organization or team name, or give an existing project id",
                )
        elif not team.get("account_email"):
            add(
                loc + ("account_email",),
                "a vended account needs a root e-mail address",
                "add account_email: with an address nobody else uses, e.g. aws-<team>@example.com",
            )
        return
    pattern = {"aws": AWS_ACCOUNT_PATTERN, "azure": AZURE_ID_PATTERN, "gcp": GCP_PROJECT_PATTERN}[cloud]
    if not re.match(pattern, account):
        kind = {"aws": "a 12-digit AWS account id", "azure": "an Azure subscription GUID", "gcp": "a GCP project id"}[
            cloud
        ]
        add(loc + ("account",), f"{account!r} is not {kind}", FIELD_FIXES["account"])


def _dedupe(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple] = set()
    out = []
    for p in problems:
        key = (p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
