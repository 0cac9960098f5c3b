"""The ``govhub`` command line.

Start-up must stay lean: this module imports only the standard library at load time. Each command
imports what it needs when it runs, so ``govhub --help`` never loads the CDK engine, jsii or a
cloud SDK.

Exit codes: 0 success, 1 a check failed, 2 bad input or an error (with one clear message).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _config_validate(args: argparse.Namespace) -> int:
    from infra.config import ConfigError, load_config

    try:
        config = load_config(args.file)
    except ConfigError as exc:
        print(exc.report(), file=sys.stderr)
        return 2
    clouds = ", ".join(config.hubs.clouds) or "none"
    print(f"{args.file}: valid; hubs: {clouds}; teams: {len(config.teams)} "
          f"({', '.join(f'{t.name}/{t.cloud}' for t in config.teams) or 'none'})")
    return 0


def _estate_summary(args: argparse.Namespace) -> int:
    from infra.summary import SummaryError, render_summary

    try:
        print(render_summary(args.outdir))
    except SummaryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govhub", description="MLOps governance platform: config, estate and gates.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
