"""Where the hub keeps its records in its artifact store: the one place each key layout is written.

The hub stacks grant each team exactly its own prefix (:func:`team_prefix`), and the workflow writes
and reads only through these functions, so a policy and the code that uses it cannot drift apart.
"""

from __future__ import annotations

POLICY_PREFIX = "policies/"
PIPELINES_PREFIX = "pipelines/"
TEAMS_PREFIX = "teams/"
INBOX_PREFIX = "inbox/"


def team_prefix(team: str) -> str:
    """Everything a team's submissions write lives under this prefix: ``teams/<team>/``."""
    return f"{TEAMS_PREFIX}{team}/"


def artifact_key(team: str, digest: str) -> str:
    """A content-addressed document (decision, evidence, card, plan): ``teams/<team>/artifacts/<sha256>.json``."""
    return f"{team_prefix(team)}artifacts/{digest}.json"


def inbox_prefix(team: str) -> str:
    """Where a team's CI uploads a submission for the hub service to read: ``inbox/<team>/``. The team may
    write here and nowhere else in the hub; only the service writes ``teams/<team>/``."""
    return f"{INBOX_PREFIX}{team}/"


def evidence_index_key(team: str, evidence_digest: str) -> str:
    """The create-only claim that binds one evidence document to one model artifact."""
    return f"{team_prefix(team)}evidence-index/{evidence_digest}.json"


def card_prefix(team: str, group: str, version: int | str) -> str:
    """The rendered model cards of one version: ``teams/<team>/cards/<group>/<version>/``."""
    return f"{team_prefix(team)}cards/{group}/{version}/"


def attestation_prefix(team: str, group: str, version: int | str) -> str:
    """The signed attestations of one version: ``teams/<team>/attestations/<group>/<version>/``."""
    return f"{team_prefix(team)}attestations/{group}/{version}/"


def attestation_key(team: str, group: str, version: int | str, seq: int, stage: str) -> str:
    """One attestation, named by the audit entry it attests (so the newest sorts last) and its stage."""
    return f"{attestation_prefix(team, group, version)}{seq:012d}-{stage}.intoto.json"


def policy_key(name: str, version: str, suffix: str = "yaml") -> str:
    """A published pack version (``yaml``) and its recorded digest (``sha256``)."""
    return f"{POLICY_PREFIX}{name}/{version}.{suffix}"


def model_group(team: str, use_case: str | None = None) -> str:
    """A team's registry group: one per team (its own models) and one per configured use case."""
    return f"{team}-{use_case}" if use_case else team
