"""hub-gcp, proven offline: no google provider binary can be downloaded here, so the stack is
checked by synthesis against the typed bindings, the guardrail rules (synthesis refuses a
violation), checkov with reviewed skips and a YAML inventory of the whole resource set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hub.stack_proof import check_checkov, check_inventory

pytestmark = pytest.mark.synth
INVENTORY = Path(__file__).parent / "gcp" / "inventory.yaml"


@pytest.fixture(scope="module")
def hub_gcp(gcp_estate: dict[str, dict]) -> dict:
    return gcp_estate["hub-gcp"]


def test_the_resource_set_matches_the_inventory(hub_gcp: dict) -> None:
    check_inventory(hub_gcp, INVENTORY)


def test_checkov_finds_nothing_beyond_the_reviewed_gcp_skips(gcp_dir: Path) -> None:
    from tools.checkov_gate import GCP_SKIPS_FILE

    check_checkov(gcp_dir, GCP_SKIPS_FILE, 30)


def test_the_folder_carries_exactly_the_ml_organization_policies(hub_gcp: dict) -> None:
    from infra.gcp.org_policies import ml_folder_policies

    policies = hub_gcp["resource"]["google_org_policy_policy"].values()
    constraints = {p["name"].rsplit("/policies/", 1)[1] for p in policies}
    assert constraints == set(ml_folder_policies(["europe-west4"], "1"))
    assert all(p["parent"] == "${google_folder.ml-folder.name}" for p in policies)


def test_required_tags_are_lower_case_labels_on_every_labelled_resource(hub_gcp: dict) -> None:
    want = {"owner": "platform-acme-example", "team": "platform", "cost-centre": "cc-1000",
            "data-classification": "confidential"}  # fmt: skip
    (provider,) = hub_gcp["provider"]["google"]
    assert "default_labels" not in provider  # the engine would rewrite its keys to cost_centre
    for rtype in ("google_storage_bucket", "google_pubsub_topic", "google_kms_crypto_key",
                  "google_artifact_registry_repository", "google_pubsub_subscription"):  # fmt: skip
        for name, body in hub_gcp["resource"][rtype].items():
            assert body["labels"] == want, f"{rtype}.{name}"


def test_the_cloud_run_service_carries_every_setting_the_services_builder_reads(hub_gcp: dict) -> None:
    """govhub.backends.gcp.hub builds the service's stores, registry and bus from these settings."""
    from govhub.backends.gcp.hub import SETTINGS

    (service,) = hub_gcp["resource"]["google_cloud_run_v2_service"].values()
    (container,) = service["template"]["containers"]
    assert set(SETTINGS) <= {e["name"] for e in container["env"]}
