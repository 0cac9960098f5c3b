"""Synth-time guardrails, and acknowledgements of exceptions.

The guardrail rules (:mod:`infra.guardrails`) are checked in Python on the JSON the engine writes,
right after ``app.synth()``. An earlier version ran them as a CDK aspect: the engine then called
back into Python for every construct and the aspect asked jsii for each construct's path, type and
logical id and rendered every stack once more, which was two thirds of the synth time of a
200-spoke estate. Whether a resource type takes tags is read from its provider binding's class
(``tags_input``/``labels_input``), once per type and without a call into the engine.
"""

from __future__ import annotations

import functools
import importlib
import json
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from infra import engine
from infra.guardrails import ACK_KEY, Violation, check_document, iter_resources, validate_acknowledgement

# Providers (the resource type's prefix) whose bindings tell whether the type takes tags.
_BINDINGS = frozenset({"aws", "azurerm", "google"})
# Hand-written resources (infra.azure.azapi): the ARM type decides, and the resource carries ``tags``
# exactly when its type takes them.
_TAGGED_WHEN_SET = frozenset({"azapi_resource"})


def acknowledge(resource: Any, rule: str, reason: str) -> None:
    """Exempt one resource from one guardrail rule, with a written reason.

    The reason is checked now (like cdk-nag's suppressions) and written into the resource's ``//``
    block in the synthesized JSON, so that it is reviewed with the code it excuses.
    """
    validate_acknowledgement(rule, reason)
    resource.add_override(f"//.{ACK_KEY}.{rule}", reason.strip())


class GuardrailCheck:
    """The guardrails of one stack; :func:`check_synthesized` runs them after the synth and keeps
    what it found in ``violations``."""

    def __init__(self, stack_id: str, required_tags: Iterable[str]):
        self.stack_id = stack_id
        self.required_tags = tuple(required_tags)
        self.violations: list[Violation] = []

    def check(self, doc: dict[str, Any]) -> list[Violation]:
        self.violations = check_document(doc, required_tags=self.required_tags, taggable=taggable_addresses(doc))
        return self.violations


# The checks of each app, by the app's jsii object (a stack registers itself when it is built).
_CHECKS: dict[int, tuple[Any, list[GuardrailCheck]]] = {}


def apply_guardrails(stack: Any, required_tags: Iterable[str]) -> GuardrailCheck:
    """Hold ``stack`` to the guardrails when its app is synthesized with :func:`check_synthesized`."""
    app = stack.node.root
    check = GuardrailCheck(stack.node.id, required_tags)
    _CHECKS.setdefault(id(app), (app, []))[1].append(check)
    return check


def check_synthesized(app: Any) -> list[Violation]:
    """Run the guardrails of every stack of ``app`` on the JSON its synth wrote. A stack that breaks
    a rule has its output folder removed, so that no one deploys it by mistake."""
    _, checks = _CHECKS.pop(id(app), (app, []))
    if not checks:
        return []
    stacks = Path(str(app.outdir)) / "stacks"
    found: list[Violation] = []
    for check in checks:
        folder = stacks / check.stack_id
        violations = check.check(json.loads((folder / "cdk.tf.json").read_text()))
        if violations:
            shutil.rmtree(folder, ignore_errors=True)
        found.extend(violations)
    return found


def taggable_addresses(doc: dict[str, Any]) -> Iterator[str]:
    """The addresses (``type.name``) in ``doc`` whose resource type takes tags (Google: labels)."""
    for rtype, name, body in iter_resources(doc):
        if rtype in _TAGGED_WHEN_SET:
            if "tags" in body:
                yield f"{rtype}.{name}"
        elif taggable_type(rtype):
            yield f"{rtype}.{name}"


@functools.cache
def taggable_type(rtype: str) -> bool:
    """Whether the provider binding of ``rtype`` (e.g. ``aws_s3_bucket``) has a tags argument
    (``google_*``: labels). Types of other providers (random, time, ...) take none."""
    prefix, _, rest = rtype.partition("_")
    if prefix not in _BINDINGS or not rest:
        return False
    package = engine.provider(prefix).__name__
    try:
        module = importlib.import_module(f"{package}.{rest}")
    except ImportError:
        raise engine.EngineError(f"no {prefix} binding module for resource type {rtype!r} ({package}.{rest})") from None
    attribute = "labels_input" if prefix == "google" else "tags_input"
    resources = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, engine.TerraformResource)]
    if not resources:
        raise engine.EngineError(f"{package}.{rest} holds no resource class for type {rtype!r}")
    return any(hasattr(c, attribute) for c in resources)
