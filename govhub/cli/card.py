"""``govhub card render``: preview the model card locally with the renderer the hub uses."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from govhub.cli.common import fail, load_card, read_json_model

SUFFIXES = (".html", ".md")


def _render(args: argparse.Namespace) -> int:
    from govhub.core.decision import Decision
    from govhub.core.evidence import Evidence
    from govhub.core.model_card import context, render_html, render_markdown
    from govhub.core.policy import PolicyError
    from govhub.core.workflow import WorkflowError

    out = Path(args.out)
    if out.suffix not in SUFFIXES:
        return fail(f"--out {out}: write the card as .html or .md (e.g. --out card.html)")
    try:
        card = load_card(args.card)
        decision = read_json_model(args.decision, Decision, "decision")
        evidence = read_json_model(args.evidence, Evidence, "evidence document")
    except (PolicyError, WorkflowError) as exc:
        return fail(str(exc))
    model = card.get("model") or {}
    ref = args.model_ref or " ".join(str(v) for v in (model.get("name"), model.get("version")) if v) or "local preview"
    ctx = context(card, decision, evidence, model_ref=ref)
    out.write_text(render_html(ctx) if out.suffix == ".html" else render_markdown(ctx), encoding="utf-8")
    print(f"wrote {out} (the model card of {ref}, as the hub renders it; not registered anywhere)")
    return 0


def add_commands(sub: Any) -> None:
    card = sub.add_parser("card", help="model cards")
    card_sub = card.add_subparsers(dest="action", metavar="ACTION")
    p = card_sub.add_parser("render", help="render a model card locally (HTML or markdown) to preview it")
    p.add_argument("--card", required=True, help="model_card.yaml (or JSON)")
    p.add_argument("--decision", required=True, help="decision.json from `govhub evaluate`")
    p.add_argument("--evidence", required=True, help="evidence.json from `govhub evaluate --evidence-out`")
    p.add_argument("--out", required=True, help="card.html or card.md")
    p.add_argument("--model-ref", help="the name the card shows (default: the card's model name and version)")
    p.set_defaults(func=_render)
