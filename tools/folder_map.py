"""The folder map: which part of the tree imports which, read from the code itself, and the rules on it.

``python -m tools.folder_map`` prints the map as a Mermaid diagram (the README shows it between the
``folder-map`` markers; ``--write`` refreshes it there). ``python -m tools.folder_map --check`` lists every
import that breaks the layout's rules and exits 1 when there is one:

- the runtime (``govhub``) never imports the estate (``infra``, ``hub``, ``spoke``, ``main``) or the tools;
- the core (``govhub.core``) imports no cloud SDK and no CDK engine, not even inside a function;
- nothing but ``infra.engine`` imports a CDK engine or its provider bindings;
- no two modules import each other, directly or around a loop (imports for type checking only excepted).

Imports are read with :mod:`ast` from every Python file, at any depth (lazy imports inside functions
count), so the map and the rules see what runs, not what the file's header says.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN, END = "<!-- folder-map:begin -->", "<!-- folder-map:end -->"

# Parts of the tree, most specific first: (module prefix, part name, kind).
PARTS: tuple[tuple[str, str, str], ...] = (
    ("govhub.core", "govhub.core", "runtime"),
    ("govhub.evaluator", "govhub.evaluator", "runtime"),
    ("govhub.adapters", "govhub.adapters", "runtime"),
    ("govhub.backends", "govhub.backends", "runtime"),
    ("govhub.service", "govhub.service", "runtime"),
    ("govhub.cli", "govhub.cli", "runtime"),
    ("govhub", "govhub (config, project, vocabulary)", "runtime"),
    ("infra", "infra", "estate"),
    ("hub", "hub.stacks", "estate"),
    ("spoke", "spoke.stacks", "estate"),
    ("main", "main.py", "estate"),
    ("tools", "tools", "tools"),
)
CLOUD_SDKS = ("boto3", "botocore", "sagemaker", "azure", "google", "vertexai", "kfp", "mlflow", "pyspark")
ENGINES = ("cdktf", "cdktn", "constructs", "jsii", "imports")
ESTATE = ("infra", "hub", "spoke", "main", "tools")
SOURCES = ("govhub", "infra", "hub", "spoke", "tools", "main.py")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. govhub.core.workflow
    target: str  # the imported module, e.g. govhub.core.audit
    path: Path
    line: int
    names: tuple[str, ...] = ()  # what ``from target import ...`` takes (modules among them count as targets)
    typing_only: bool = False  # under ``if TYPE_CHECKING:``: never runs


def _typing_only_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return inside


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path = ROOT) -> Iterator[Import]:
    """Every import statement of the project's own Python files (templates and tests left out)."""
    files: list[Path] = []
    for source in SOURCES:
        path = root / source
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    for path in files:
        module = _module_name(path, root)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        typing_only = _typing_only_nodes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, path, node.lineno, typing_only=id(node) in typing_only)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                names = tuple(alias.name for alias in node.names)
                yield Import(module, target, path, node.lineno, names, id(node) in typing_only)


def part_of(module: str) -> tuple[str, str] | None:
    for prefix, name, kind in PARTS:
        if module == prefix or module.startswith(prefix + "."):
            return name, kind
    return None


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def violations(root: Path = ROOT) -> list[str]:
    """Every import that breaks the layout's rules, as ``file:line: rule``."""
    found = []
    read = list(imports(root))
    for imp in read:
        where = f"{imp.path.relative_to(root)}:{imp.line}"
        top = _top(imp.target)
        if _top(imp.module) == "govhub" and top in ESTATE:
            found.append(f"{where}: the runtime imports the estate or the tools ({imp.target})")
        if imp.module.startswith("govhub.core") and (top in CLOUD_SDKS or top in ENGINES):
            found.append(f"{where}: the core imports {imp.target}; put cloud code in govhub.backends.<cloud>")
        if top in ENGINES and imp.module != "infra.engine" and not imp.target.startswith("constructs"):
            found.append(f"{where}: {imp.target} is imported outside infra.engine, the one engine shim")
    found += [f"import cycle: {' -> '.join(group)}" for group in cycles(root, read)]
    return found


def module_graph(root: Path = ROOT, read: list[Import] | None = None) -> dict[str, set[str]]:
    """Module -> the project modules it imports when it runs (type-checking imports left out)."""
    found = read if read is not None else list(imports(root))
    known = {imp.module for imp in found}
    graph: dict[str, set[str]] = {m: set() for m in known}
    for imp in found:
        if imp.typing_only:
            continue
        targets = [f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in known] or [imp.target]
        graph[imp.module] |= {t for t in targets if t in known and t != imp.module}
    return graph


def cycles(root: Path = ROOT, read: list[Import] | None = None) -> list[list[str]]:
    """Every group of modules that import each other (strongly connected, Tarjan), smallest name first."""
    graph = module_graph(root, read)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def edges(root: Path = ROOT) -> set[tuple[str, str]]:
    out = set()
    for imp in imports(root):
        a, b = part_of(imp.module), part_of(imp.target)
        if a and b and a[0] != b[0]:
            out.add((a[0], b[0]))
    return out


def mermaid(root: Path = ROOT) -> str:
    """The map: one box per part, grouped by kind, an arrow from each part to the parts it imports."""
    ids = {name: f"p{i}" for i, (_, name, _) in enumerate(PARTS)}
    lines = ["```mermaid", "flowchart LR"]
    titles = {"runtime": "runtime: pip install govhub", "estate": "estate: the platform repository", "tools": "tools"}
    for kind, title in titles.items():
        lines.append(f'  subgraph {kind}["{title}"]')
        lines += [f'    {ids[name]}["{name}"]' for _, name, k in PARTS if k == kind]
        lines.append("  end")
    lines.append('  templates[("templates/ (package data)")]')
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in sorted(edges(root))]
    lines.append(f"  {ids['govhub (config, project, vocabulary)']} -.-> templates")
    lines.append("```")
    return "\n".join(lines)


def readme_with_map(text: str, diagram: str) -> str:
    if BEGIN not in text or END not in text:
        raise ValueError(f"README.md has no {BEGIN} ... {END} markers for the folder map")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{diagram}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.folder_map", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list imports that break the layout rules (exit 1)")
    parser.add_argument("--write", action="store_true", help="refresh the map in README.md")
    args = parser.parse_args(argv)
    if args.check:
        found = violations()
        for line in found:
            print(line)
        print(f"{len(found)} layout violation(s)")
        return 1 if found else 0
    diagram = mermaid()
    if args.write:
        README.write_text(readme_with_map(README.read_text(encoding="utf-8"), diagram), encoding="utf-8")
        print(f"wrote the folder map into {README}")
    else:
        print(diagram)
    return 0


if __name__ == "__main__":
    sys.exit(main())
