"""The house rules of DESIGN.md §1, checked on the source tree: size, complexity, layering."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "collector", "alerts", "advisor", "actions", "dashboard", "monitor", "demo")
MAX_LINES = 450
MAX_COMPLEXITY = 15
# what each package may import from the project (DESIGN.md §1, "Layering")
MIDDLE = {"collector", "alerts", "advisor", "actions", "dashboard"}
ALLOWED = {
    "core": {"core"},
    **{name: {name, "core"} for name in MIDDLE},
    "demo": {"demo", "core"},
    "monitor": {"monitor", "core", "demo", *MIDDLE},
}


def source_files() -> list[Path]:
    """Every Python file of the shipped packages (migrations and tests are not counted)."""
    files: list[Path] = []
    for package in PACKAGES:
        if (ROOT / package).is_dir():
            files.extend(sorted((ROOT / package).rglob("*.py")))
    return files


def measured_files() -> list[Path]:
    """What the size and complexity limits cover: every source file but migration versions and tests."""
    extra = [*sorted((ROOT / "bench").glob("*.py")), *sorted((ROOT / "migrations").glob("*.py"))]
    return source_files() + extra


def project_imports(path: Path) -> set[str]:
    """The top-level project packages a module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(PACKAGES)


def test_the_tree_has_sources() -> None:
    assert len(source_files()) > 30


@pytest.mark.parametrize("path", measured_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_source_file_is_over_the_line_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})"


@pytest.mark.parametrize("path", measured_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_function_is_too_complex(path: Path) -> None:
    blocks = cc_visit(path.read_text(encoding="utf-8"))
    complex_ = [
        f"{block.fullname} ({block.complexity})"
        for block in blocks
        if block.complexity > MAX_COMPLEXITY
    ]
    assert not complex_, (
        f"{path.relative_to(ROOT)}: cyclomatic complexity over {MAX_COMPLEXITY}: {complex_}"
    )


@pytest.mark.parametrize("path", source_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_packages_import_only_what_the_layering_allows(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    forbidden = project_imports(path) - ALLOWED[package]
    assert not forbidden, (
        f"{path.relative_to(ROOT)} imports {sorted(forbidden)}, which {package} may not"
    )
