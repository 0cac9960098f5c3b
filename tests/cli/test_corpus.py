"""Replays tests/corpus/: every input that once crashed govhub or passed where it should not must now
give exit code 2 with a clear message: no traceback, and never the catch-all for unexpected errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govhub.cli import main
from tests.helpers import ROOT

CORPUS = ROOT / "tests" / "corpus"
PROV = {"artifact_uri": "x", "artifact_sha256": "1" * 64, "tool": "t", "tool_version": "1", "variant": "v"}


def cases(kind: str) -> list[Path]:
    found = sorted(p for p in (CORPUS / kind).iterdir() if p.is_file())
    assert found, f"tests/corpus/{kind} is empty"
    return found


def valid_evidence(tmp_path: Path) -> Path:
    path = tmp_path / "valid-evidence.json"
    path.write_text(json.dumps({"model": {}, "metrics": [{"name": "roc_auc", "value": 0.8, "provenance": PROV}]}))
    return path


def argv(kind: str, case: Path, tmp_path: Path) -> list[str]:
    out = ["--out", str(tmp_path / "decision.json")]
    if kind == "tables":
        return ["evaluate", "--predictions", str(case), "--label", "label", "--score", "score", "--sensitive", "sex",
                "--tier", "minimal", *out]  # fmt: skip
    if kind == "evidence":
        return ["evaluate", "--evidence", str(case), "--tier", "minimal", *out]
    if kind == "cards":
        return [
            "evaluate",
            "--evidence",
            str(valid_evidence(tmp_path)),
            "--model-card",
            str(case),
            "--tier",
            "minimal",
            *out,
        ]
    if kind == "packs":
        return ["evaluate", "--evidence", str(valid_evidence(tmp_path)), "--policy", str(case), "--tier", "high", *out]
    if kind == "configs":
        return ["config", "validate", str(case)]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "case"),
    [(k, c) for k in ("tables", "evidence", "cards", "packs", "configs") for c in cases(k)],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_corpus_input_is_refused_with_one_message(kind: str, case: Path, tmp_path: Path, capsys) -> None:
    code = main(argv(kind, case, tmp_path))
    captured = capsys.readouterr()
    text = captured.err + captured.out
    assert code == 2, text
    assert "Traceback" not in text and "error: unexpected " not in text, text
    assert str(case) in text or case.name in text, f"the message must name the file: {text}"


@pytest.mark.parametrize("case", cases("plans"), ids=lambda p: p.name)
def test_corpus_monitoring_plans_are_refused_with_one_message(case: Path) -> None:
    from govhub.core.monitoring import PlanError, load_plan

    with pytest.raises(PlanError) as refused:
        load_plan(case)
    assert str(case) in str(refused.value)
