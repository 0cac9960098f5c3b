"""The hub's pipeline templates (``templates/pipelines/<cloud>/*.j2``): what the hub publishes to its
artifact store, versioned with the project template, and what ``govhub project new`` renders into a
project. No engine import here: the hub stack and the CLI both read this."""

from __future__ import annotations

import json
from pathlib import Path

from govhub.core import keys
from govhub.resources import templates_dir

PIPELINES = templates_dir("pipelines")
PROJECT_TEMPLATE = templates_dir("ml-project")
CONTENT_TYPES = {".json": "application/json", ".yml": "application/yaml", ".py": "text/x-python"}


def template_version(template: Path = PROJECT_TEMPLATE) -> str:
    return json.loads((template / "cookiecutter.json").read_text())["template_version"]


def published() -> dict[str, tuple[str, str]]:
    """Object key in the artifact store -> (template text, content type), e.g.
    ``pipelines/1.0.0/aws/sagemaker_pipeline.json.j2``."""
    version = template_version()
    out = {}
    for path in sorted(PIPELINES.rglob("*.j2")):
        rel = path.relative_to(PIPELINES).as_posix()
        out[f"{keys.PIPELINES_PREFIX}{version}/{rel}"] = (
            path.read_text(),
            CONTENT_TYPES.get(Path(path.stem).suffix, "text/plain"),
        )
    return out
