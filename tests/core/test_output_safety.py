"""Untrusted text never runs in a reader's browser: markup injected into every field a user or a team
supplies (card fields, model name, lineage, feature and group names, justifications, the approver's
name) reaches the gate report, the model card (through `govhub card render`) and the audit export as
text. Each page is opened in headless Chromium and its DOM is read back: no element and no attribute
may come from the input, and no injected script may have run."""

from __future__ import annotations

import json
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from govhub.cli import main
from govhub.core.decision import decide
from govhub.core.evidence import Evidence, Metric, Provenance
from govhub.core.gates import GateContext
from govhub.core.model_card import context
from govhub.core.policy import pack_for_tier
from govhub.core.report import render_report
from govhub.core.workflow import render_export_html
from govhub.rendering import escapes
from tests.core.test_report_browser import browse

PAYLOAD = "<b id=\"pwn\">x</b><img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"
PROV = Provenance(artifact_uri="file:///p.csv", artifact_sha256="1" * 64, tool="t", tool_version="1", variant="v")


class Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.attrs: list[str] = []
        self.scripts = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs += [name for name, _ in attrs]
        self.ids += [value or "" for name, value in attrs if name == "id"]
        self.scripts += tag == "script"
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


def card() -> dict:
    from govhub.core.model_card import ANNEX_IV_FIELDS

    fields = ("intended_use", "limitations", "owners", "training_data", "evaluation_data", "ethical_considerations",
              *ANNEX_IV_FIELDS)  # fmt: skip
    return {
        **dict.fromkeys(fields, PAYLOAD),
        "author": PAYLOAD,
        "model": {"name": PAYLOAD, "version": PAYLOAD},
        "assets": {"evaluation_report": PAYLOAD},
        "lineage": {"data_version": PAYLOAD, "code_commit": PAYLOAD, "training_job": PAYLOAD},
    }


def evidence() -> Evidence:
    group = {PAYLOAD: PAYLOAD}
    metrics = [
        Metric(name="roc_auc", value=0.8, provenance=PROV),
        Metric(name="clarify.DI", value=0.5, group=group, provenance=PROV),
        Metric(name="fairlearn.selection_rate", value=0.3, group=group, provenance=PROV),
        Metric(name="drift.psi", value=0.4, feature=PAYLOAD, provenance=PROV),
        Metric(name="explain.mean_abs_attribution", value=None, error=PAYLOAD, feature=PAYLOAD, provenance=PROV),
    ]
    return Evidence(model={"name": PAYLOAD, "version": PAYLOAD}, metrics=tuple(metrics))


def assert_inert(page: Path, tmp_path: Path) -> None:
    shown = browse(page, tmp_path, "--dump-dom", "--virtual-time-budget=2000")
    assert shown.returncode == 0, shown.stderr[-2000:]
    dom = Dom()
    dom.feed(shown.stdout)
    assert "pwn" not in dom.ids, page.name
    assert "onerror" not in dom.attrs, page.name
    assert dom.scripts == 0, page.name
    assert dom.title.strip() != "pwned", page.name  # an injected script would have set it
    assert "<b id=" in shown.stdout.replace("&lt;", "<") or "&lt;b id=" in shown.stdout, "payload not shown as text"


@pytest.fixture()
def judged() -> tuple:
    pack = pack_for_tier("high")
    ev, c = evidence(), card()
    decision = decide(
        ev, pack, ctx=GateContext(risk_tier="high", model_card=c, lineage=c["lineage"]), today=date.today()
    )
    return pack, ev, c, decision


def test_every_html_template_escapes_by_its_real_file_name() -> None:
    from govhub.resources import templates_dir

    pages = sorted(p.name for p in templates_dir().rglob("*.j2") if ".html" in p.name or ".md" in p.name)
    assert pages and all(escapes(name) for name in pages), pages
    assert not escapes("sagemaker_pipeline.json.j2")


