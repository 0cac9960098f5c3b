"""Refuse an invalid combination before any file is written. The logic lives in govhub.project."""

import json
import sys

CONTEXT = json.loads(r"""{{ cookiecutter | jsonify }}""")

try:
    from govhub.project import ProjectError, validate_context
except ImportError:  # plain `cookiecutter` without govhub installed: nothing to check against
    sys.exit(0)
try:
    validate_context(CONTEXT)
except ProjectError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(1)
