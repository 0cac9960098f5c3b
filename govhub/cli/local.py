"""Commands that need no hub: ``config validate``, ``estate summary``, ``evaluate`` and ``policy list|show``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from govhub.cli.common import load_card, load_evidence
from govhub.vocabulary import RISK_TIERS


def _config_validate(args: argparse.Namespace) -> int:
    from govhub.config import ConfigError, load_config

    try:
        config = load_config(args.file)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return 2
    clouds = ", ".join(config.hubs.clouds) or "none"
    print(
        f"{args.file}: valid; hubs: {clouds}; teams: {len(config.teams)} "
        f"({', '.join(f'{t.name}/{t.cloud}' for t in config.teams) or 'none'})"
    )
    return 0


def _estate_summary(args: argparse.Namespace) -> int:
    from govhub.estate import SummaryError, render_summary

    try:
        print(render_summary(args.outdir))
    except SummaryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _estate_diff(args: argparse.Namespace) -> int:
    """What a change to platform.yaml does to each stack: each side is a platform config (synthesized
    here, offline) or a synth output folder."""
    import json
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    from govhub.estate import SummaryError, diff_stacks, load_stacks, render_diff

    def stacks_of(side: str, work: Path) -> dict[str, dict]:
        path = Path(side)
        if path.is_dir():
            return load_stacks(path)
        from govhub.config import ConfigError, load_config

        try:
            load_config(path)  # one clean report before any synthesis
        except ConfigError as exc:
            raise SummaryError(exc.report()) from None
        if not Path("main.py").is_file():
            raise SummaryError(
                f"{side}: synthesizing a config needs the platform repository's app (main.py); run this command "
                "from its root, or give two synth output folders"
            )
        out = work / path.stem
        out.mkdir(parents=True, exist_ok=True)
        print(f"synthesizing {side} …", file=sys.stderr)
        # the platform's CDK app in its own process, as `cdktf synth` runs it (cdktf.json: python main.py)
        env = {**os.environ, "PLATFORM_CONFIG": str(path.resolve()), "CDKTF_OUTDIR": str(out)}
        done = subprocess.run([sys.executable, "main.py"], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SummaryError(f"{side}: synthesis failed:\n{done.stderr.strip()[-2000:]}")
        return load_stacks(out)

    try:
        with tempfile.TemporaryDirectory(prefix="govhub-diff-") as tmp:
            before = stacks_of(args.before, Path(tmp) / "before")
            after = stacks_of(args.after, Path(tmp) / "after")
    except SummaryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = diff_stacks(before, after)
    print(json.dumps(rows, indent=2) if args.json else render_diff(rows, args.before, args.after))
    return 0


def _profile(args: argparse.Namespace) -> int:
    from govhub.evaluator.local import EvaluationInputError
    from govhub.evaluator.profile import Profile, build_profile

    try:
        folder = build_profile(args.baseline, args.output, tuple(args.feature or ()))
    except (EvaluationInputError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    profile = Profile.load(folder)
    kinds = [profile.kind(f) for f in profile.names]
    print(
        f"profile sha256:{profile.digest} of {args.baseline}: {kinds.count('numeric')} numeric and "
        f"{kinds.count('categorical')} categorical feature(s), in {folder}"
    )
    print(f"next: govhub evaluate ... --baseline-profile {folder} --current CURRENT")
    return 0


def _source(text: str) -> Any:
    """A table argument: a local path, or for the Spark engine a URI (s3://, abfss://, gs://) or a table
    name, kept as text (a Path would fold the URI's double slash)."""
    from pathlib import Path

    return text if "://" in text else Path(text)


def _progress(what: str) -> Callable[[str], None]:
    """Phases of long work on stderr, each with the seconds since the first."""
    import time

    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - start:7.1f} s] {what}: {message}", file=sys.stderr, flush=True)

    return say


