"""The workflow commands end to end through ``govhub.cli.main``, on the moto hub (see test_workflow)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from govhub.backends.aws import names
from govhub.cli import main
from govhub.core.policy import PACKS_DIR
from tests.core.test_workflow import CARD, JUSTIFY, PLAN, _decide, hub  # noqa: F401 - the hub fixture
from tests.mothub import CONFIG

COMMON = ["--platform", str(CONFIG)]


def _files(tmp_path: Path, di: float, name: str) -> list[str]:
    decision, evidence = _decide(di)
    (tmp_path / f"{name}-decision.json").write_text(decision.model_dump_json(indent=2))
    (tmp_path / f"{name}-evidence.json").write_text(evidence.to_json())
    (tmp_path / "card.yaml").write_text(yaml.safe_dump(CARD))
    return [
        "--decision",
        str(tmp_path / f"{name}-decision.json"),
        "--evidence",
        str(tmp_path / f"{name}-evidence.json"),
        "--model-card",
        str(tmp_path / "card.yaml"),
        "--model-sha256",
        f"{int(di * 1000):064x}",
    ]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _emulator_profile(monkeypatch) -> None:
    """In-process moto is the emulator: the CLI runs the hub service's handler in this process."""
    monkeypatch.setenv("GOVHUB_PROFILE", "emulator")


