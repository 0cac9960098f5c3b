"""Property-based tests (hypothesis, bounded in examples and time) over every input govhub reads: tables
for the evaluator, evidence documents, policy packs, monitoring plans and platform.yaml.

The properties: the exit code is 0, 1 or 2 and never the catch-all for unexpected errors; a loader
raises only its own error type, whose message names the document; and nothing passes where a required
value is missing or invalid. A failing example that hypothesis finds belongs in tests/corpus/.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govhub.cli import main
from govhub.core.catalog import CATALOG
from tests.helpers import EXAMPLE_CONFIG

BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
PROV = {"artifact_uri": "x", "artifact_sha256": "1" * 64, "tool": "t", "tool_version": "1", "variant": "v"}

junk_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.sampled_from(["Infinity", "-inf", "NaN", "", "TODO", "<b>x</b>", "é", "0x1"]),
)  # fmt: skip
junk = st.recursive(
    junk_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)


def run(argv: list[str]) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    text = err.getvalue() + out.getvalue()
    assert code in (0, 1, 2), text
    assert "Traceback" not in text and "error: unexpected " not in text, text
    return code, text


# --------------------------------------------------------------------------- the evaluator's tables

cell_label = st.sampled_from([0, 1, 0, 1, 2, -1, None, "x", True, 0.5, "1"])
cell_score = st.one_of(
    st.floats(0, 1), st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans(), st.text(max_size=3)
)
cell_group = st.one_of(st.sampled_from(["f", "m", "é", "", " "]), st.text(max_size=4), st.none())


@BOUNDED
@given(data=st.data(), n=st.integers(1, 25))
def test_the_evaluator_never_crashes_and_never_passes_invalid_tables(data: Any, n: int) -> None:
    frame = pd.DataFrame(
        {
            "label": data.draw(st.lists(cell_label, min_size=n, max_size=n)),
            "score": data.draw(st.lists(cell_score, min_size=n, max_size=n)),
            data.draw(st.sampled_from(["sex", "sëx", "native-country"])): data.draw(
                st.lists(cell_group, min_size=n, max_size=n)
            ),
        }
    )
    sensitive = frame.columns[2]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "preds.csv"
        frame.to_csv(path, index=False)
        code, _ = run(["evaluate", "--predictions", str(path), "--label", "label", "--score", "score",
                       "--sensitive", sensitive, "--tier", "minimal", "--out", str(Path(tmp) / "d.json")])  # fmt: skip
        if code != 2:  # judged: then the table really was valid
            read = pd.read_csv(path)
            labels = pd.to_numeric(read["label"], errors="coerce")
            scores = pd.to_numeric(read["score"], errors="coerce")
            assert set(labels) == {0, 1}
            assert scores.notna().all() and scores.between(0, 1).all()
            assert read[sensitive].notna().all()


# --------------------------------------------------------------------------- evidence documents

metric_name = st.one_of(st.sampled_from(sorted(CATALOG)), st.text(max_size=10))
metric_value = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans(), st.text(max_size=5),
    st.sampled_from(["Infinity", "-Infinity", "NaN"]), st.integers(-5, 50),
)  # fmt: skip


def _valid(metric: dict[str, Any]) -> bool:
    spec = CATALOG.get(metric["name"]) if isinstance(metric.get("name"), str) else None
    value = metric.get("value")
    if spec is None or isinstance(value, bool):
        return False
    if value is None:
        return bool(metric.get("error"))
    if value in ("Infinity", "-Infinity"):
        value = math.inf if value == "Infinity" else -math.inf
    if not isinstance(value, (int, float)):
        return False
    return spec.outside(float(value)) is None


@BOUNDED
@given(
    metrics=st.lists(
        st.fixed_dictionaries(
            {"name": metric_name, "value": metric_value, "provenance": st.just(PROV)},
            optional={"error": st.one_of(st.none(), st.text(max_size=5)), "group": junk, "feature": junk_scalar},
        ),
        max_size=4,
    )
)
def test_evidence_documents_are_judged_or_refused_never_trusted_blindly(metrics: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evidence.json"
        path.write_text(json.dumps({"model": {}, "metrics": metrics}))
        code, text = run(["evaluate", "--evidence", str(path), "--tier", "high", "--out", str(Path(tmp) / "d.json")])
    if not all(_valid(m) for m in metrics):
        assert code == 2, text
    else:
        assert code == 1 or (code == 2 and str(path) in text), text  # high-tier evidence this thin never passes


# --------------------------------------------------------------------------- packs, plans and platform.yaml


def _mutate(doc: Any, path: list[Any], value: Any) -> Any:
    """``doc`` with the node at ``path`` (as far as it exists) replaced by ``value``."""
    if not path or not isinstance(doc, (dict, list)) or not doc:
        return value
    if isinstance(doc, dict):
        key = list(doc)[path[0] % len(doc)]
        return {**doc, key: _mutate(doc[key], path[1:], value)}
    i = path[0] % len(doc)
    return [*doc[:i], _mutate(doc[i], path[1:], value), *doc[i + 1 :]]


mutation = st.tuples(st.lists(st.integers(0, 50), max_size=5), junk)


@BOUNDED
@given(change=mutation)
def test_policy_packs_validate_or_refuse_with_their_own_error(change: tuple[list[int], Any]) -> None:
    from govhub.core.policy import PolicyError, parse_pack
    from govhub.resources import policies_dir

    doc = yaml.safe_load((policies_dir() / "high.yaml").read_text())
    text = yaml.safe_dump(_mutate(doc, *change), allow_unicode=True)
    try:
        pack = parse_pack(text, "mutated.yaml")
    except PolicyError as exc:
        assert "mutated.yaml" in str(exc)
        return
    for gate in pack.gates.values():  # whatever validated has finite bounds
        for t in gate.thresholds:
            assert all(b is None or math.isfinite(b) for b in (t.min, t.max, t.abs_max))


@BOUNDED
@given(change=mutation)
def test_monitoring_plans_validate_or_refuse_with_their_own_error(change: tuple[list[int], Any]) -> None:
    from govhub.core.monitoring import PlanError, parse_plan
    from tests.core.test_workflow import PLAN

    text = yaml.safe_dump(_mutate(yaml.safe_load(PLAN), *change), allow_unicode=True)
    try:
        plan = parse_plan(text, "mutated-plan.yaml")
    except PlanError as exc:
        assert "mutated-plan.yaml" in str(exc)
        return
    assert {c.kind for c in plan.checks} >= {"drift", "data_quality"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(change=mutation)
def test_platform_configs_validate_or_refuse_with_one_report(change: tuple[list[int], Any]) -> None:
    from govhub.config import ConfigError, parse_config

    text = yaml.safe_dump(_mutate(yaml.safe_load(EXAMPLE_CONFIG.read_text()), *change), allow_unicode=True)
    try:
        parse_config(text, "mutated-platform.yaml")
    except ConfigError as exc:
        report = exc.report()
        assert "mutated-platform.yaml" in report and "Tuple should" not in report


# --------------------------------------------------------------------------- decision documents


@BOUNDED
@given(change=mutation)
def test_decision_documents_are_read_or_refused_with_one_message(change: tuple[list[int], Any]) -> None:
    from datetime import date

    from govhub.core.decision import decide
    from govhub.core.evidence import Evidence
    from govhub.core.policy import pack_for_tier

    evidence = Evidence(metrics=())
    decision = json.loads(decide(evidence, pack_for_tier("minimal"), today=date(2026, 1, 1)).model_dump_json())
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: Path(tmp) / f"{name}.json" for name in ("decision", "evidence", "card")}
        paths["decision"].write_text(json.dumps(_mutate(decision, *change), default=str))
        paths["evidence"].write_text(evidence.to_json())
        paths["card"].write_text("{}")
        code, text = run(["card", "render", "--card", str(paths["card"]), "--decision", str(paths["decision"]),
                          "--evidence", str(paths["evidence"]), "--out", str(Path(tmp) / "card.html")])  # fmt: skip
    assert code in (0, 2), text
    if code == 2:
        assert str(paths["decision"]) in text, text