def _evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from govhub.core.decision import decide
    from govhub.core.gates import GateContext
    from govhub.core.policy import PolicyError, load_pack, pack_for_tier
    from govhub.evaluator.local import EvaluationInputError, EvaluationSpec, evaluate

    try:
        pack = (
            load_pack(args.policy)
            if args.policy and Path(args.policy).suffix in (".yaml", ".yml")
            else pack_for_tier(args.policy or args.tier)
        )
        if pack.risk_tier != args.tier:
            raise PolicyError(
                f"policy pack {pack.name} is for risk tier {pack.risk_tier}, not {args.tier}; "
                f"pass --tier {pack.risk_tier} or another --policy"
            )
        card = load_card(args.model_card) if args.model_card else {}
        if args.evidence:
            evidence = load_evidence(args.evidence)
        elif not (args.predictions and args.label and args.sensitive):
            raise EvaluationInputError(
                "give --evidence FILE, or --predictions, --label and --sensitive to compute "
                "evidence with the local evaluator"
            )
        else:
            spec = EvaluationSpec(
                predictions=_source(args.predictions),
                label=args.label,
                score=args.score,
                prediction=args.prediction,
                sensitive=tuple(args.sensitive),
                threshold=args.threshold,
                baseline=_source(args.baseline) if args.baseline else None,
                profile=Path(args.baseline_profile) if args.baseline_profile else None,
                current=_source(args.current) if args.current else None,
            )
            model = {k: str(v) for k, v in (card.get("model") or {}).items()}
            if args.engine == "spark":
                from govhub.evaluator import spark

                evidence = spark.evaluate(spec, model=model, master=args.spark_master, progress=_progress("spark"))
            else:
                evidence = evaluate(spec, model=model)
    except (EvaluationInputError, PolicyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ctx = GateContext(risk_tier=pack.risk_tier, model_card=card, lineage=card.get("lineage") or {})
    decision = decide(evidence, pack, ctx=ctx)
    Path(args.out).write_text(decision.model_dump_json(indent=2))
    if args.evidence_out:
        Path(args.evidence_out).write_text(evidence.to_json())
    if args.report:
        from govhub.core.report import render_report

        Path(args.report).write_text(render_report(decision, evidence, pack))
    print(
        f"decision: {decision.outcome.upper()}  (risk tier {decision.risk_tier}, policy {pack.name} "
        f"{pack.version}, digest {pack.digest[:12]})"
    )
    for gate in decision.gates:
        print(f"  {gate.status:<15} {gate.id}")
        for finding in gate.findings:
            print(f"      - {finding.message}")
    print(f"wrote {args.out}" + (f" and {args.report}" if args.report else ""))
    return {"pass": 0, "fail": 1}.get(decision.outcome, 2)


def _policy_list(args: argparse.Namespace) -> int:
    from govhub.core.policy import available_packs, load_pack

    for tier, path in available_packs().items():
        pack = load_pack(path)
        print(
            f"{tier:<11} {pack.name} {pack.version}  digest {pack.digest[:12]}  approvals "
            f"{', '.join(f'{k}={v}' for k, v in pack.approvals.items()) or 'none'}"
        )
    return 0


def _policy_show(args: argparse.Namespace) -> int:
    from govhub.core.policy import PolicyError, pack_for_tier

    try:
        pack = pack_for_tier(args.tier)
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{pack.name} {pack.version} (risk tier {pack.risk_tier}; digest {pack.digest})")
    if pack.prohibited:
        print("  prohibited: every decision fails")
    for gate, policy in pack.gates.items():
        print(f"  {gate} ({'required' if policy.required else 'optional'})")
        for t in policy.thresholds:
            print(f"      {t.metric} {t.describe()}")
        for f in policy.fields:
            print(f"      field {f} must be filled")
    print(f"  approvals: {dict(pack.approvals)}; monitoring plan required: {pack.monitoring_plan_required}")
    return 0


def add_commands(sub: Any) -> Any:
    """Add the commands; returns the ``policy`` sub-parsers, which the hub commands extend."""
    config = sub.add_parser("config", help="check the platform configuration")
    config_sub = config.add_subparsers(dest="action", metavar="ACTION")
    validate = config_sub.add_parser("validate", help="validate a platform.yaml and list every problem")
    validate.add_argument("file", nargs="?", default="platform.yaml", help="the config file (default: platform.yaml)")
    validate.set_defaults(func=_config_validate)

    estate = sub.add_parser("estate", help="inspect the synthesized estate")
    estate_sub = estate.add_subparsers(dest="action", metavar="ACTION")
    summary = estate_sub.add_parser("summary", help="list the synthesized stacks and their resources")
    summary.add_argument("outdir", nargs="?", default="cdktf.out", help="synth output folder (default: cdktf.out)")
    summary.set_defaults(func=_estate_summary)
    diff = estate_sub.add_parser(
        "diff", help="what a platform.yaml change adds, changes or removes in each stack (hub included)"
    )
    diff.add_argument(
        "before", help="the current platform config (e.g. from `git show main:platform.yaml`) or synth folder"
    )
    diff.add_argument("after", nargs="?", default="platform.yaml", help="the changed config or synth folder")
    diff.add_argument("--json", action="store_true", help="machine-readable output, every resource listed")
    diff.set_defaults(func=_estate_diff)

    ev = sub.add_parser("evaluate", help="evaluate a model version and judge it against its risk tier's gates")
    ev.add_argument("--evidence", help="judge an evidence document (from `govhub evidence import`) instead")
    ev.add_argument("--predictions", help="table with labels, scores and sensitive columns")
    ev.add_argument("--baseline", help="training/baseline table (for drift and data quality)")
    ev.add_argument(
        "--baseline-profile", help="the baseline's profile (`govhub profile`) instead of the table: drift sorts less"
    )
    ev.add_argument("--current", help="current/serving table (for drift and data quality)")
    ev.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="local (default: one process, pyarrow and numpy) or spark (PySpark: parquet paths or URIs, or "
        "tables; the same evidence, exact, from aggregations that merge)",
    )
    ev.add_argument(
        "--spark-master", help="Spark master for --engine spark, e.g. local[4] (default: the environment's)"
    )
    ev.add_argument("--label", help="the true label column (0/1)")
    ev.add_argument("--score", help="the score column (probability of the positive class)")
    ev.add_argument("--prediction", help="the predicted label column, when there is no score")
    ev.add_argument("--threshold", type=float, default=0.5, help="score threshold for a positive prediction")
    ev.add_argument("--sensitive", action="append", help="a sensitive attribute column (repeatable)")
    ev.add_argument("--tier", required=True, choices=RISK_TIERS)
    ev.add_argument("--policy", help="a policy pack name or YAML file (default: the tier's pack)")
    ev.add_argument("--model-card", help="model card (YAML or JSON), with an optional lineage mapping")
    ev.add_argument("--out", default="decision.json", help="where to write the decision (default decision.json)")
    ev.add_argument("--evidence-out", help="also write the evidence document here")
    ev.add_argument("--report", help="write a self-contained HTML report here")
    ev.set_defaults(func=_evaluate)

    prof = sub.add_parser(
        "profile", help="profile a baseline table once (each feature sorted), for faster drift at every evaluation"
    )
    prof.add_argument("baseline", help="the training/baseline table (parquet or CSV)")
    prof.add_argument("--output", default="profiles", help="folder to write the profile into (default profiles/)")
    prof.add_argument("--feature", action="append", help="profile only this feature (repeatable; default: all)")
    prof.set_defaults(func=_profile)

    pol = sub.add_parser("policy", help="list and show policy packs")
    pol_sub = pol.add_subparsers(dest="action", metavar="ACTION")
    pol_sub.add_parser("list", help="the packs, one per risk tier").set_defaults(func=_policy_list)
    show = pol_sub.add_parser("show", help="one pack's gates and thresholds")
    show.add_argument("tier")
    show.set_defaults(func=_policy_show)

    return pol_sub
