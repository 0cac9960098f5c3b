"""The CDK app that ``cdktf.json`` runs (``npx cdktf synth|diff|deploy``).

It loads the platform config, builds the hub stack of each cloud in use, then one spoke stack per
team with the hub facts that team needs, then synthesizes. The config file is named by
``PLATFORM_CONFIG`` (default ``platform.yaml``); there is no silent fallback to an example.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from govhub.config import AwsHub, AzureHub, ConfigError, GcpHub, PlatformConfig, load_config
from tools.emulator import EmulatorProfile, EmulatorUnavailable

DEFAULT_CONFIG = "platform.yaml"


class EstateError(Exception):
    """The estate cannot be built or synthesized; the message says what to do."""


STACKS_ENV = "GOVHUB_STACKS"


def build_estate(
    config: PlatformConfig,
    outdir: str | Path | None = None,
    profile: EmulatorProfile | None = None,
    only: Iterable[str] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Build (not synthesize) the stacks of the estate; returns the app and the stacks by id.

    ``only`` names the stacks wanted (``GOVHUB_STACKS`` for the app): the other spokes are not
    constructed at all, and a spoke's hub is constructed for the facts it reads but is not
    returned (see :func:`prune_output`). A hub named in ``only`` is built with all its spokes,
    whose reads decide its cross-stack outputs. ``profile`` points the estate at a local AWS emulator
    (tests and the demo only), with local state; otherwise every stack gets the remote backend
    its hub's ``state`` names, and a hub without one is refused."""
    from infra import engine
    from tools.emulator import apply_profile

    wanted = select_stacks(config, only)
    app = engine.App(outdir=str(outdir)) if outdir else engine.App()
    built: dict[str, Any] = {}
    for cloud in config.hubs.clouds:
        hub_cls, spoke_cls = _stack_classes(cloud)
        # A hub's cross-stack outputs are those its spokes read, so a hub is only ever synthesized
        # with all of its spokes; a spoke alone needs just its hub.
        hub_wanted = f"hub-{cloud}" in wanted
        spokes = [t for t in config.teams_on(cloud) if hub_wanted or f"spoke-{cloud}-{t.name}" in wanted]
        if not hub_wanted and not spokes:
            continue
        hub_config = _require_state(config, cloud) if profile is None else None
        hub = hub_cls(app, config)
        cloud_stacks = [hub]
        for team in spokes:
            facts = hub.facts.for_team(team.name) if cloud == "aws" else hub.facts[team.name]
            spoke = spoke_cls(app, config, team, facts)
            spoke.add_dependency(hub)
            cloud_stacks.append(spoke)
        for stack in cloud_stacks:
            if profile is not None:
                apply_profile(stack, profile)
            elif hub_config is not None:
                remote_backend(stack, hub_config)
        built.update({stack.node.id: stack for stack in cloud_stacks})
    return app, {name: stack for name, stack in built.items() if name in wanted}


def select_stacks(config: PlatformConfig, only: Iterable[str] | None) -> set[str]:
    """The stack ids wanted: all of the config's, or those named in ``only`` (unknown names refused)."""
    known = [f"hub-{cloud}" for cloud in config.hubs.clouds]
    known += [f"spoke-{t.cloud}-{t.name}" for t in config.teams if t.cloud in config.hubs.clouds]
    if only is None:
        return set(known)
    names = {n.strip() for n in only if n.strip()}
    unknown = sorted(names - set(known))
    if unknown or not names:
        raise EstateError(
            f"{STACKS_ENV} names {', '.join(unknown) or 'no stack'}; the stacks of this config are: {', '.join(known)}"
        )
    return names


def _stack_classes(cloud: str) -> tuple[Any, Any]:
    if cloud == "aws":
        from hub.stacks.aws import AwsHubStack
        from spoke.stacks.aws import AwsSpokeStack

        return AwsHubStack, AwsSpokeStack
    if cloud == "azure":
        from hub.stacks.azure import AzureHubStack
        from spoke.stacks.azure import AzureSpokeStack

        return AzureHubStack, AzureSpokeStack
    from hub.stacks.gcp import GcpHubStack
    from spoke.stacks.gcp import GcpSpokeStack

    return GcpHubStack, GcpSpokeStack


