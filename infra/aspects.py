"""Synth-time guardrails as a CDK aspect, and acknowledgements of exceptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infra import engine
from infra.guardrails import ACK_KEY, Violation, check_document, validate_acknowledgement


def acknowledge(resource: Any, rule: str, reason: str) -> None:
    """Exempt one resource from one guardrail rule, with a written reason.

    The reason is checked now (like cdk-nag's suppressions) and written into the resource's ``//``
    block in the synthesized JSON, so that it is reviewed with the code it excuses.
    """
    validate_acknowledgement(rule, reason)
    resource.add_override(f"//.{ACK_KEY}.{rule}", reason.strip())


@engine.jsii.implements(engine.IAspect)
class GuardrailAspect:
    """Checks a whole stack when the aspect reaches the stack node, and marks each violating
    construct with an error annotation; the engine then refuses to synthesize."""

    def __init__(self, required_tags: Iterable[str]):
        self.required_tags = tuple(required_tags)
        self.violations: list[Violation] = []

    def visit(self, node: Any) -> None:
        if not isinstance(node, engine.TerraformStack):
            return
        by_path = {c.node.path: c for c in node.node.find_all()}
        taggable = set()
        for construct in by_path.values():
            if isinstance(construct, engine.TerraformResource) and _taggable(construct):
                taggable.add(f"{construct.terraform_resource_type}.{node.get_logical_id(construct)}")
        doc = node.to_terraform()
        found = check_document(doc, required_tags=self.required_tags, taggable=taggable)
        for violation in found:
            target = by_path.get(violation.path, node)
            engine.Annotations.of(target).add_error(violation.render())
        self.violations.extend(found)


def _taggable(construct: Any) -> bool:
    """Whether the resource's type takes tags: the binding has a ``tags_input`` (GCP: ``labels_input``);
    a hand-written resource (infra.azure.azapi) says so itself, since an ARM type decides it."""
    declared = getattr(construct, "govhub_taggable", None)
    if declared is not None:
        return bool(declared)
    attribute = "labels_input" if construct.terraform_resource_type.startswith("google_") else "tags_input"
    return hasattr(type(construct), attribute)


def apply_guardrails(stack: Any, required_tags: Iterable[str]) -> GuardrailAspect:
    aspect = GuardrailAspect(required_tags)
    engine.Aspects.of(stack).add(aspect)
    return aspect