def test_the_gate_report_shows_injected_markup_as_text(judged, tmp_path: Path) -> None:
    pack, ev, _, decision = judged
    page = tmp_path / "report.html"
    page.write_text(render_report(decision, ev, pack))
    assert_inert(page, tmp_path)


def test_the_model_card_preview_shows_injected_markup_as_text(judged, tmp_path: Path, capsys) -> None:
    _, ev, c, decision = judged
    (tmp_path / "card.json").write_text(json.dumps(c))
    (tmp_path / "decision.json").write_text(decision.model_dump_json())
    (tmp_path / "evidence.json").write_text(ev.to_json())
    args = ["card", "render", "--card", str(tmp_path / "card.json"), "--decision", str(tmp_path / "decision.json")]
    for suffix in ("html", "md"):
        out = tmp_path / f"card.{suffix}"
        assert main([*args, "--evidence", str(tmp_path / "evidence.json"), "--out", str(out)]) == 0
    assert "<b id=" not in (tmp_path / "card.md").read_text()
    assert_inert(tmp_path / "card.html", tmp_path)


def test_the_audit_export_shows_injected_markup_as_text(judged, tmp_path: Path) -> None:
    _, ev, c, decision = judged
    approval = {"type": "approval", "stage": "prod", "who": PAYLOAD, "when": PAYLOAD, "justification": PAYLOAD}
    entry = {"seq": 1, "time": PAYLOAD, "type": "approval", "actor": PAYLOAD, "subject": PAYLOAD, "hash": "a" * 64,
             "details": {"digest": PAYLOAD}}  # fmt: skip
    export = {
        "model_version": PAYLOAD,
        "registry": {"arn": PAYLOAD, "approval_status": PAYLOAD, "metadata": {"govhub:stage": PAYLOAD}},
        "decision": json.loads(decision.model_dump_json()),
        "evidence_sha256": PAYLOAD,
        "policy_publication": [entry],
        "monitoring_plan": {"sha256": PAYLOAD, "schedule": PAYLOAD, "checks": [PAYLOAD]},
        "approvals": [approval],
        "audit_entries": [entry],
        "audit_chain": {"ok": False, "entries": 1, "head": 1, "last_hash": PAYLOAD, "problems": [PAYLOAD]},
        "model_card": context(c, decision, ev, model_ref=PAYLOAD, approvals=[approval]),
    }
    page = tmp_path / "export.html"
    page.write_text(render_export_html(export))
    assert_inert(page, tmp_path)


def test_card_render_refuses_what_it_cannot_use(tmp_path: Path, capsys) -> None:
    (tmp_path / "card.yaml").write_text("model: [a, b]\n")
    code = main(["card", "render", "--card", str(tmp_path / "card.yaml"), "--decision", "d.json", "--evidence", "e.json",
                 "--out", str(tmp_path / "card.html")])  # fmt: skip
    assert code == 2
    assert "field 'model' must be a mapping" in capsys.readouterr().err


def test_the_inventory_shows_injected_markup_as_text(tmp_path: Path) -> None:
    from govhub.core.workflow import render_inventory_html

    counts = {"blocked": 1, "rejected": 0, "registered": 0, "dev": 0, "staging": 0, "prod": 1}
    version = {"model_version": PAYLOAD, "state": "prod", "stage": PAYLOAD, "decision": PAYLOAD, "decided": PAYLOAD,
               "last_change": PAYLOAD}  # fmt: skip
    rows = [{"group": PAYLOAD, "team": PAYLOAD, "use_case": PAYLOAD, "risk_tier": PAYLOAD, "counts": counts,
             "prod": {"model_version": PAYLOAD, "since": PAYLOAD}, "versions": [version]}]  # fmt: skip
    page = tmp_path / "inventory.html"
    page.write_text(render_inventory_html(rows, PAYLOAD, PAYLOAD))
    assert_inert(page, tmp_path)
