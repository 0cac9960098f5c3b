"""The HTML gate report, opened in headless Chromium: what a person sees, not only the HTML text."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from govhub.core.gates import GATES
from govhub.core.policy import pack_for_tier
from govhub.core.report import render_report
from tests.core.test_policy_and_decision import _mirrored, evidence, judge, mirrored_evidence

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
FAIL_RED = (179, 38, 30)  # .outcome.fail
BAR_RED = (194, 65, 58)  # a failing fairness bar
BAR_GREEN = (61, 139, 90)  # a passing fairness bar


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not found:
        message = "Chromium is not installed (Debian package chromium; `make test` installs it as root)"
        if os.environ.get("GOVHUB_REQUIRE_ALL_TESTS"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def browse(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )


def painted(page: Path, tmp_path: Path, colours: dict[str, tuple[int, int, int]], size: str = "1100,2000") -> dict:
    """How many pixels of each colour a person sees on ``page`` (a headless Chromium screenshot)."""
    from PIL import Image

    shot = tmp_path / f"{page.stem}.png"
    browse(page, tmp_path, f"--screenshot={shot}", f"--window-size={size}")
    assert shot.exists(), "Chromium wrote no screenshot"
    pixels: list[tuple[int, int, int]] = list(Image.open(shot).convert("RGB").get_flattened_data())  # type: ignore[arg-type]
    return {
        name: sum(1 for p in pixels if all(abs(a - b) <= 6 for a, b in zip(p, colour, strict=False)))
        for name, colour in colours.items()
    }


@pytest.fixture()
def failing_report(tmp_path) -> Path:
    pack = pack_for_tier("high")
    ev = evidence(di_female=0.62)
    page = tmp_path / "report.html"
    page.write_text(render_report(judge(ev, pack, today=date(2026, 11, 28)), ev, pack))
    return page


def test_rendered_dom_shows_outcome_reasons_and_gate_table(failing_report, tmp_path) -> None:
    dom = browse(failing_report, tmp_path, "--dump-dom").stdout
    assert '<span id="outcome" class="outcome fail">FAIL</span>' in dom
    assert "clarify.DI 0.62 for sex=female is below 0.8 required for risk tier high" in dom
    assert dom.count("<tr data-gate=") == len(GATES)
    assert 'data-metric="clarify.DI"' in dom


def test_screenshot_shows_the_red_verdict_and_both_bar_colours(failing_report, tmp_path) -> None:
    colours = {"verdict": FAIL_RED, "bad bar": BAR_RED, "good bar": BAR_GREEN}
    counts = painted(failing_report, tmp_path, colours, "1100,3000")
    assert counts["verdict"] > 500, counts  # the FAIL badge is painted
    assert counts["bad bar"] > 300 and counts["good bar"] > 300, counts  # female bar fails, male bar passes


def test_model_card_renders_in_the_browser(tmp_path) -> None:
    from govhub.core import model_card
    from govhub.core.evidence import Evidence, Metric
    from tests.core.test_policy_and_decision import CARD, LINEAGE, PROV

    pack = pack_for_tier("high")
    base = evidence(di_female=0.62)
    shap = [
        Metric(name="explain.mean_abs_attribution", value=v, feature=f, provenance=PROV)
        for f, v in (("income", 0.31), ("age", 0.12))
    ]
    ev = Evidence(model=base.model, metrics=(*base.metrics, *shap))
    card = {**CARD, "lineage": LINEAGE}
    ctx = model_card.context(
        card,
        judge(ev, pack, today=date(2026, 11, 28)),
        ev,
        model_ref="fraud-credit-scoring/3",
        approvals=[
            {
                "type": "approval",
                "stage": "staging",
                "who": "erin@acme.example",
                "when": "2026-11-28T10:00:00",
                "justification": "reviewed the report",
            }
        ],
    )
    page = tmp_path / "card.html"
    page.write_text(model_card.render_html(ctx))
    dom = browse(page, tmp_path, "--dump-dom").stdout
    assert '<span id="outcome" class="badge fail">FAIL</span>' in dom
    assert dom.count('<tr class="gate">') == len(GATES)
    assert "clarify.DI 0.62 for sex=female is below 0.8" in dom
    assert "approval for <strong>staging</strong> by erin@acme.example" in dom
    assert "consumer credit scoring" in dom and "sex=female" in dom
    # passing gates show their values against their bounds, not a dash
    perf = dom[dom.index("<td>gate.performance</td>") :]
    perf = perf[: perf.index("</tr>")]
    assert "roc_auc all rows <b>0.81</b> (&gt;= 0.7, held)" in perf
    attributions = dom[dom.index('<section id="attributions">') :]
    assert attributions.index("<td>income</td>") < attributions.index("<td>age</td>")  # largest first
    assert '<section id="annex-iv">' in dom and CARD["human_oversight"] in dom
    seen = painted(page, tmp_path, {"fail badge": (0xA4, 0x0E, 0x0E), "held value": (0x11, 0x69, 0x1F)})
    assert seen["fail badge"] > 300 and seen["held value"] > 50, seen  # the verdict and passing values, painted
    markdown = model_card.render_markdown(ctx)
    assert "| gate.fairness | fail |" in markdown and "{{" not in markdown
    assert "| income | 0.31 | – |" in markdown and "**human oversight**:" in markdown


def test_a_failing_report_says_what_to_do_next_and_shows_every_value_against_its_bound(tmp_path) -> None:
    import re

    page = tmp_path / "mirrored.html"
    page.write_text(render_report(_mirrored(), mirrored_evidence(), pack_for_tier("high"), "fraud-credit-scoring/8"))
    dom = browse(page, tmp_path, "--dump-dom").stdout
    # one finding for one cause, with the rates behind it
    (reason,) = re.findall(r"<li><b>gate.fairness</b>: (.*?)</li>", dom)
    assert reason.startswith("approval rate 42.1% for sex=female (n=612) vs 63.4% for the rest (n=1,588)")
    # next steps: mitigations for the failed principle, how to judge again, and the waiver request
    steps = dom[dom.index('<section id="next-steps">') :]
    steps = steps[: steps.index("</section>")]
    assert "ExponentiatedGradient" in steps and "Judge again" in steps
    assert "govhub waiver request fraud-credit-scoring/8 --gate gate.fairness" in steps
    # passing values are shown too, against their bounds, and each metric links to its glossary entry
    row = re.search(r'<tr data-check="roc_auc\|all rows">(.*?)</tr>', dom, re.S)
    assert row and ">0.810<" in row.group(1) and "&gt;= 0.7" in row.group(1) and 'class="held"' in row.group(1)
    assert 'href="#term-roc_auc"' in dom and '<dt id="term-roc_auc">roc_auc</dt>' in dom
    assert '<dt id="term-clarify.DPPL">' in dom and "minus the group's" in dom
    # a signed metric is drawn from the zero line: male's negative DPPL lies left of it, female's right
    bars = dom[dom.index('data-metric="clarify.DPPL"') :]
    assert 'data-signed="yes"' in bars[:60]
    zero = float(re.search(r'class="zero" style="left: ([\d.]+)%', bars).group(1))
    fills = re.findall(r'class="bar-fill (ok|bad)" style="left: ([\d.]+)%; width: ([\d.]+)%', bars)[:2]
    (f_ok, f_left, f_width), (m_ok, m_left, m_width) = fills
    assert float(f_left) == zero and float(m_left) + float(m_width) == pytest.approx(zero)
    assert f_ok == m_ok == "bad"  # both sides of the one disparity break the band
    band = re.search(r'class="band" style="left: ([\d.]+)%; width: ([\d.]+)%', bars)
    assert band and float(band.group(1)) < zero < float(band.group(1)) + float(band.group(2))
