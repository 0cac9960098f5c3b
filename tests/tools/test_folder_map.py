"""The layout's rules hold in the code, and the README's folder map is the one the code draws."""

from __future__ import annotations

from pathlib import Path

from tools import folder_map


def test_no_import_breaks_the_layout_rules() -> None:
    assert folder_map.violations() == []


def test_the_checker_finds_each_kind_of_violation(tmp_path: Path) -> None:
    for folder in ("govhub/core", "infra", "hub", "spoke", "tools"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "main.py").write_text("")
    (tmp_path / "govhub" / "core" / "leaky.py").write_text(
        "def f():\n    import boto3\n    from infra import engine\n    from cdktf import App\n"
    )
    found = folder_map.violations(tmp_path)
    assert [line.split(": ", 1)[1].split(" (")[0].split(";")[0] for line in found] == [
        "the core imports boto3",
        "the runtime imports the estate or the tools",
        "the core imports cdktf",
        "cdktf is imported outside infra.engine, the one engine shim",
    ]
    assert all(line.startswith("govhub/core/leaky.py:") for line in found)


def test_the_readme_shows_the_current_folder_map() -> None:
    text = folder_map.README.read_text(encoding="utf-8")
    assert folder_map.readme_with_map(text, folder_map.mermaid()) == text, (
        "the folder map in README.md is stale: run `python -m tools.folder_map --write`"
    )
    assert "govhub.core" in text.split(folder_map.BEGIN, 1)[1]


def test_import_cycles_are_found_even_through_lazy_imports(tmp_path: Path) -> None:
    (tmp_path / "govhub").mkdir()
    (tmp_path / "govhub" / "__init__.py").write_text("")
    (tmp_path / "govhub" / "cli.py").write_text("def main():\n    from govhub import workflow_cli\n")
    (tmp_path / "govhub" / "workflow_cli.py").write_text("from govhub.cli import main\n")
    (tmp_path / "govhub" / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from govhub.cli import main\n"
    )
    assert folder_map.cycles(tmp_path) == [["govhub.cli", "govhub.workflow_cli"]]
    assert "import cycle: govhub.cli -> govhub.workflow_cli" in folder_map.violations(tmp_path)
