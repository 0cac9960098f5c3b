"""`make demo`: the whole product, for real, on a local AWS emulator, in a few minutes.

1. setup      start moto_server on a free 127.0.0.1 port (stopped at the end, even on failure or Ctrl-C)
2. deploy     synthesize the example estate and apply the hub and two team spokes with real Terraform and
              the real hashicorp/aws provider (filesystem mirror), minus what the emulator cannot create
3. project    `govhub project new` for team fraud, use case credit-scoring (risk tier high)
4. train      two models on the bundled sample data: a fair one, and one made unfair by the visible
              `--inject-bias` step (scores of sex=female lowered by 0.25)
5. evaluate   both against the high-risk pack; the biased one also through the Clarify adapter path
6. register   publish the policy packs, submit both cross-account into the Terraform-made groups; the
              biased model is blocked and its ticket lands in the ticket queue
7. promote    two distinct approvers (the author's self-approval is refused), monitoring plan, prod;
              the team asks for a waiver of the blocked model, which waits in the approvers' inbox
8. audit      verify the log against the checkpoint the hub service signed with its KMS key; keep an
              untouched copy (audit-untouched/); rewrite and re-chain an entry in another copy: the
              hash chain alone passes it, the signed checkpoint names the entry
9. deploy     what the deploy pipelines run: fetch the signed prod attestation and verify the fair
              model's artifact (a copy with one bit changed is refused); the evidence pack's inclusion
              proofs verify offline with the public key
10. hubs      the same two models through three more hubs, each running the same service: one whose
              registry is a real `mlflow server` (the hybrid strategy); the Azure hub's service on Azurite
              with the Azure ML registry and Event Grid over FAKE transports; the GCP hub's service on
              fake-gcs-server with Vertex AI and Pub/Sub over FAKE transports (said on screen)
11. summary   model cards, gate reports, the inbox, the inventory, the audit export and the EU AI Act
              technical documentation (Annex IV) in demo-output/

Run: `python -m tools.demo [--output-dir demo-output]`. Every run starts clean.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from govhub.core import keys

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "examples" / "platform.yaml"
TEAM, USE_CASE, OTHER_TEAM = "fraud", "credit-scoring", "claims"
DEPLOYED = ("hub-aws", f"spoke-aws-{TEAM}", f"spoke-aws-{OTHER_TEAM}")
STEPS = 11
JUSTIFICATION = "Gate report, model card and evidence reviewed; fit for the stated use."


class DemoError(RuntimeError):
    """A step could not run; the message says what to do."""


class Demo:
    def __init__(self, out: Path, stream: Any = sys.stdout):
        self.out, self.stream = out, stream
        self.timings: dict[str, float] = {}
        self.result: dict[str, Any] = {}

    def say(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)

    def step(self, number: int, title: str, fn: Callable[[], Any]) -> Any:
        self.say(f"\n[{number}/{STEPS}] {title}")
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.timings[title] = time.perf_counter() - start
            self.say(f"      ({self.timings[title]:.1f} s)")

    def cli(self, *argv: str, expect: int | None = 0, quiet: bool = False) -> tuple[int, str, str]:
        """Run a govhub command in this process and show what the user would see."""
        import shlex

        from govhub.cli import main

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
        if not quiet:
            self.say(f"      $ govhub {shlex.join(argv)}")
            for line in (out.getvalue() + err.getvalue()).strip().splitlines():
                self.say(f"        {line}")
        if expect is not None and code != expect:
            raise DemoError(f"`govhub {' '.join(argv)}` exited {code}, expected {expect}")
        return code, out.getvalue(), err.getvalue()


def run(out: Path = ROOT / "demo-output", stream: Any = sys.stdout) -> dict[str, Any]:
    from tools.emulator import EmulatorUnavailable, MotoServer, find_terraform

    demo = Demo(out.resolve(), stream)
    try:
        find_terraform()
    except EmulatorUnavailable as exc:
        raise DemoError(f"Terraform is needed for the deploy step: {exc}") from None
    if demo.out.exists():
        shutil.rmtree(demo.out)
    demo.out.mkdir(parents=True)
    started = time.perf_counter()
    saved_env = dict(os.environ)
    moto = MotoServer(log=demo.out / "moto.log")
    try:
        demo.step(1, "setup: start the local AWS emulator", lambda: _setup(demo, moto))
        demo.step(2, "deploy: Terraform applies the hub and two spokes", lambda: _deploy(demo, moto))
        project = demo.step(3, "project: govhub project new", lambda: _project(demo))
        demo.step(4, "train: a fair model and a deliberately biased one", lambda: _train(demo, project))
        demo.step(
            5,
            "evaluate: the high-risk gates, locally and through the Clarify adapter",
            lambda: _evaluate(demo, project),
        )
        demo.step(6, "register: submit both to the hub registry, cross-account", lambda: _register(demo))
        demo.step(7, "promote: two approvers, a monitoring plan, prod", lambda: _promote(demo, project))
        demo.step(8, "audit: the signed checkpoint, then an insider's rewrite of a copy", lambda: _audit(demo))
        demo.step(9, "deploy check: the signed attestation and the evidence pack's proofs", lambda: _deploy_check(demo))
        demo.step(10, "hubs: the same models on MLflow, Azure and Google Cloud", lambda: _other_hubs(demo, project))
        demo.step(11, "summary", lambda: _summary(demo))
    finally:
        moto.stop()
        os.environ.clear()
        os.environ.update(saved_env)
    demo.result["seconds"] = time.perf_counter() - started
    demo.result["timings"] = dict(demo.timings)
    demo.say(f"\ndone in {demo.result['seconds']:.0f} s; the emulator is stopped. Outputs are in {demo.out}")
    return demo.result


# ----------------------------------------------------------------------------- steps


def _setup(demo: Demo, moto: Any) -> None:
    moto.start()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": moto.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "GOVHUB_CACHE_DIR": str(demo.out / ".cache"),
            "PLATFORM_CONFIG": str(CONFIG),
        }
    )
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(var, None)
    _session(_estate()[0].hubs.aws.management_account_id).client("organizations").create_organization(FeatureSet="ALL")
    demo.say(f"      moto_server on {moto.endpoint}; organization created in the management account")


@functools.cache
def _estate() -> tuple[Any, Any]:
    """The example platform config and the hub coordinates named from it (as the hub stack names them)."""
    from govhub.backends.aws.hub import AwsHubCoordinates
    from govhub.config import load_config

    config = load_config(CONFIG)
    return config, AwsHubCoordinates.from_config(config)


def _session(account: str, role: str = "OrganizationAccountAccessRole", name: str = "govhub-demo") -> Any:
    import boto3

    from govhub.backends.aws.hub import assumed_session

    return assumed_session(boto3.Session(), f"arn:aws:iam::{account}:role/{role}", name, "eu-west-1")


def _deploy(demo: Demo, moto: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from main import build_estate, synthesize
    from tools.emulator import EmulatorProfile, Terraform, applicable_addresses, find_mirror, write_cli_config

    config = _estate()[0]
    estate = demo.out / "estate"
    estate.mkdir(parents=True, exist_ok=True)
    profile = EmulatorProfile(endpoint=moto.endpoint, state_dir=estate / "state")
    app, stacks = build_estate(config, outdir=estate / "cdktf.out", profile=profile)
    synthesize(app)
    try:
        mirror = find_mirror()
        cli_config = write_cli_config(estate / "terraform.rc", mirror)
        demo.say(f"      provider hashicorp/aws from the filesystem mirror {mirror}")
    except Exception:  # noqa: BLE001 - no mirror: Terraform downloads the provider as usual (needs internet)
        cli_config = estate / "terraform.rc"
        cli_config.write_text("")
        demo.say("      no provider mirror here: Terraform downloads hashicorp/aws (needs internet)")
    tf = {name: Terraform(estate / "cdktf.out" / "stacks" / name, cli_config) for name in DEPLOYED}
    applied: dict[str, int] = {}

    def deploy(name: str) -> None:
        doc = json.loads((tf[name].workdir / "cdk.tf.json").read_text())
        tf[name].init()
        targets = applicable_addresses(doc)
        tf[name].apply(targets, timeout=900)
        applied[name] = len(targets)

    deploy("hub-aws")  # the spokes read the hub's outputs from its state
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(deploy, DEPLOYED[1:]))
    for name in DEPLOYED:
        demo.say(
            f"      applied {name}: {applied[name]} resources "
            f"({estate / 'cdktf.out' / 'stacks' / name / 'cdk.tf.json'})"
        )
    demo.say(
        "      not applied here, planned only (moto lacks them): model package group policies, SageMaker "
        "domains, budgets, S3 bucket notifications — see infra/emulator.py"
    )
    from govhub.estate import render_summary

    synthesized_only = [name for name in stacks if not name.endswith("-aws") and "-aws-" not in name]
    demo.say(
        "      synthesized, scanned and inventoried here, not applied (no azurerm or google provider binary "
        "offline; deployed from CI with `cdktf deploy hub-azure 'spoke-azure-*'` and `cdktf deploy hub-gcp "
        "'spoke-gcp-*'`):"
    )
    for line in render_summary(estate / "cdktf.out", synthesized_only).splitlines()[1:]:
        demo.say(f"    {line}")
    demo.result["synthesized_only"] = synthesized_only
    sm = _session(_estate()[1].account).client("sagemaker")
    groups = sorted(g["ModelPackageGroupName"] for g in sm.list_model_package_groups()["ModelPackageGroupSummaryList"])
    demo.say(f"      model package groups in the hub account: {', '.join(groups)}")
    demo.result["deployed"] = dict(applied)
    demo.result["groups"] = groups


def _project(demo: Demo) -> Path:
    demo.cli(
        "project",
        "new",
        "--team",
        TEAM,
        "--use-case",
        USE_CASE,
        "--platform",
        str(CONFIG),
        "--output-dir",
        str(demo.out),
    )
    project = demo.out / USE_CASE
    demo.result["project"] = str(project)
    return project


def _python(project: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "GOVHUB": str(Path(sys.executable).parent / "govhub"),
        "GIT_COMMIT": "dec0ded0c0ffee",
        "TRAINING_JOB": "demo-training-job",
    }
    return subprocess.run([sys.executable, *argv], cwd=project, env=env, capture_output=True, text=True, timeout=600)


def _train(demo: Demo, project: Path) -> None:
    package = project.name.replace("-", "_")
    for variant, extra in (("fair", ()), ("biased", ("--inject-bias",))):
        done = _python(project, "-m", f"{package}.train", "--out", str(demo.out / "models" / variant), *extra)
        if done.returncode != 0:
            raise DemoError(f"training the {variant} model failed:\n{done.stderr[-2000:]}")
        demo.say(
            f"      {variant}: trained -> models/{variant}/ {'(sex=female scores lowered by 0.25)' if extra else ''}"
        )


def _evaluate(demo: Demo, project: Path) -> None:
    package = project.name.replace("-", "_")
    outcomes = {}
    for variant in ("fair", "biased"):
        models = demo.out / "models" / variant
        artifacts = project / "artifacts"
        if artifacts.exists():
            shutil.rmtree(artifacts)
        shutil.copytree(models, artifacts)
        judged = _python(project, "-m", f"{package}.evaluate")
        shutil.rmtree(models)
        shutil.copytree(artifacts, models)
        outcomes[variant] = json.loads((models / "decision.json").read_text())["outcome"]
        demo.say(
            f"      {variant}: decision {outcomes[variant].upper()} (exit {judged.returncode}); "
            f"report models/{variant}/report.html"
        )
        for line in judged.stdout.splitlines():
            if line.strip().startswith("- "):
                demo.say(f"        {line.strip()}")
    _clarify_path(demo)
    demo.result["outcomes"] = outcomes


def _clarify_path(demo: Demo) -> None:
    """The biased model through SageMaker Clarify's format: the job is launched on the emulator, the
    open-source Clarify engine (smclarify) computes what the container would write, and
    `govhub evidence import` reads it back from S3 into the same gates."""
    import pandas as pd
    from sagemaker.core.helper.session_helper import Session
    from smclarify.bias.metrics import posttraining, pretraining

    from govhub.adapters.registry import get

    session = _session(_estate()[0].team(TEAM).account)
    s3 = session.client("s3")
    bucket = "fraud-clarify-demo"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    predictions = pd.read_csv(demo.out / "models" / "biased" / "predictions.csv")
    s3.put_object(Bucket=bucket, Key="eval/predictions.csv", Body=predictions.to_csv(index=False).encode())
    launched = get("sagemaker-clarify").launch(
        {
            "role": f"arn:aws:iam::{_estate()[0].team(TEAM).account}:role/govhub/{TEAM}-sagemaker-execution",
            "job_name": "clarify-credit-biased",
            "data": {
                "s3_input": f"s3://{bucket}/eval/predictions.csv",
                "s3_output": f"s3://{bucket}/clarify/biased",
                "label": "approved",
                "headers": ["sex", "approved", "score"],
            },
            "bias": {"label_values": [1], "facet": "sex", "facet_values": ["female"]},
            "model": {"name": "credit-biased"},
        },
        sagemaker_session=Session(boto_session=session, default_bucket=bucket),
    )
    feature = predictions["sex"].astype(object)
    label, pred = predictions["approved"] == 1, predictions["score"] >= 0.5
    facets: dict[str, list[Any]] = {"pre": [], "post": []}
    for value in sorted(feature.unique()):
        facet = feature == value
        facets["pre"].append(
            {
                "value_or_threshold": value,
                "metrics": [
                    {"name": "CI", "value": float(pretraining.CI(feature, facet))},
                    {"name": "DPL", "value": float(pretraining.DPL(feature, facet, label))},
                ],
            }
        )
        facets["post"].append(
            {
                "value_or_threshold": value,
                "metrics": [
                    {"name": n, "value": float(f(feature, facet, *args))}
                    for n, f, args in (
                        ("DI", posttraining.DI, (pred,)),
                        ("DPPL", posttraining.DPPL, (pred,)),
                        ("RD", posttraining.RD, (label, pred)),
                        ("SD", posttraining.SD, (label, pred)),
                        ("AD", posttraining.AD, (label, pred)),
                    )
                ],
            }
        )
    analysis = {
        "version": "1.0",
        **{
            f"{k}_training_bias_metrics": {"label": "approved", "label_value_or_threshold": "1", "facets": {"sex": v}}
            for k, v in facets.items()
        },
    }
    s3.put_object(Bucket=bucket, Key="clarify/biased/analysis.json", Body=json.dumps(analysis, indent=2).encode())
    uri = f"{launched['output_uri']}/analysis.json"
    demo.say(f"      Clarify job {launched['processing_job_name']} on the emulator; its analysis.json at {uri}")
    models = demo.out / "models" / "biased"
    demo.cli(
        "evidence",
        "import",
        "--adapter",
        "sagemaker-clarify",
        uri,
        "--merge",
        str(models / "evidence.json"),
        "--replace",
        "--out",
        str(models / "evidence-with-clarify.json"),
    )
    code, _, _ = demo.cli(
        "evaluate",
        "--evidence",
        str(models / "evidence-with-clarify.json"),
        "--tier",
        "high",
        "--model-card",
        str(models / "model_card.yaml"),
        "--out",
        str(models / "decision-with-clarify.json"),
        expect=None,
    )
    demo.result["clarify_outcome"] = json.loads((models / "decision-with-clarify.json").read_text())["outcome"]


def _register(demo: Demo) -> None:
    from govhub.core.policy import PACKS_DIR

    demo.cli("policy", "publish", *(str(p) for p in sorted(PACKS_DIR.glob("*.yaml"))), "--as", "platform-ci")
    spoke = _session(_estate()[0].team(TEAM).account, name="fraud-ci").get_credentials().get_frozen_credentials()
    hub_env = {k: os.environ[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(
        AWS_ACCESS_KEY_ID=spoke.access_key, AWS_SECRET_ACCESS_KEY=spoke.secret_key, AWS_SESSION_TOKEN=spoke.token
    )  # the team's CI credentials, in the spoke account
    refs = {}
    try:
        for variant in ("biased", "fair"):
            models = demo.out / "models" / variant
            code, out, _ = demo.cli(
                "submit",
                "--team",
                TEAM,
                "--use-case",
                USE_CASE,
                "--decision",
                str(models / "decision.json"),
                "--evidence",
                str(models / "evidence.json"),
                "--model-card",
                str(models / "model_card.yaml"),
                "--model-artifact",
                str(models / "model.pkl"),
                "--as",
                f"ci-{variant}",
                expect=1 if variant == "biased" else 0,
            )
            refs[variant] = out.split("registered ", 1)[1].split(" ", 1)[0]
    finally:
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.update(hub_env)
    coords = _estate()[1]
    queue = _session(coords.account).client("sqs")
    url = queue.get_queue_url(QueueName=coords.ticket_queue)["QueueUrl"]
    messages = queue.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    tickets = [json.loads(m["Body"]) for m in messages]
    for ticket in tickets:
        detail = ticket["detail"]["data"]  # the CloudEvents envelope's data, the same on every cloud
        demo.say(f"      ticket queue {coords.ticket_queue}: {detail['ticket']['title']} ({ticket['detail']['type']})")
    demo.result["refs"] = refs
    demo.result["tickets"] = tickets


def _promote(demo: Demo, project: Path) -> None:
    ref = demo.result["refs"]["fair"]
    code, _, err = demo.cli(
        "approve",
        ref,
        "--stage",
        "staging",
        "--justification",
        JUSTIFICATION,
        "--as",
        "frank@acme.example",
        expect=2,
    )
    demo.result["self_approval_refused"] = "separation of duties" in err
    demo.cli("promote", ref, "--to", "dev", "--as", "erin@acme.example")
    demo.cli("approve", ref, "--stage", "staging", "--justification", JUSTIFICATION, "--as", "erin@acme.example")
    demo.cli("promote", ref, "--to", "staging", "--as", "erin@acme.example")
    for person in ("erin@acme.example", "grace@acme.example"):
        demo.cli("approve", ref, "--stage", "prod", "--justification", JUSTIFICATION, "--as", person)
    demo.cli("monitoring", "attach", ref, "--plan", str(project / "governance.yaml"), "--team", TEAM, "--as", "ci-fair")
    demo.cli("promote", ref, "--to", "prod", "--as", "grace@acme.example")
    demo.cli("status", ref, "--as", "auditor")
    code, out, _ = demo.cli("status", ref, "--json", "--as", "auditor", quiet=True)
    status = json.loads(out)
    demo.result["promoted"] = status["stage"] == "prod" and status["approval_status"] == "Approved"
    code, _, err = demo.cli(
        "promote", demo.result["refs"]["biased"], "--to", "dev", "--as", "erin@acme.example", expect=1
    )
    demo.result["biased_blocked"] = "gate decision is FAIL" in err
    # the team asks for a waiver of the blocked version; it waits in the approvers' inbox (none is granted)
    until = str(date.today() + timedelta(days=30))
    reason = "the reweighted retraining lands next sprint; until then decisions are reviewed by hand"
    demo.cli("waiver", "request", demo.result["refs"]["biased"], "--gate", "gate.fairness", "--reason", reason,
             "--expires", until, "--as", "dana@acme.example")  # fmt: skip
    reports = demo.out / "reports"
    reports.mkdir(exist_ok=True)
    demo.cli("inbox", "--html", str(reports / "inbox.html"), "--as", "auditor")
    code, out, _ = demo.cli("inbox", "--json", "--as", "auditor", quiet=True)
    demo.result["waiver_asked"] = any(r["state"] == "waiver" for r in json.loads(out))
    demo.cli("inventory", "--html", str(reports / "inventory.html"), "--as", "auditor")


def _audit(demo: Demo) -> None:
    audit = demo.out / "audit"
    audit.mkdir(exist_ok=True)
    pem = audit / "hub.pem"
    code, _, _ = demo.cli("audit", "verify", "--as", "auditor")
    demo.result["audit_verified"] = code == 0
    _, out, _ = demo.cli("audit", "public-key", "--out", str(pem), "--as", "auditor")
    demo.result["key_sha256"] = out.split("sha256 ", 1)[1].split(",", 1)[0].strip()
    demo.cli("audit", "checkpoint", "--out", str(audit / "checkpoint.json"), "--as", "auditor")
    demo.say("      the hub service signed that checkpoint with its KMS key; anyone holding hub.pem can check it:")
    demo.say("      " + (audit / "checkpoint.json").read_text().splitlines()[0] + " …")
    copy, untouched = demo.out / "audit-copy", demo.out / "audit-untouched"
    demo.cli("audit", "copy", str(copy), "--as", "auditor")
    demo.cli("audit", "copy", str(untouched), "--as", "auditor", quiet=True)
    demo.say(f"      an untouched copy with its signed checkpoints stays in {untouched.name}/ for your own tampering:")
    code, _, _ = demo.cli("audit", "verify", "--from", str(untouched), "--checkpoints", str(untouched),
                          "--public-key", str(pem))  # fmt: skip
    demo.result["checkpoint_verified"] = code == 0
    victim = _rewrite_and_rechain(copy)
    demo.say(f"      an insider rewrote entry {victim} in {copy.name}/ and re-chained every entry after it:")
    code, _, err = demo.cli("audit", "verify", "--from", str(copy), expect=0)
    demo.result["rechain_passes_chain_only"] = code == 0 and "re-chains" in err
    code, _, err = demo.cli("audit", "verify", "--from", str(copy), "--checkpoints", str(copy),
                            "--public-key", str(pem), expect=1)  # fmt: skip
    demo.result["tamper_detected"] = victim in _named_entries(err)
    demo.result["tampered_entry"] = victim


def _named_entries(report: str) -> set[int]:
    """The entries a verification report points at: "entry 12 was …" or "an entry between 12 and 14"
    (checkpoints are signed per request, so a request's entries share one checkpoint)."""
    import re

    named: set[int] = set()
    for one, low, high in re.findall(r"entry (\d+) was|between (\d+) and (\d+)", report):
        named |= {int(one)} if one else set(range(int(low), int(high) + 1))
    return named


def _rewrite_and_rechain(copy: Path) -> int:
    """What a writer of the log would do: change one entry and re-hash it and everything after it, so
    that the hash chain is whole again; returns the entry's number."""
    from govhub.core.audit import HEAD, AuditEntry

    log = copy / "govhub-audit-log"
    entries = sorted((log / "entries").iterdir())
    victim = len(entries) // 2
    prev = json.loads(entries[victim - 2].read_text())["hash"]
    for path in entries[victim - 1 :]:
        doc = json.loads(path.read_text())
        if doc["seq"] == victim:
            doc["actor"] = doc["actor"].replace("govhub-approver", "govhub-submit-fraud")
            doc.setdefault("details", {})["tampered"] = "an insider rewrote this entry"
        doc["prev"] = prev
        doc["hash"] = AuditEntry.digest(doc)
        path.write_text(json.dumps(doc, indent=2))
        prev = doc["hash"]
    (log / HEAD.rsplit("/", 1)[-1]).write_text(json.dumps({"seq": len(entries), "hash": prev}))
    return victim


def _deploy_check(demo: Demo) -> None:
    """The deploy pipelines' check: fetch the hub's signed prod attestation, then verify the artifact."""
    ref, models = demo.result["refs"]["fair"], demo.out / "models"
    checks = demo.out / "deploy-check"
    checks.mkdir(exist_ok=True)
    att, pem = checks / "attestation.intoto.json", checks / "hub.pem"
    demo.cli("attest", "fetch", "--model", ref, "--team", TEAM, "--stage", "prod", "--out", str(att),
             "--public-key-out", str(pem), "--as", "ci-deploy")  # fmt: skip
    verify = ("attest", "verify", "--attestation", str(att), "--public-key", str(pem),
              "--public-key-sha256", demo.result["key_sha256"], "--stage", "prod")  # fmt: skip
    code, _, _ = demo.cli(*verify, "--model-artifact", str(models / "fair" / "model.pkl"))
    demo.result["attestation_verified"] = code == 0
    swapped = checks / "model-swapped.pkl"  # what reaches the endpoint if someone swaps the file after approval
    data = bytearray((models / "fair" / "model.pkl").read_bytes())
    data[len(data) // 2] ^= 0x01
    swapped.write_bytes(bytes(data))
    demo.say(f"      the same attestation does not let another artifact through ({swapped.name}: one bit changed):")
    code, out, _ = demo.cli(*verify, "--model-artifact", str(swapped), expect=1)
    demo.result["other_artifact_refused"] = "NOT deployable" in out
    reports = demo.out / "reports"
    reports.mkdir(exist_ok=True)
    for fmt in ("html", "json"):
        demo.cli("audit", "export", "--model", ref, "--format", fmt, "--out", str(reports / f"audit-export.{fmt}"),
                 "--as", "auditor", quiet=fmt == "json")  # fmt: skip
    code, out, _ = demo.cli("audit", "export", "--model", ref, "--format", "annex-iv", "--out", str(reports / "annex-iv"),
                            "--as", "auditor")  # fmt: skip
    demo.result["annex_iv_complete"] = code == 0 and "does not state" not in out
    export = reports / "audit-export.json"
    demo.say("      the evidence pack carries an inclusion proof per entry; it verifies offline with hub.pem:")
    code, _, _ = demo.cli("audit", "verify-export", str(export), "--public-key", str(pem))
    demo.result["inclusion_verified"] = code == 0


def _other_hubs(demo: Demo, project: Path) -> None:
    from govhub.config import load_config
    from tools.hub_tour import azure_act, gcp_act, mlflow_act, uploads_from

    config, uploads = load_config(CONFIG), uploads_from(demo.out / "models")
    acts = {}
    for name, title, act in (
        ("mlflow", "an MLflow-backed hub (hubs.<cloud>.registry: mlflow)", mlflow_act),
        ("azure", "the Azure hub service (registry: azureml)", azure_act),
        ("gcp", "the GCP hub service (registry: vertex)", gcp_act),
    ):
        demo.say(f"      -- {title}")
        acts[name] = act(demo.out, uploads, config, demo.say, plan=(project / "governance.yaml").read_text())
        outcome = acts[name]
        demo.say(f"      => {outcome['refs']['fair']} in prod ({outcome['status']['approval_status']}); "
                 f"{outcome['refs']['biased']} blocked with a ticket; audit log verified: {outcome['audit_ok']}")  # fmt: skip
    demo.result["hubs"] = acts


def _summary(demo: Demo) -> None:
    reports = demo.out / "reports"
    for variant in ("fair", "biased"):
        shutil.copy(demo.out / "models" / variant / "report.html", reports / f"gate-report-{variant}.html")
    coords = _estate()[1]
    s3 = _session(coords.account).client("s3")
    bucket = coords.artifact_bucket
    for variant, vref in demo.result["refs"].items():
        g, v = vref.split("/")
        for ext in ("md", "html"):
            body = s3.get_object(Bucket=bucket, Key=f"{keys.card_prefix(TEAM, g, v)}model_card.{ext}")["Body"].read()
            (reports / f"model-card-{variant}.{ext}").write_bytes(body)
    files = sorted(p.relative_to(demo.out).as_posix() for p in reports.iterdir())
    demo.result["files"] = files
    demo.say("      written:")
    for name in files:
        demo.say(f"        {demo.out.name}/{name}")
    demo.say("      step timings: " + ", ".join(f"{k.split(':')[0]} {v:.0f}s" for k, v in demo.timings.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output-dir", type=Path, default=ROOT / "demo-output")
    args = parser.parse_args(argv)
    try:
        result = run(args.output_dir)
    except DemoError as exc:
        print(f"\ndemo stopped: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ndemo interrupted; the emulator was stopped", file=sys.stderr)
        return 130
    ok = all(
        result.get(k)
        for k in ("promoted", "self_approval_refused", "biased_blocked", "audit_verified", "tamper_detected")
    ) and result.get("tickets")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
