"""What one Azure spoke needs to know about the Azure hub: references, never strings that a
reference could give (the engine turns them into cross-stack outputs and remote-state lookups)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AzureTeamHubFacts:
    team: str
    tenant_id: str
    hub_subscription_id: str
    subscription_id: str  # the team's: configured, or vended by the hub through a subscription alias
    management_group_id: str  # the ML management group the team's subscription joins
    spoke_events_queue_id: str  # the hub's Service Bus queue for the spokes' registry and job events
    audit_account_id: str  # the hub's audit store: the team subscription's activity log goes there
    log_workspace_id: str  # ... and to the hub's Log Analytics workspace
    candidates_registry_id: str  # where the team registers candidate versions (AzureML Registry User)
    governed_registry_id: str  # approved versions, written by the hub service only; workspaces read it
    registry_reader_role_id: str  # the custom role with the registry's two read actions
    service_url: str  # the hub service (Function App), which the team's CI calls
    service_audience: str  # the audience of the tokens it accepts
