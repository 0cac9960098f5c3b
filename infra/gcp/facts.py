"""What one GCP spoke needs to know about hub-gcp: references, never strings a reference could give
(the engine turns them into cross-stack outputs and remote-state lookups)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GcpTeamHubFacts:
    team: str
    project_id: str  # the team's project: configured, or vended by the hub in the ML folder
    project_number: str | None  # a vended project's number (a reference); None: the spoke looks it up
    hub_project: str
    region: str
    folder: str  # the ML folder ("folders/123"): where a vended project is created
    billing_account: str
    events_topic: str  # the hub topic the spoke's log sink forwards Vertex events to
    uploader_role: str  # the custom role that may upload model versions into the hub registry
    service_name: str  # the hub service (Cloud Run), which the team's CI may invoke
    service_url: str
    perimeter: str | None  # the VPC Service Controls perimeter the spoke's project joins (dry-run)