def test_workflow_commands(hub, tmp_path: Path, capsys, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("GOVHUB_CACHE_DIR", str(tmp_path / "cache"))
    submit = ["submit", "--team", "fraud", "--use-case", "credit-scoring", *COMMON, "--as", "ci-main"]
    code, out, _ = run(capsys, *submit, *_files(tmp_path, 0.6, "biased"))
    assert code == 1 and "registered fraud-credit-scoring/1" in out and "BLOCKED" in out
    assert "gate.fairness: clarify.DI 0.6 for sex=female is below 0.8 required for risk tier high" in out
    assert len(hub.tickets()) == 1
    code, out, _ = run(capsys, *submit, *_files(tmp_path, 0.97, "fair"))
    assert code == 0 and "registered fraud-credit-scoring/2" in out

    ref = "fraud-credit-scoring/2"
    code, _, err = run(
        capsys, "approve", ref, "--stage", "staging", "--justification", JUSTIFY, *COMMON, "--as", "dana@acme.example"
    )
    assert code == 2 and "dana@acme.example may not approve model versions" in err
    assert "emulator: the hub service runs in this process" in err
    code, _, err = run(capsys, "promote", "fraud-credit-scoring/1", "--to", "dev", *COMMON, "--as", "erin")
    assert code == 1 and "gate decision is FAIL" in err
    for stage, people in (("dev", []), ("staging", ["erin"]), ("prod", ["erin", "grace"])):
        for person in people:
            assert (
                run(capsys, "approve", ref, "--stage", stage, "--justification", JUSTIFY, *COMMON, "--as", person)[0]
                == 0
            )
        if stage == "prod":
            (tmp_path / "plan.yaml").write_text(PLAN)
            assert (
                run(
                    capsys,
                    "monitoring",
                    "attach",
                    ref,
                    "--plan",
                    str(tmp_path / "plan.yaml"),
                    "--team",
                    "fraud",
                    *COMMON,
                    "--as",
                    "ci-main",
                )[0]
                == 0
            )
        code, out, err = run(capsys, "promote", ref, "--to", stage, *COMMON, "--as", "erin")
        assert code == 0, err
    assert "registry status Approved" in out
    code, out, _ = run(capsys, "status", ref, *COMMON, "--as", "auditor")
    assert code == 0 and "stage prod" in out and "prod     approvals 2/2 erin@acme.example, grace@acme.example" in out

    code, out, _ = run(capsys, "status", "fraud-credit-scoring", *COMMON, "--as", "auditor")
    assert code == 0 and out.splitlines()[0].split()[:3] == [
        "fraud-credit-scoring/1",
        "registered",
        "PendingManualApproval",
    ]
    assert "fraud-credit-scoring/2" in out.splitlines()[1] and "Approved" in out.splitlines()[1]
    code, out, _ = run(capsys, "audit", "verify", *COMMON, "--as", "auditor")
    assert code == 0 and "verified" in out
    copy = tmp_path / "copy"
    assert run(capsys, "audit", "copy", str(copy), *COMMON, "--as", "auditor")[0] == 0
    assert run(capsys, "audit", "verify", "--from", str(copy))[0] == 0
    entry = sorted((copy / "govhub-audit-log" / "entries").iterdir())[5]
    doc = json.loads(entry.read_text())
    doc["actor"] = "someone else"
    entry.write_text(json.dumps(doc))
    code, _, err = run(capsys, "audit", "verify", "--from", str(copy))
    assert code == 1 and "[modified] entry 6" in err

    code, out, _ = run(
        capsys,
        "audit",
        "export",
        "--model",
        ref,
        "--format",
        "html",
        "--out",
        str(tmp_path / "pack.html"),
        *COMMON,
        "--as",
        "auditor",
    )
    assert code == 0 and "verified" in out
    assert "grace" in (tmp_path / "pack.html").read_text()
    _annex_iv_document(capsys, tmp_path, ref)


def _annex_iv_document(capsys, tmp_path: Path, ref: str) -> None:
    """The EU AI Act technical documentation of a version in prod, as markdown and in the browser."""
    from tests.core.test_policy_and_decision import ANNEX_IV
    from tests.core.test_report_browser import browse, painted

    out_base = tmp_path / "annex"
    code, out, _ = run(
        capsys, "audit", "export", "--model", ref, "--format", "annex-iv", "--out", str(out_base), *COMMON,
        "--as", "auditor",
    )  # fmt: skip
    assert code == 0 and "wrote the Annex IV technical documentation" in out and "does not state" not in out
    md = (tmp_path / "annex.md").read_text()
    for heading in ("## Annex IV 1(a): Intended purpose", "## Annex IV 2(d): Data", "## Annex IV 2(e): Human",
                    "## Annex IV 2(g): Validation", "## Annex IV 5: Risk management", "## Annex IV 9: Post-market",
                    "## Annex IV 8: EU declaration of conformity (Article 47) (provider to attach)"):  # fmt: skip
        assert heading in md, heading
    assert ANNEX_IV["human_oversight"] in md and "| gate.performance | roc_auc | all rows |" in md
    assert "write-once storage for 2555 days (guardrails.audit_retention_days)" in md
    dom = browse(tmp_path / "annex.html", tmp_path, "--dump-dom").stdout
    sections = re.findall(r'<section id="annex-iv-[^"]+" data-annex="([^"]+)"', dom)
    assert sections == ["1(a)", "2(a)", "2(d)", "2(e)", "2(g)", "2(h)", "3", "4", "5", "6", "7", "8", "9"]
    assert 'id="incomplete"' not in dom
    g = dom[dom.index('data-annex="2(g)"') :]
    g = g[: g.index("</section>")]
    assert "grace@acme.example" in g and "erin@acme.example" in g  # the dated, signed approvals
    assert '<td class="held">held</td>' in g and "sex=female" in g
    seen = painted(tmp_path / "annex.html", tmp_path, {"annex heading": (0x1F, 0x4E, 0x9A), "held": (0x11, 0x69, 0x1F)})
    assert seen["annex heading"] > 300 and seen["held"] > 50, seen
    nine = dom[dom.index('data-annex="9"') :]
    assert "schedule daily" in nine and "clarify.DI" in nine  # the attached monitoring plan


@pytest.mark.parametrize(
    "argv, message",
    [
        (["approve", "nope", "--stage", "dev", "--justification", JUSTIFY], "GROUP/VERSION"),
        (
            ["submit", "--team", "ghost", "--decision", "d.json", "--evidence", "e.json", "--model-card", "c.yaml"],
            "no team named 'ghost'",
        ),
        (["audit", "verify", "--anchor", "12:abc"], "write SEQ:SHA256"),
        (
            ["monitoring", "attach", "fraud-credit-scoring/1", "--plan", "missing.yaml", "--team", "fraud"],
            "missing.yaml: no such file",
        ),
    ],
)
def test_bad_input_is_one_message(hub, capsys, argv, message) -> None:  # noqa: F811
    code, _, err = run(capsys, *argv, *COMMON)
    assert code == 2 and message in err and "Traceback" not in err


def test_policy_publish_and_fetch(hub, tmp_path: Path, capsys, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("GOVHUB_CACHE_DIR", str(tmp_path / "cache"))
    code, out, _ = run(
        capsys,
        "policy",
        "publish",
        str(PACKS_DIR / "minimal.yaml"),
        str(PACKS_DIR / "high.yaml"),
        *COMMON,
        "--as",
        "platform-ci",
    )
    assert code == 0 and "published govhub-minimal 1.0.0" in out and "already published govhub-high 1.2.0" in out
    code, out, _ = run(capsys, "policy", "fetch", "govhub-minimal", "--team", "fraud", *COMMON)
    assert code == 0 and (tmp_path / "cache" / "policies" / "govhub-minimal" / "1.0.0.yaml").is_file()


def test_inbox_shows_what_waits_and_what_is_missing(hub, tmp_path: Path, capsys, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setenv("GOVHUB_CACHE_DIR", str(tmp_path / "cache"))
    submit = ["submit", "--team", "fraud", "--use-case", "credit-scoring", *COMMON, "--as", "ci-main"]
    assert run(capsys, *submit, *_files(tmp_path, 0.6, "biased"))[0] == 1
    assert run(capsys, *submit, *_files(tmp_path, 0.97, "fair"))[0] == 0
    blocked, fair = "fraud-credit-scoring/1", "fraud-credit-scoring/2"
    code, out, err = run(capsys, "inbox", "--json", *COMMON, "--as", "auditor")
    assert code == 0, err
    rows = {r["model_version"]: r for r in json.loads(out)}
    assert (
        code == 0
        and rows[blocked]["state"] == "blocked"
        and "decision FAIL (gate.fairness)" in rows[blocked]["missing"]
    )
    assert rows[fair]["state"] == "ready" and rows[fair]["next"] == "dev"  # dev needs no approval at tier high
    assert run(capsys, "promote", fair, "--to", "dev", *COMMON, "--as", "erin")[0] == 0
    code, out, _ = run(capsys, "inbox", "--stage", "staging", *COMMON, "--as", "auditor")
    assert code == 0 and blocked not in out
    assert f"{fair}" in out and "waits for approvers: approvals 0/1" in out and "1 wait for an approval" in out
    for stage, people in (("staging", ["erin"]), ("prod", ["erin", "grace"])):
        for person in people:
            run(capsys, "approve", fair, "--stage", stage, "--justification", JUSTIFY, *COMMON, "--as", person)
        if stage == "staging":
            assert run(capsys, "promote", fair, "--to", "staging", *COMMON, "--as", "erin")[0] == 0
    code, out, _ = run(capsys, "inbox", "--team", "fraud", "--json", *COMMON, "--as", "auditor")
    row = {r["model_version"]: r for r in json.loads(out)}[fair]
    assert (
        row["state"] == "team"
        and row["missing"] == ["no monitoring plan"]
        and row["approvals"]["have"]
        == [
            "erin@acme.example",
            "grace@acme.example",
        ]
    )
    code, out, _ = run(capsys, "inbox", "--team", "claims", *COMMON, "--as", "auditor")
    assert code == 0 and "nothing waits for team claims" in out


def test_inventory_lists_every_use_case_and_renders_in_the_browser(hub, tmp_path: Path, capsys, monkeypatch) -> None:  # noqa: F811
    from tests.core.test_report_browser import browse, painted

    monkeypatch.setenv("GOVHUB_CACHE_DIR", str(tmp_path / "cache"))
    submit = ["submit", "--team", "fraud", "--use-case", "credit-scoring", *COMMON, "--as", "ci-main"]
    assert run(capsys, *submit, *_files(tmp_path, 0.6, "biased"))[0] == 1
    assert run(capsys, *submit, *_files(tmp_path, 0.97, "fair"))[0] == 0
    assert run(capsys, "promote", "fraud-credit-scoring/2", "--to", "dev", *COMMON, "--as", "erin")[0] == 0
    code, out, _ = run(capsys, "inventory", "--json", *COMMON, "--as", "auditor")
    (row,) = json.loads(out)
    assert code == 0 and row["group"] == "fraud-credit-scoring" and row["risk_tier"] == "high"
    assert row["counts"] == {"blocked": 1, "rejected": 0, "registered": 0, "dev": 1, "staging": 0, "prod": 0}
    assert row["prod"] is None and [v["state"] for v in row["versions"]] == ["blocked", "dev"]
    page = tmp_path / "inventory.html"
    code, out, _ = run(capsys, "inventory", "--html", str(page), *COMMON, "--as", "auditor")
    assert code == 0 and "1 use case(s)" in out
    dom = browse(page, tmp_path, "--dump-dom").stdout
    assert '<tr data-group="fraud-credit-scoring" class="tier-high">' in dom
    assert '<td class="n bad">1</td>' in dom  # the blocked count, in red
    assert "<title>Model inventory: acme</title>" in dom and "2 version(s)" in dom
    seen = painted(page, tmp_path, {"tier high row": (0xFD, 0xE8, 0xE8), "blocked count": (0xA4, 0x0E, 0x0E)})
    assert seen["tier high row"] > 1000 and seen["blocked count"] > 5, seen


def test_a_team_member_asks_for_a_waiver_and_an_approver_answers_it(hub, tmp_path: Path, capsys, monkeypatch) -> None:  # noqa: F811
    from tests.core.test_report_browser import browse, painted

    monkeypatch.setenv("GOVHUB_CACHE_DIR", str(tmp_path / "cache"))
    submit = ["submit", "--team", "fraud", "--use-case", "credit-scoring", *COMMON, "--as", "ci-main"]
    assert run(capsys, *submit, *_files(tmp_path, 0.7, "biased"))[0] == 1
    ref, until = "fraud-credit-scoring/1", str(date.today() + timedelta(days=30))
    ask = ["waiver", "request", ref, "--gate", "gate.fairness", "--expires", until, *COMMON]
    reason = ["--reason", "reweighted retraining lands next sprint; the gap is 0.1"]
    # only a declared member of the owning team may ask; a short reason is refused
    code, _, err = run(capsys, *ask, *reason, "--as", "ci-main")
    assert code == 2 and "only a member of team fraud may" in err
    code, _, err = run(capsys, *ask, "--reason", "please", "--as", "dana@acme.example")
    assert code == 2 and "at least 20 characters" in err
    code, _, err = run(capsys, *ask[:4], "gate.performance", *ask[5:], *reason, "--as", "dana@acme.example")
    assert code == 2 and "gate.performance does not fail" in err
    code, out, err = run(capsys, *ask, *reason, "--as", "dana@acme.example")
    assert code == 0, err
    assert "asked the approvers to waive gate.fairness" in out and "govhub waiver grant" in out
    code, out, _ = run(capsys, "inbox", "--json", *COMMON, "--as", "auditor")
    (row,) = json.loads(out)
    assert row["state"] == "waiver"
    assert f"waiver requested for gate.fairness by dana@acme.example until {until}" in row["missing"][-1]
    page = tmp_path / "inbox.html"
    assert run(capsys, "inbox", "--html", str(page), *COMMON, "--as", "auditor")[0] == 0
    dom = browse(page, tmp_path, "--dump-dom").stdout
    assert f'<tr data-version="{ref}" data-state="waiver">' in dom
    assert "blocked, waiver asked" in dom and "1 for a waiver decision" in dom
    seen = painted(page, tmp_path, {"waiver badge": (0xFF, 0xF1, 0xD6)})
    assert seen["waiver badge"] > 200, seen  # the state badge is painted, not only present in the DOM
    # the approver's grant answers the request: it leaves the inbox's waiver state, and the log links them
    code, out, err = run(
        capsys, "waiver", "grant", ref, "--gate", "gate.fairness", "--expires", until, *reason, *COMMON, "--as", "grace"
    )
    assert code == 0 and "decision is now pass" in out, err
    code, out, _ = run(capsys, "inbox", "--json", *COMMON, "--as", "auditor")
    (row,) = json.loads(out)
    assert row["state"] == "ready" and not any("waiver requested" in m for m in row["missing"])
    log = hub.as_hub(names.HUB_AUDITOR_ROLE, "auditor").audit
    request = next(e for e in log.for_subject(ref) if e.type == "waiver_request")
    grant = next(e for e in log.for_subject(ref) if e.type == "waiver")
    assert request.details["requested_by"] == "dana@acme.example" and grant.details["answers"] == [request.seq]
