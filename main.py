"""The CDK app that ``cdktf.json`` runs (``npx cdktf synth|diff|deploy``).

It loads the platform config, builds the hub stack of each cloud in use, then one spoke stack per
team with the hub facts that team needs, then synthesizes. The config file is named by
``PLATFORM_CONFIG`` (default ``platform.yaml``); there is no silent fallback to an example.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from govhub.config import ConfigError, PlatformConfig, load_config
from tools.emulator import EmulatorProfile, EmulatorUnavailable

DEFAULT_CONFIG = "platform.yaml"


class EstateError(Exception):
    """The estate cannot be built or synthesized; the message says what to do."""


def build_estate(
    config: PlatformConfig, outdir: str | Path | None = None, profile: EmulatorProfile | None = None
) -> tuple[Any, dict[str, Any]]:
    """Build (not synthesize) every stack of the estate; returns the app and the stacks by id.

    ``profile`` points the estate at a local AWS emulator (tests and the demo only)."""
    from hub.stacks.aws import AwsHubStack
    from infra import engine
    from spoke.stacks.aws import AwsSpokeStack
    from tools.emulator import apply_profile

    app = engine.App(outdir=str(outdir)) if outdir else engine.App()
    stacks: dict[str, Any] = {}
    if config.hubs.aws is not None:
        hub = AwsHubStack(app, config)
        stacks[hub.node.id] = hub
        for team in config.teams_on("aws"):
            spoke = AwsSpokeStack(app, config, team, hub.facts.for_team(team.name))
            spoke.add_dependency(hub)
            stacks[spoke.node.id] = spoke
    if config.hubs.azure is not None:
        from hub.stacks.azure import AzureHubStack
        from spoke.stacks.azure import AzureSpokeStack

        built = hub_and_spokes(app, config, "azure", AzureHubStack, AzureSpokeStack, stacks)
        if config.hubs.azure.state is not None:
            azure_backends(built, config.hubs.azure)
    if config.hubs.gcp is not None:
        from hub.stacks.gcp import GcpHubStack
        from spoke.stacks.gcp import GcpSpokeStack

        built = hub_and_spokes(app, config, "gcp", GcpHubStack, GcpSpokeStack, stacks)
        if config.hubs.gcp.state is not None:
            for stack in built:  # one prefix per stack; the spokes read the hub's outputs there
                engine.GcsBackend(
                    stack, bucket=config.hubs.gcp.state.bucket, prefix=f"{config.hubs.gcp.state.prefix}/{stack.node.id}"
                )
    if profile is not None:
        for stack in stacks.values():
            apply_profile(stack, profile)
    return app, stacks


def hub_and_spokes(app: Any, config: PlatformConfig, cloud: str, hub_cls: Any, spoke_cls: Any, stacks: dict) -> list:
    """One cloud's hub, then a spoke per team on that cloud, each given the hub facts it needs and
    deployed after the hub; added to ``stacks`` and returned, hub first."""
    hub = hub_cls(app, config)
    built = [hub]
    for team in config.teams_on(cloud):
        spoke = spoke_cls(app, config, team, hub.facts[team.name])
        spoke.add_dependency(hub)
        built.append(spoke)
    stacks.update({stack.node.id: stack for stack in built})
    return built


def azure_backends(stacks: list[Any], hub: Any) -> None:
    """The azurerm backend on every Azure stack: one state blob per stack in ``hubs.azure.state``, with
    Entra ID and OIDC (no access key); the spokes read the hub's outputs from the hub's blob."""
    from infra import engine

    for stack in stacks:
        engine.AzurermBackend(
            stack,
            resource_group_name=hub.state.resource_group,
            storage_account_name=hub.state.storage_account,
            container_name=hub.state.container,
            key=f"{stack.node.id}.tfstate",
            subscription_id=hub.subscription_id,
            tenant_id=hub.tenant_id,
            use_azuread_auth=True,
            use_oidc=True,
        )


def synthesize(app: Any) -> None:
    """Synthesize, turning the engine's guardrail errors into one clean EstateError."""
    from infra import engine

    try:
        app.synth()
    except (RuntimeError, engine.jsii.errors.JSIIError) as exc:
        text = str(exc)
        if "Encountered Annotations" not in text:
            raise
        found = [line for line in text.splitlines() if line.startswith("[")]
        raise EstateError(
            "synthesis refused by the guardrails:\n"
            + "\n".join(f"  {line}" for line in found)
            + "\nFix the resources named above, or acknowledge an exception with a written reason: "
            "infra.aspects.acknowledge(resource, RULE, reason)."
        ) from None


def main() -> int:
    path = os.environ.get("PLATFORM_CONFIG", DEFAULT_CONFIG)
    try:
        config = load_config(path)
        app, stacks = build_estate(config, profile=EmulatorProfile.from_env())
        synthesize(app)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return 2
    except (EstateError, EmulatorUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    outdir = Path(str(app.outdir))
    print(f"synthesized {len(stacks)} stack(s) from {path} into {outdir}:", file=sys.stderr)
    for name in stacks:
        print(f"  {outdir / 'stacks' / name / 'cdk.tf.json'}", file=sys.stderr)
    print("next: `govhub estate summary` lists their resources; `npx cdktf diff|deploy` applies them", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
