"""The rooms stay apart: every import points inward (events ← domain ← projections ← replay ←
api), and inside api/ the ways in (http, cli) share nothing with each other."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lowest first: a room may import its own modules and any room before it, never one after it.
ROOMS = ("events", "domain", "projections", "replay", "api")
# Inside api/: the ways in use the shared top of api/, the formats and the samples, never each
# other; nothing else in api/ imports either of them.
WAYS_IN = ("api.http", "api.cli")


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every absolute module a file imports, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def source_files(root: Path = ROOT) -> list[Path]:
    return sorted(path for room in ROOMS for path in (root / room).rglob("*.py"))


def room_of(module: str) -> str:
    return module.split(".", maxsplit=1)[0]


def upward_imports(root: Path = ROOT) -> list[str]:
    found = []
    for path in source_files(root):
        rank = ROOMS.index(room_of(module_name(path, root)))
        for line, module in imported_modules(path):
            room = room_of(module)
            if room in ROOMS and ROOMS.index(room) > rank:
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def crossing_imports() -> list[str]:
    found = []
    for path in source_files():
        importer = module_name(path)
        for line, module in imported_modules(path):
            for way in WAYS_IN:
                if inside(module, way) and importer.startswith("api") and not inside(importer, way):
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_no_room_imports_a_room_above_it() -> None:
    """events, domain, projections and replay never import a room built on top of them."""
    assert upward_imports() == []


def test_the_http_and_command_line_ways_in_do_not_import_each_other() -> None:
    """api/http and api/cli use the shared top of api/ and the formats, never each other, and
    nothing below them imports either."""
    assert crossing_imports() == []


def test_the_checks_see_the_code() -> None:
    """The checks read real files with real imports (a moved tree would make them vacuous)."""
    files = source_files()
    assert len(files) > 50
    modules = {module for path in files for _, module in imported_modules(path)}
    assert {"events.envelope", "domain.service", "projections.fold"} <= modules


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    """A lower room importing a higher one, even inside a function, is reported with its line;
    importing a lower room is not."""
    for room in ROOMS:
        (tmp_path / room).mkdir()
    (tmp_path / "domain" / "case.py").write_text(
        "import events.envelope\n\ndef late():\n    from api.bootstrap import build_foresight\n"
    )
    (tmp_path / "api" / "app.py").write_text("from domain.case import Case\n")
    assert upward_imports(tmp_path) == ["domain/case.py:4 imports api.bootstrap"]
