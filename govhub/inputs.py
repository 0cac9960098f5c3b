"""Reading what users hand us: files and YAML, bounded before they are parsed.

Every document govhub reads (platform.yaml, policy packs, monitoring plans, model cards, evidence,
decisions, governance.yaml) comes through here, so each failure is one :class:`InputError` that names
the file and says what to do: not found, a folder where a file belongs, not UTF-8, too large, or YAML
that nests too deep or expands its aliases too far (a few hundred bytes of anchors and aliases can
stand for billions of nodes). YAML is checked on its event stream, which needs no recursion, before
any node is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MAX_BYTES = 8 * 2**20
MAX_DEPTH = 64
MAX_ALIASES = 256
MAX_NODES = 200_000

ERR_NOT_FOUND = "{path}: no such file; check the path"
ERR_FOLDER = "{path}: is a folder; give the {what} file itself"
ERR_UNREADABLE = "{path}: cannot be read ({reason})"
ERR_TOO_LARGE = "{path}: {size} bytes is more than a {what} may hold ({limit} bytes)"
ERR_NOT_UTF8 = "{path}: not UTF-8 text (byte 0x{byte:02x} at offset {offset}); save the {what} as UTF-8 and try again"
ERR_YAML = "{source}: not valid YAML ({problem})"
ERR_DEPTH = "{source}: nests deeper than {limit} levels (line {line}); flatten the document"
ERR_ALIASES = "{source}: uses more than {limit} YAML aliases (line {line}); write the values out instead"
ERR_NODES = (
    "{source}: its aliases expand to more than {limit} values; a governed document must not be an alias bomb: "
    "write the values out instead"
)


class InputError(ValueError):
    """A file or document that cannot be read; the message names it and says how to fix it."""


def read_bytes(path: str | Path, what: str = "document", limit: int = MAX_BYTES) -> bytes:
    path = Path(path)
    if path.is_dir():
        raise InputError(ERR_FOLDER.format(path=path, what=what))
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(ERR_TOO_LARGE.format(path=path, size=size, what=what, limit=limit))
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(ERR_NOT_FOUND.format(path=path)) from None
    except OSError as exc:
        raise InputError(ERR_UNREADABLE.format(path=path, reason=exc.strerror or exc)) from None


def decode(data: bytes, source: str, what: str = "document") -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(ERR_NOT_UTF8.format(path=source, byte=data[exc.start], offset=exc.start, what=what)) from None


def read_text(path: str | Path, what: str = "document", limit: int = MAX_BYTES) -> str:
    """A UTF-8 text file, or one clear :class:`InputError`."""
    return decode(read_bytes(path, what, limit), str(path), what)


def check_bounds(text: str, source: str) -> None:
    """Depth, alias count and alias expansion, in one pass over the event stream (no recursion, no
    node graph): each anchored value's expanded size is recorded when it ends, and an alias adds that
    size to its parent. Raises :class:`InputError`; YAML syntax errors pass through as ``yaml.YAMLError``."""
    import yaml

    aliases = 0
    anchored: dict[str, int] = {}
    open_: list[list[Any]] = [[0, None]]  # [expanded size so far, anchor] per open collection

    def add(size: int, event: Any) -> None:
        open_[-1][0] += size
        if open_[-1][0] > MAX_NODES:
            raise InputError(ERR_NODES.format(source=source, limit=MAX_NODES))

    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            open_.append([1, event.anchor])
            if len(open_) - 1 > MAX_DEPTH:
                raise InputError(ERR_DEPTH.format(source=source, limit=MAX_DEPTH, line=_line(event)))
        elif isinstance(event, yaml.CollectionEndEvent):
            size, anchor = open_.pop()
            if anchor:
                anchored[anchor] = size
            add(size, event)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor:
                anchored[event.anchor] = 1
            add(1, event)
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InputError(ERR_ALIASES.format(source=source, limit=MAX_ALIASES, line=_line(event)))
            add(anchored.get(event.anchor or "", 1), event)


def _line(event: Any) -> int | str:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else "?"


def load_yaml(text: str | bytes, source: str, what: str = "document") -> Any:
    """``yaml.safe_load`` after the bounds: size, depth, aliases and alias expansion."""
    import yaml

    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise InputError(ERR_TOO_LARGE.format(path=source, size=len(text), what=what, limit=MAX_BYTES))
        text = decode(text, source, what)
    try:
        check_bounds(text, source)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(ERR_YAML.format(source=source, problem=_yaml_problem(exc))) from None


def _yaml_problem(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else str(problem)
