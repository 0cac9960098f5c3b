"""What every command shares: one message and an exit code for each expected failure, and readers for
the documents a user passes in. Standard library only at load time.

Exit codes: 0 done or pass, 1 a check failed or the rules refused, 2 bad input or an error.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govhub.problems import first_problem

Command = Callable[[argparse.Namespace], int]


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _cloud_errors() -> tuple[type[BaseException], ...]:
    """The AWS SDK's own errors, when it is installed (the core install has no cloud SDK)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return ()
    return (ClientError, BotoCoreError)


def guarded(func: Command) -> Command:
    """Turn every expected failure into one message and an exit code; never a traceback."""

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        from govhub.backends.aws.hub import AccessError
        from govhub.config import ConfigError
        from govhub.core.audit import AuditError
        from govhub.core.registry import RegistryError
        from govhub.core.store import StoreError
        from govhub.core.workflow import Blocked, WorkflowError

        try:
            return func(args)
        except Blocked as exc:
            return fail(str(exc), 1)
        except ConfigError as exc:
            print(exc.report(), file=sys.stderr)
            return 2
        except (WorkflowError, AccessError, RegistryError, StoreError, AuditError) as exc:
            return fail(str(exc))
        except _cloud_errors() as exc:
            return fail(f"an AWS call failed: {exc}. Check your credentials, the region and AWS_ENDPOINT_URL")

    return run


def read_json_model(path: str, model: Any, what: str) -> Any:
    from pydantic import ValidationError

    from govhub.core.workflow import WorkflowError

    try:
        return model.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkflowError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    except ValidationError as exc:
        raise WorkflowError(f"{path}: not a valid {what} at {first_problem(exc)}") from None


def load_evidence(path: str):
    from pydantic import ValidationError

    from govhub.core.evidence import Evidence
    from govhub.evaluator.local import EvaluationInputError

    try:
        with open(path, encoding="utf-8") as handle:
            return Evidence.from_json(handle.read())
    except OSError as exc:
        raise EvaluationInputError(f"{path}: cannot read the evidence file ({exc.strerror})") from None
    except ValidationError as exc:
        raise EvaluationInputError(f"{path}: not a valid evidence document at {first_problem(exc)}") from None


def load_card(path: str) -> dict:
    import json
    from pathlib import Path

    import yaml

    from govhub.core.policy import PolicyError

    try:
        text = Path(path).read_text(encoding="utf-8")
        card = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path}: model card cannot be read ({exc})") from None
    if not isinstance(card, dict):
        raise PolicyError(f"{path}: a model card must be a mapping of fields")
    return card
