"""A private network for Azure resources that deny public access: a virtual network, a subnet for
private endpoints behind a network security group that refuses inbound traffic from outside the
network, the private DNS zones of the endpoints (linked to the network) and one private endpoint per
target. The hub and every spoke use it, so their stores and vaults are reached the same way."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra import engine

az = engine.provider("azurerm")

# Sub-resource -> the private DNS zones its records go into (Azure's "private endpoint DNS" table)
ZONES = {
    "amlworkspace": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
    "blob": ("privatelink.blob.core.windows.net",),
    "vault": ("privatelink.vaultcore.azure.net",),
}


@dataclass(frozen=True)
class Endpoint:
    target_id: str  # the resource the endpoint connects to
    subresource: str  # a key of ZONES


def first_subnets(cidr: str, count: int, prefix: int) -> list[str]:
    """The first ``count`` subnets of ``cidr`` with ``prefix`` bits (or the network itself, if smaller)."""
    network = ipaddress.ip_network(cidr)
    return [str(s) for s in list(network.subnets(new_prefix=max(network.prefixlen, prefix)))[:count]]


class PrivateNetwork:
    """Builds the network into ``scope``; ``subnets`` names extra delegated subnets (name -> service)."""

    def __init__(
        self,
        scope: Any,
        *,
        name: str,
        location: str,
        resource_group: str,
        cidr: str,
        tags: Mapping[str, str],
        endpoints: Mapping[str, Endpoint],
        delegated: Sequence[tuple[str, str]] = (),
    ):
        prefixes = first_subnets(
            cidr, 1 + len(delegated), 24 if not delegated else ipaddress.ip_network(cidr).prefixlen + 1
        )
        self.vnet = az.virtual_network.VirtualNetwork(
            scope, "network", name=name, location=location, resource_group_name=resource_group,
            address_space=[cidr], tags=tags,
        )  # fmt: skip
        nsg = az.network_security_group
        guard = nsg.NetworkSecurityGroup(
            scope, "endpoints-nsg", name=f"{name}-endpoints", location=location, resource_group_name=resource_group,
            security_rule=[
                nsg.NetworkSecurityGroupSecurityRule(
                    name="allow-from-network", priority=100, direction="Inbound", access="Allow", protocol="Tcp",
                    source_address_prefix="VirtualNetwork", source_port_range="*",
                    destination_address_prefix="VirtualNetwork", destination_port_range="443",
                ),
                nsg.NetworkSecurityGroupSecurityRule(
                    name="deny-everything-else", priority=4096, direction="Inbound", access="Deny", protocol="*",
                    source_address_prefix="*", source_port_range="*", destination_address_prefix="*",
                    destination_port_range="*",
                ),
            ],
            tags=tags,
        )  # fmt: skip
        self.endpoints_subnet = az.subnet.Subnet(
            scope, "endpoints-subnet", name="private-endpoints", resource_group_name=resource_group,
            virtual_network_name=self.vnet.name, address_prefixes=[prefixes[0]], default_outbound_access_enabled=False,
            private_endpoint_network_policies="Enabled",
        )  # fmt: skip
        az.subnet_network_security_group_association.SubnetNetworkSecurityGroupAssociation(
            scope, "endpoints-nsg-association", subnet_id=self.endpoints_subnet.id, network_security_group_id=guard.id
        )
        self.delegated: dict[str, Any] = {}
        for (subnet_name, service), prefix in zip(delegated, prefixes[1:], strict=True):
            self.delegated[subnet_name] = az.subnet.Subnet(
                scope, f"{subnet_name}-subnet", name=subnet_name, resource_group_name=resource_group,
                virtual_network_name=self.vnet.name, address_prefixes=[prefix], default_outbound_access_enabled=False,
                delegation=[az.subnet.SubnetDelegation(
                    name=subnet_name,
                    service_delegation=az.subnet.SubnetDelegationServiceDelegation(
                        name=service, actions=["Microsoft.Network/virtualNetworks/subnets/action"]
                    ),
                )],
            )  # fmt: skip
            az.subnet_network_security_group_association.SubnetNetworkSecurityGroupAssociation(
                scope, f"{subnet_name}-nsg-association", subnet_id=self.delegated[subnet_name].id,
                network_security_group_id=guard.id,
            )  # fmt: skip
        zones: dict[str, Any] = {}
        for zone in sorted({z for e in endpoints.values() for z in ZONES[e.subresource]}):
            key = zone.split(".")[1]
            zones[zone] = az.private_dns_zone.PrivateDnsZone(
                scope, f"zone-{key}", name=zone, resource_group_name=resource_group, tags=tags
            )
            az.private_dns_zone_virtual_network_link.PrivateDnsZoneVirtualNetworkLink(
                scope, f"zone-{key}-link", name=name, resource_group_name=resource_group,
                private_dns_zone_name=zones[zone].name, virtual_network_id=self.vnet.id, registration_enabled=False,
                tags=tags,
            )  # fmt: skip
        pe = az.private_endpoint
        for key, endpoint in endpoints.items():
            pe.PrivateEndpoint(
                scope, f"endpoint-{key}", name=f"{name}-{key}", location=location, resource_group_name=resource_group,
                subnet_id=self.endpoints_subnet.id,
                private_service_connection=pe.PrivateEndpointPrivateServiceConnection(
                    name=f"{name}-{key}", private_connection_resource_id=endpoint.target_id,
                    subresource_names=[endpoint.subresource], is_manual_connection=False,
                ),
                private_dns_zone_group=pe.PrivateEndpointPrivateDnsZoneGroup(
                    name="govhub", private_dns_zone_ids=[zones[z].id for z in ZONES[endpoint.subresource]]
                ),
                tags=tags,
            )  # fmt: skip
