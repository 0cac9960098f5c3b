"""Google Cloud names shared by hub-gcp and the GCP spokes: literal strings, so that the hub can name
what a spoke creates (the hub service accepts exactly the team CI service accounts named here)."""

from __future__ import annotations

from typing import Any

KEY_ROLE = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
ROTATION = "7776000s"  # keys rotate every 90 days
AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
CI_ACCOUNT = "govhub-ci"  # the team CI's service account, in the team's project
SERVICE_ACCOUNT = "govhub-hub-service"  # the hub service's identity, in the hub project
SERVICE_NAME = "govhub-hub-service"  # the Cloud Run service


def team_project_id(config: Any, team: Any) -> str:
    """The team's project: the configured id, or the one its spoke creates in the ML folder."""
    return f"{config.organization}-{team.name}-ml"[:30] if team.vended else team.account


def service_account_email(account: str, project: str) -> str:
    return f"{account}@{project}.iam.gserviceaccount.com"


def ci_email(config: Any, team: Any) -> str:
    return service_account_email(CI_ACCOUNT, team_project_id(config, team))


def labels_of(tags: dict[str, str]) -> dict[str, str]:
    """Required tags as GCP labels: lower-case keys and values of letters, digits, _ and -."""
    clean = lambda v: "".join(c if c.isalnum() or c in "_-" else "-" for c in v.lower())[:63]  # noqa: E731
    return {clean(k): clean(v) for k, v in tags.items()}
