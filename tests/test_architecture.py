"""The house rules, read from the source with `ast`: who may import what, and how big a module gets.

Rules (README, Development):
- only backup/ (and restore/, when it comes) import both looker/ and vault/; looker/ and vault/
  never import each other, nor anything above them (backup/, restore/, cli/);
- no `sqlite3` import outside vault/; no `httpx` import outside looker/ (the mock aside);
- every module outside mock/ stays under 500 lines;
- nothing in the repository reads outside it (a clone has nothing beside it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lookervault"
MAX_MODULE_LINES = 500
_BOTH_SIDES_ALLOWED = ("lookervault.backup", "lookervault.restore")
_BELOW = {
    "lookervault.looker": ("lookervault.vault", "lookervault.backup", "lookervault.restore"),
    "lookervault.vault": ("lookervault.looker", "lookervault.backup", "lookervault.restore"),
}
_ABOVE = ("lookervault.cli",)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions, TYPE_CHECKING included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


MODULES = _modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_backup_and_restore_import_both_sides(name: str) -> None:
    """A module outside backup/ and restore/ imports looker/ or vault/, never both."""
    if any(_within(name, allowed) for allowed in _BOTH_SIDES_ALLOWED):
        return
    imported = _imports(MODULES[name])
    looker = any(_within(i, "lookervault.looker") for i in imported)
    vault = any(_within(i, "lookervault.vault") for i in imported)
    assert not (looker and vault), f"{name} imports both lookervault.looker and lookervault.vault"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_sides_do_not_reach_across_or_up(name: str) -> None:
    """looker/ and vault/ know neither each other nor the packages built on them."""
    for side, forbidden in _BELOW.items():
        if not _within(name, side):
            continue
        bad = {i for i in _imports(MODULES[name]) for f in (*forbidden, *_ABOVE) if _within(i, f)}
        assert not bad, f"{name} (in {side}) imports {sorted(bad)}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_sqlite3_only_in_vault(name: str) -> None:
    """Only vault/ talks to SQLite."""
    if _within(name, "lookervault.vault"):
        return
    imported = _imports(MODULES[name])
    assert not any(_within(i, "sqlite3") for i in imported), f"{name} imports sqlite3"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_httpx_only_in_looker(name: str) -> None:
    """Only looker/ talks HTTP (the mock Looker serves it, and is exempt)."""
    if _within(name, "lookervault.looker") or _within(name, "lookervault.mock"):
        return
    imported = _imports(MODULES[name])
    assert not any(_within(i, "httpx") for i in imported), f"{name} imports httpx"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not _within(n, "lookervault.mock")))
def test_modules_stay_small(name: str) -> None:
    """Every module outside mock/ stays under 500 lines: past that, split it by concern."""
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines < MAX_MODULE_LINES, f"{name} has {lines} lines"


def test_the_rules_see_the_packages() -> None:
    """The walk finds every package the rules speak of (a rename would void them silently)."""
    for package in ("lookervault.looker", "lookervault.vault", "lookervault.backup"):
        assert package in MODULES
    assert "lookervault.looker.client" in MODULES
    assert "sqlite3" in _imports(MODULES["lookervault.vault.store"])
    assert "httpx" in _imports(MODULES["lookervault.looker.client"])


def _repository_files() -> list[Path]:
    files = [ROOT / "Makefile", ROOT / ".ci" / "run", ROOT / "pyproject.toml"]
    for folder in ("lookervault", "tests", "benchmarks"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".sh", ".toml"}]
    return [p for p in files if p.is_file() and p.resolve() != Path(__file__).resolve()]


def test_nothing_reads_outside_the_repository() -> None:
    """No file names the folder beside the clone that holds our reference copies: a clone stands alone."""
    beside = "sha" + "red"  # spelled in two parts, so this file does not name it either
    markers = (f"../{beside}", f'/ "{beside}"', f"'{beside}'")
    offenders = [
        f"{path.relative_to(ROOT)}: {marker}"
        for path in _repository_files()
        for marker in markers
        if marker in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert not offenders, offenders