STATE_EXAMPLES = {
    "aws": "state: {bucket: acme-govhub-tfstate}",
    "azure": "state: {resource_group: acme-tfstate, storage_account: acmetfstate}",
    "gcp": "state: {bucket: acme-govhub-tfstate}",
}


def _require_state(config: PlatformConfig, cloud: str) -> AwsHub | AzureHub | GcpHub:
    """The cloud's hub, which must name its remote state."""
    hub = config.hubs.for_cloud(cloud)
    assert hub is not None  # the caller iterates config.hubs.clouds
    if hub.state is None:
        raise EstateError(
            f"{os.environ.get('PLATFORM_CONFIG', DEFAULT_CONFIG)}: hubs.{cloud}.state is not set, and the {cloud} stacks keep "
            f"their Terraform state remotely, never in a local file. Add e.g. `{STATE_EXAMPLES[cloud]}` under "
            f"hubs.{cloud} (the bucket or storage account must exist before the first deploy)"
        )
    return hub


def remote_backend(stack: Any, hub: AwsHub | AzureHub | GcpHub) -> None:
    """The backend of one stack: one state object per stack in its hub's ``state`` (checked by
    :func:`_require_state`); the spokes read the hub's outputs from there (the engine's cross-stack
    references become remote-state reads)."""
    from infra import engine

    stack_id = stack.node.id
    if isinstance(hub, AwsHub) and hub.state is not None:
        engine.S3Backend(
            stack,
            bucket=hub.state.bucket,
            key=f"{hub.state.prefix}/{stack_id}.tfstate",
            region=hub.state.region or hub.region,
            encrypt=True,
            kms_key_id=hub.state.kms_key_id,
        )
        # S3-native locking (Terraform 1.10+); CDKTF 0.21's S3Backend predates the argument, so it
        # is set the same way on both engines.
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    elif isinstance(hub, AzureHub) and hub.state is not None:
        engine.AzurermBackend(
            stack,
            resource_group_name=hub.state.resource_group,
            storage_account_name=hub.state.storage_account,
            container_name=hub.state.container,
            key=f"{stack_id}.tfstate",
            subscription_id=hub.subscription_id,
            tenant_id=hub.tenant_id,
            use_azuread_auth=True,
            use_oidc=True,
        )
    elif isinstance(hub, GcpHub) and hub.state is not None:
        engine.GcsBackend(stack, bucket=hub.state.bucket, prefix=f"{hub.state.prefix}/{stack_id}")


def prune_output(app: Any, stacks: dict[str, Any]) -> None:
    """Remove from the synthesized output every stack that was built but not asked for (the hub of
    a spoke synthesized alone holds only that spoke's cross-stack outputs, and must not be deployed
    from there)."""
    import json
    import shutil

    outdir = Path(str(app.outdir))
    manifest_path = outdir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for name in list(manifest.get("stacks", {})):
        if name not in stacks:
            shutil.rmtree(outdir / "stacks" / name, ignore_errors=True)
            del manifest["stacks"][name]
    manifest_path.write_text(json.dumps(manifest, indent=2))


def synthesize(app: Any) -> None:
    """Synthesize, then hold every stack to the guardrails (``infra.aspects``); a violation, or an
    error annotation of the engine's, becomes one clean EstateError."""
    from infra import engine
    from infra.aspects import check_synthesized

    try:
        app.synth()
    except (RuntimeError, engine.jsii.errors.JSIIError) as exc:
        text = str(exc)
        if "Encountered Annotations" not in text:
            raise
        found = [line for line in text.splitlines() if line.startswith("[")]
        raise EstateError("synthesis refused by the engine:\n" + "\n".join(f"  {line}" for line in found)) from None
    violations = check_synthesized(app)
    if violations:
        raise EstateError(
            "synthesis refused by the guardrails:\n"
            + "\n".join(f"  {v.render()}" for v in violations)
            + "\nFix the resources named above, or acknowledge an exception with a written reason: "
            "infra.aspects.acknowledge(resource, RULE, reason). The output of the stacks named above was removed."
        )


def main() -> int:
    path = os.environ.get("PLATFORM_CONFIG", DEFAULT_CONFIG)
    try:
        config = load_config(path)
        only = os.environ.get(STACKS_ENV)
        app, stacks = build_estate(
            config, profile=EmulatorProfile.from_env(), only=only.split(",") if only is not None else None
        )
        synthesize(app)
        prune_output(app, stacks)
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
