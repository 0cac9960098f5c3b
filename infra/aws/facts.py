"""Typed facts that the hub exports and the spokes consume.

A spoke receives only the facts it needs (:class:`AwsTeamHubFacts`), never the whole hub. Values
are references to hub resources (engine tokens), which the engine turns into cross-stack outputs
and remote-state lookups; nothing here builds an ARN from strings that a reference could give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AwsTeamHubFacts:
    """What one AWS spoke needs to know about the hub."""

    team: str
    account_id: str  # the team's account: a literal id, or the vended account's id (a reference)
    access_role_name: str
    hub_account_id: str
    hub_region: str
    organization_id: str
    event_bus_arn: str
    artifact_bucket_name: str
    artifact_bucket_arn: str
    kms_key_arn: str
    ecr_repository_arn: str
    ci_deployer_role_arn: str
    submit_role_arn: str  # the hub's govhub-submit-<team> role, which the team's CI role assumes
    model_package_group_names: tuple[str, ...]
    model_package_group_arns: tuple[str, ...]
    model_package_arn_patterns: tuple[str, ...]


@dataclass(frozen=True)
class AwsHubFacts:
    teams: Mapping[str, AwsTeamHubFacts]

    def for_team(self, name: str) -> AwsTeamHubFacts:
        try:
            return self.teams[name]
        except KeyError:
            raise KeyError(
                f"the AWS hub has no facts for team {name!r}; teams on aws: {', '.join(self.teams) or 'none'}"
            ) from None
