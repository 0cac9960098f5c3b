"""What every command shares: one message and an exit code for each expected failure, and readers for
the documents a user passes in. Standard library only at load time.

Exit codes: 0 done or pass, 1 a check failed or the rules refused, 2 bad input or an error.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
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
        from govhub.service.client import ServiceUnavailable

        try:
            return func(args)
        except Blocked as exc:
            return fail(str(exc), 1)
        except ConfigError as exc:
            print(exc.report(), file=sys.stderr)
            return 2
        except (WorkflowError, AccessError, RegistryError, StoreError, AuditError, ServiceUnavailable) as exc:
            return fail(str(exc))
        except _cloud_errors() as exc:
            return fail(f"an AWS call failed: {exc}. Check your credentials, the region and AWS_ENDPOINT_URL")

    return run


def read_json_model(path: str, model: Any, what: str, error: type[Exception] | None = None) -> Any:
    """A JSON document validated by ``model``; every failure is one ``error`` (default WorkflowError)."""
    from pydantic import ValidationError

    from govhub import inputs
    from govhub.core.workflow import WorkflowError

    refuse = error or WorkflowError
    try:
        return model.model_validate_json(inputs.read_text(path, what))
    except inputs.InputError as exc:
        raise refuse(str(exc)) from None
    except ValidationError as exc:
        raise refuse(f"{path}: not a valid {what} at {first_problem(exc)}") from None


def load_evidence(path: str) -> Any:
    from govhub.core.evidence import Evidence
    from govhub.evaluator.local import EvaluationInputError

    return read_json_model(path, Evidence, "evidence document", EvaluationInputError)


def load_card(path: str) -> dict[str, Any]:
    """A model card (YAML or JSON), its shape checked: one message for a card that cannot be used."""
    import json

    from govhub import inputs
    from govhub.core.model_card import CardError, check_card
    from govhub.core.policy import PolicyError

    try:
        text = inputs.read_text(path, "model card")
        card = json.loads(text) if path.endswith(".json") else inputs.load_yaml(text, path, "model card")
        return check_card(card, path)
    except (inputs.InputError, CardError) as exc:
        raise PolicyError(str(exc)) from None
    except ValueError as exc:  # JSON syntax
        raise PolicyError(f"{path}: the model card is not valid JSON ({exc})") from None
