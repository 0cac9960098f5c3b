"""The package's own data, found through ``importlib.resources``: policy packs, schemas and templates.

``templates/`` sits at the top of the repository and ships inside the package as ``govhub.templates``
(``pyproject.toml`` maps it), so a checkout, an editable install and an installed wheel all find the
same files. govhub is always installed unzipped, so each resource is a real folder on disk.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

ERR_MISSING = (
    "govhub's package data {what} is missing from {where}; reinstall govhub (pip install --force-reinstall govhub)"
)


def _folder(package: str, *parts: str) -> Path:
    path = Path(str(files(package).joinpath(*parts)))
    if not path.is_dir():
        raise FileNotFoundError(ERR_MISSING.format(what="/".join(parts) or package, where=path))
    return path


def policies_dir() -> Path:
    """The built-in policy packs, one YAML file per risk tier."""
    return _folder("govhub", "policies")


def schemas_dir() -> Path:
    return _folder("govhub", "schemas")


def templates_dir(*parts: str) -> Path:
    """``templates/`` (the project template, pipeline templates, report, card and export templates)."""
    return _folder("govhub.templates", *parts)
