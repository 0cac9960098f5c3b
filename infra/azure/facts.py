"""What one Azure spoke needs to know about the Azure hub: references, never strings that a
reference could give (the engine turns them into cross-stack outputs and remote-state lookups)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AzureTeamHubFacts:
    team: str
    tenant_id: str
    hub_subscription_id: str
    management_group_id: str  # the ML management group the team's subscription joins
    spoke_events_queue_id: str  # the hub's Service Bus queue for the spokes' registry and job events
