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


def check_events(text: str, source: str) -> None:
    import yaml

    depth = aliases = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(ERR_DEPTH.format(source=source, limit=MAX_DEPTH, line=_line(event)))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InputError(ERR_ALIASES.format(source=source, limit=MAX_ALIASES, line=_line(event)))


def _line(event: Any) -> int | str:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else "?"


def check_expansion(root: Any, source: str) -> None:
    """The number of values the node graph stands for once aliases are expanded, counted without
    expanding (each shared node's size is computed once)."""
    import yaml

    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        if done:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_NODES:
                raise InputError(ERR_NODES.format(source=source, limit=MAX_NODES))
            continue
        stack.append((node, True))
        stack += [(c, False) for c in children if id(c) not in sizes]


def compose_yaml(text: str, source: str) -> Any:
    """The YAML node graph (with line numbers), bounded; None for an empty document."""
    import yaml

    try:
        check_events(text, source)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise InputError(ERR_YAML.format(source=source, problem=_yaml_problem(exc))) from None
    if node is not None:
        check_expansion(node, source)
    return node


def load_yaml(text: str | bytes, source: str, what: str = "document") -> Any:
    """``yaml.safe_load`` after the bounds: size, depth, aliases and alias expansion."""
    import yaml

    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise InputError(ERR_TOO_LARGE.format(path=source, size=len(text), what=what, limit=MAX_BYTES))
        text = decode(text, source, what)
    compose_yaml(text, source)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(ERR_YAML.format(source=source, problem=_yaml_problem(exc))) from None


def read_yaml(path: str | Path, what: str = "document") -> Any:
    return load_yaml(read_text(path, what), str(path), what)


def _yaml_problem(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else str(problem)
