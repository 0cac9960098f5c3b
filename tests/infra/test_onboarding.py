"""Onboarding at scale: remote state for every stack from platform.yaml, and one spoke synthesized
alone (its hub constructed for the facts it reads, no other spoke constructed), byte for byte the
spoke that the whole estate's synth writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from govhub.config import PlatformConfig, load_config, parse_config
from tests.helpers import EXAMPLE_CONFIG


def _backend(doc: dict) -> tuple[str, dict]:
    ((kind, settings),) = doc["terraform"]["backend"].items()
    return kind, settings


def test_every_stack_keeps_its_state_remotely_with_its_own_key(estate: dict[str, dict]) -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert config.hubs.aws and config.hubs.aws.state and config.hubs.gcp and config.hubs.gcp.state
    keys = set()
    for name, doc in estate.items():
        kind, settings = _backend(doc)
        cloud = name.split("-")[1]
        assert kind == {"aws": "s3", "azure": "azurerm", "gcp": "gcs"}[cloud], name
        assert "path" not in settings, f"{name} keeps a local state path"
        if kind == "s3":
            assert settings["bucket"] == config.hubs.aws.state.bucket
            assert settings["key"] == f"govhub/{name}.tfstate"
            assert settings["region"] == config.hubs.aws.region
            assert settings["encrypt"] is True and settings["use_lockfile"] is True
            keys.add(settings["key"])
        elif kind == "azurerm":
            assert settings["key"] == f"{name}.tfstate" and settings["use_azuread_auth"] is True
            keys.add(settings["key"])
        else:
            assert settings["prefix"] == f"govhub/{name}"
            keys.add(settings["prefix"])
    assert len(keys) == len(estate)


def test_spokes_read_their_hub_through_its_remote_state(estate: dict[str, dict]) -> None:
    for name, doc in estate.items():
        if not name.startswith("spoke-"):
            continue
        hub_id = "hub-" + name.split("-")[1]
        remotes = doc["data"]["terraform_remote_state"]
        (remote,) = (r for key, r in remotes.items() if key.endswith(hub_id))
        hub_kind, hub_settings = _backend(estate[hub_id])
        assert remote["backend"] == hub_kind, name
        for key in ("bucket", "key", "prefix", "storage_account_name", "container_name"):
            if key in hub_settings:
                assert remote["config"][key] == hub_settings[key], (name, key)


def _without_state(cloud: str) -> PlatformConfig:
    raw = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    del raw["hubs"][cloud]["state"]
    return parse_config(yaml.safe_dump(raw))


def test_a_hub_without_remote_state_is_refused_with_the_fix() -> None:
    from main import EstateError, build_estate

    with pytest.raises(EstateError) as refused:
        build_estate(_without_state("aws"), only=["spoke-aws-fraud"])
    message = str(refused.value)
    assert "hubs.aws.state is not set" in message and "never in a local file" in message
    assert "state: {bucket:" in message


def test_unknown_stack_names_are_refused_with_the_known_ones(example_config: PlatformConfig) -> None:
    from main import EstateError, select_stacks

    with pytest.raises(EstateError) as refused:
        select_stacks(example_config, ["spoke-aws-frud"])
    assert "GOVHUB_STACKS names spoke-aws-frud" in str(refused.value)
    assert "spoke-aws-fraud" in str(refused.value)
    assert select_stacks(example_config, [" spoke-aws-fraud ", ""]) == {"spoke-aws-fraud"}


def test_one_spoke_synthesized_alone_is_the_estates_spoke(tmp_path: Path, estate: dict[str, dict]) -> None:
    """GOVHUB_STACKS=spoke-aws-fraud: the hub is built for its facts but pruned from the output; no
    other spoke is built; the spoke's JSON equals the one the whole estate's synth wrote."""
    from main import build_estate, prune_output, synthesize

    app, stacks = build_estate(load_config(EXAMPLE_CONFIG), outdir=tmp_path, only=["spoke-aws-fraud"])
    assert list(stacks) == ["spoke-aws-fraud"]
    built = [c.node.id for c in app.node.children]
    assert built == ["hub-aws", "spoke-aws-fraud"], built
    synthesize(app)
    prune_output(app, stacks)
    assert sorted(p.name for p in (tmp_path / "stacks").iterdir()) == ["spoke-aws-fraud"]
    assert list(json.loads((tmp_path / "manifest.json").read_text())["stacks"]) == ["spoke-aws-fraud"]
    alone = json.loads((tmp_path / "stacks" / "spoke-aws-fraud" / "cdk.tf.json").read_text())
    assert alone == estate["spoke-aws-fraud"]


def test_taggability_comes_from_the_provider_bindings() -> None:
    from infra import engine
    from infra.aspects import taggable_type

    assert taggable_type("aws_s3_bucket") and taggable_type("aws_sqs_queue")
    assert not taggable_type("aws_s3_bucket_public_access_block")
    assert not taggable_type("aws_iam_role_policy")
    assert taggable_type("azurerm_storage_account") and not taggable_type("azurerm_role_assignment")
    assert taggable_type("google_storage_bucket") and not taggable_type("google_project_iam_member")
    assert not taggable_type("random_id")
    with pytest.raises(engine.EngineError, match="no aws binding module for resource type 'aws_not_a_thing'"):
        taggable_type("aws_not_a_thing")


def test_a_hub_is_only_built_with_all_its_spokes(example_config: PlatformConfig) -> None:
    """The hub's cross-stack outputs are what its spokes read: synthesizing it without them would drop
    their outputs on the next deploy."""
    from main import build_estate

    app, stacks = build_estate(example_config, only=["hub-aws"])
    assert list(stacks) == ["hub-aws"]
    assert [c.node.id for c in app.node.children] == [
        "hub-aws",
        *(f"spoke-aws-{t.name}" for t in example_config.teams_on("aws")),
    ]
