"""spoke-gcp-<team>, proven offline like hub-gcp (synthesis, guardrails, checkov in test_hub_gcp,
inventory), and its cross-project wiring followed back to the hub's own resources."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from tests.hub.stack_proof import check_inventory, resolve_hub_ref

pytestmark = pytest.mark.synth
hub_ref = functools.partial(resolve_hub_ref, hub_id="hub-gcp")


def test_the_spoke_matches_its_inventory(gcp_estate: dict) -> None:
    check_inventory(gcp_estate["spoke-gcp-vision"], Path(__file__).parent / "gcp" / "inventory.yaml")


def test_vertex_events_reach_the_hub_topic_through_a_sink_that_may_only_publish_there(gcp_estate: dict) -> None:
    hub, spoke = gcp_estate["hub-gcp"], gcp_estate["spoke-gcp-vision"]
    sink = spoke["resource"]["google_logging_project_sink"]["vertex-events"]
    assert hub_ref(sink["destination"], hub) == "pubsub.googleapis.com/${google_pubsub_topic.governance-topic.id}"
    assert sink["unique_writer_identity"] is True and "ModelService.UploadModel" in sink["filter"]
    grant = spoke["resource"]["google_pubsub_topic_iam_member"]["sink-publishes-to-hub"]
    assert hub_ref(grant["topic"], hub) == "${google_pubsub_topic.governance-topic.id}"
    assert grant["role"] == "roles/pubsub.publisher" and grant["provider"] == "google.hub"
    assert grant["member"] == "${google_logging_project_sink.vertex-events.writer_identity}"


def test_the_team_ci_may_upload_and_invoke_and_the_hub_service_accepts_exactly_it(gcp_estate: dict) -> None:
    hub, spoke = gcp_estate["hub-gcp"], gcp_estate["spoke-gcp-vision"]
    iam = spoke["resource"]["google_project_iam_member"]
    upload = iam["ci-uploads-to-hub-registry"]
    assert hub_ref(upload["role"], hub) == "${google_project_iam_custom_role.model-uploader.id}"
    assert upload["project"] == "acme-govhub" and upload["provider"] == "google.hub"
    invoke = spoke["resource"]["google_cloud_run_v2_service_iam_member"]["ci-invokes-hub-service"]
    assert hub_ref(invoke["name"], hub) == "${google_cloud_run_v2_service.hub-service.name}"
    assert invoke["role"] == "roles/run.invoker"
    account = spoke["resource"]["google_service_account"]["ci-account"]
    env = {
        e["name"]: e["value"]
        for e in hub["resource"]["google_cloud_run_v2_service"]["hub-service"]["template"]["containers"][0]["env"]
    }
    email = f"{account['account_id']}@acme-vision-ml.iam.gserviceaccount.com"
    assert json.loads(env["GOVHUB_GCP_SUBMITTERS"]) == {email: "vision"}
    assert (env["GOVHUB_REGISTRY"], env["GOVHUB_MLFLOW_TRACKING_URI"]) == ("vertex", "")  # hubs.gcp.registry
    federation = spoke["resource"]["google_service_account_iam_member"]["ci-federation"]
    assert federation["member"].endswith("/subject/repo:acme/vision:ref:refs/heads/main")
    variables = spoke["output"]["out-ci_variables"]["value"]
    assert variables["GCP_SERVICE_ACCOUNT"] == "${google_service_account.ci-account.email}"


def test_only_the_hub_service_writes_the_audit_log_and_registry(gcp_estate: dict) -> None:
    writes = {"roles/storage.objectCreator", "roles/storage.objectAdmin", "roles/storage.admin", "roles/aiplatform.user",
              "roles/aiplatform.admin"}  # fmt: skip
    hub = gcp_estate["hub-gcp"]
    service = "serviceAccount:${google_service_account.service-account.email}"
    for name, doc in gcp_estate.items():
        for rtype in ("google_storage_bucket_iam_member", "google_project_iam_member"):
            for grant_name, grant in doc["resource"].get(rtype, {}).items():
                target = grant.get("bucket") or grant.get("project")
                governed = target in ("${google_storage_bucket.audit-log.name}", "acme-govhub")
                if governed and grant["role"] in writes:
                    assert (name, grant["member"]) == ("hub-gcp", service), (name, grant_name)
    assert hub["resource"]["google_storage_bucket"]["audit-log"]["retention_policy"]["is_locked"] is True


def test_a_vended_project_comes_from_the_hub_and_its_budget_takes_the_number(gcp_estate: dict) -> None:
    hub, spoke = gcp_estate["hub-gcp"], gcp_estate["spoke-gcp-forecast"]
    (main,) = [p for p in spoke["provider"]["google"] if "alias" not in p]
    assert main["project"] == hub["resource"]["google_project"]["vend-forecast"]["project_id"] == "acme-forecast-ml"
    budget = spoke["resource"]["google_billing_budget"]["budget"]
    assert [hub_ref(p, hub) for p in budget["budget_filter"]["projects"]] == [
        "projects/${google_project.vend-forecast.number}"
    ]
    assert budget["billing_account"] == "01AB23-45CD67-89EF01"
    existing = gcp_estate["spoke-gcp-vision"]["resource"]["google_billing_budget"]["budget"]
    assert existing["budget_filter"]["projects"] == ["projects/${data.google_project.project.number}"]
    assert "google_workbench_instance" not in spoke["resource"]  # workbench only when configured
    assert "ci-account" not in spoke["resource"].get("google_service_account", {})  # no CI configured


def test_both_projects_join_the_perimeter_in_dry_run_and_state_is_in_gcs(gcp_estate: dict) -> None:
    hub = gcp_estate["hub-gcp"]
    perimeter = hub["resource"]["google_access_context_manager_service_perimeter"]["perimeter"]
    assert perimeter["use_explicit_dry_run_spec"] is True
    assert "aiplatform.googleapis.com" in perimeter["spec"]["restricted_services"]
    for team in ("vision", "forecast"):
        spoke = gcp_estate[f"spoke-gcp-{team}"]
        join = spoke["resource"]["google_access_context_manager_service_perimeter_dry_run_resource"]["join-perimeter"]
        assert (
            hub_ref(join["perimeter_name"], hub) == "${google_access_context_manager_service_perimeter.perimeter.name}"
        )
    for name, doc in gcp_estate.items():
        assert doc["terraform"]["backend"]["gcs"] == {"bucket": "acme-tfstate", "prefix": f"govhub/{name}"}


def test_required_tags_are_labels_on_the_spokes_labelled_resources(gcp_estate: dict) -> None:
    spoke = gcp_estate["spoke-gcp-vision"]["resource"]
    want = {"owner": "vision-leads-acme-example", "team": "vision", "cost-centre": "cc-3001",
            "data-classification": "confidential"}  # fmt: skip
    for rtype in (
        "google_storage_bucket",
        "google_kms_crypto_key",
        "google_vertex_ai_endpoint",
        "google_workbench_instance",
    ):
        for name, body in spoke[rtype].items():
            assert body["labels"] == want, f"{rtype}.{name}"
