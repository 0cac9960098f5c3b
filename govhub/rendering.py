"""The one Jinja2 environment factory for every page and document govhub writes.

Autoescaping is decided by the template's real file name, and it is on for every ``.html.j2`` and
``.md.j2`` template: model-card fields, feature and group names, justifications and every other value
that a user or a team supplied are text, never markup, in a reader's browser or markdown viewer.
(``select_autoescape(["html"])`` alone looks at the last suffix, ``.j2``, and escapes nothing.)
"""

from __future__ import annotations

from typing import Any

ESCAPED_SUFFIXES = (".html.j2", ".htm.j2", ".md.j2", ".html", ".md")


def escapes(template_name: str | None) -> bool:
    return bool(template_name) and str(template_name).endswith(ESCAPED_SUFFIXES)


def environment(*folder: str, **options: Any) -> Any:
    """A strict environment over ``templates/<folder...>``: undefined names fail, values are escaped."""
    import jinja2

    from govhub.resources import templates_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir(*folder)),
        autoescape=escapes,
        undefined=jinja2.StrictUndefined,
        **options,
    )
