"""The ``govhub`` command line: the parser, and the one place an unexpected error becomes exit 2.

Start-up must stay lean: this module imports only the standard library at load time. Each command
imports what it needs when it runs, so ``govhub --help`` never loads the CDK engine, jsii or a
cloud SDK.

Exit codes: 0 success, 1 a check failed, 2 bad input or an error (with one clear message).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from govhub.cli import attest, card, evidence, hub, local, project

    parser = argparse.ArgumentParser(prog="govhub", description="MLOps governance platform: config, estate and gates.")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    pol_sub = local.add_commands(sub)
    hub.add_policy_commands(pol_sub)
    hub.add_commands(sub)
    evidence.add_commands(sub)
    project.add_commands(sub)
    card.add_commands(sub)
    attest.add_commands(sub)
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
    except Exception as exc:  # noqa: BLE001 - the exit-code contract: an unexpected error is 2, never a traceback
        if getattr(args, "debug", False):
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc}\n(this is a bug in govhub or an input it does not "
            "check yet; run again with --debug for the traceback, and report it)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
