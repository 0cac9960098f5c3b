"""The words govhub uses everywhere, declared once: risk tiers, stages, statuses, outcomes, clouds and
the hub's roles.

Every other module (the config schema, policy packs, gates, decisions, the workflow and the CLI's
``choices=``) reads these tuples and ``Literal`` types from here, so that a new tier or stage is one
edit. Gate names are not listed here: each gate is one class in :mod:`govhub.core.gates`, and the
names are derived from those classes. Standard library only: the CLI imports this at start-up.
"""

from __future__ import annotations

from typing import Literal, get_args

RiskTier = Literal["minimal", "limited", "high", "prohibited"]
RISK_TIERS: tuple[str, ...] = get_args(RiskTier)
"""From the least to the most strict; :func:`highest_tier` relies on this order."""
PROJECT_TIERS: tuple[str, ...] = ("high", "limited", "minimal")
"""The tiers a project can be created for: prohibited use cases get no project."""

Stage = Literal["dev", "staging", "prod"]
STAGES: tuple[str, ...] = get_args(Stage)
REGISTERED = "registered"
"""The stage of a version that was registered and not yet promoted."""

Status = Literal["pass", "fail", "not_applicable", "error", "waived"]
BLOCKING: frozenset[str] = frozenset({"fail", "error"})
"""Gate statuses that block promotion (and raise a ticket)."""

Outcome = Literal["pass", "fail", "error"]

Cloud = Literal["aws", "azure", "gcp"]
CLOUDS: tuple[str, ...] = get_args(Cloud)

# The hub's roles. Each cloud maps them to its own principals (IAM roles, Entra groups, Google groups).
PLATFORM_ADMIN = "govhub-platform-admin"
APPROVER = "govhub-approver"
AUDITOR = "govhub-auditor"
CI_DEPLOYER = "govhub-ci-deployer"
TEAM_SUBMITTER = "govhub-submit-{team}"

TICKET_OUTCOMES: tuple[str, ...] = ("fail", "error")
"""Decision outcomes that open a ticket (and block promotion)."""

# Events on the governance bus.
EVENT_SOURCE = "govhub"
GATE_DECISION_EVENT = "GovHub Gate Decision"
GATE_DECISION_TYPE = "govhub.gate.decision"
"""The CloudEvents ``type`` of a gate decision on every bus (the Event Grid and Pub/Sub ticket filters match it)."""


def highest_tier(tiers: tuple[str, ...] | list[str]) -> str:
    """The strictest of the given risk tiers (a team's own model group carries it)."""
    return max(tiers, key=RISK_TIERS.index)


def team_submitter(team: str) -> str:
    """The hub principal a team's CI acts as to submit: the only door from a spoke into the hub."""
    return TEAM_SUBMITTER.format(team=team)
