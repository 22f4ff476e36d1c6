"""The layers of docs/architecture.md hold: import-linter's contracts in pyproject.toml
pass, and no module of ``shops`` or ``config`` escapes them by being left unlisted."""

from __future__ import annotations

import ast
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def placed_modules() -> set[str]:
    found = contracts()
    layers = {
        name.strip()
        for layer in found["layers"]["layers"]
        for name in layer.replace(":", "|").split("|")
    }
    return layers | set(found["core"]["source_modules"])


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_module_of_shops_and_config_has_a_layer():
    placed = placed_modules()
    for package in ("shops", "config"):
        children = {
            f"{package}.{module.name}"
            for module in pkgutil.iter_modules([str(ROOT / package)])
            if module.name != "__init__"
        }
        unplaced = children - placed - {"config.urls_public", "config.urls_tenants", "config.wsgi"}
        assert not unplaced, f"place these in a layer in pyproject.toml: {sorted(unplaced)}"


def test_the_contract_fails_on_an_upward_import(tmp_path):
    """The check can fail: in a copy of the project, a catalog module that imports the API
    layer breaks it."""
    for name in ("config", "shops", "catalog", "orders", "reviews"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "catalog" / "probe.py").write_text("import shops.api.base  # noqa: F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "catalog.probe -> shops.api.base" in result.stdout


PROJECT_PACKAGES = ("config", "shops", "catalog", "orders", "reviews")


def _ready_receivers(tree: ast.Module, path: Path) -> set[int]:
    """The import of an app's own ``receivers`` module in its ``AppConfig.ready()``:
    Django's way to connect signal receivers once the models are loaded."""
    if path.name != "apps.py":
        return set()
    allowed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "ready":
            for child in ast.walk(node):
                if isinstance(child, ast.ImportFrom) and [a.name for a in child.names] == [
                    "receivers"
                ]:
                    allowed.add(id(child))
    return allowed


def function_level_imports() -> list[str]:
    """Imports of the project's own modules that are not at a module's top level (an
    ``if TYPE_CHECKING:`` block at the top counts as top level)."""
    found = []
    for package in PROJECT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            top = {id(node) for node in tree.body}
            for node in tree.body:
                if isinstance(node, ast.If | ast.Try):
                    top |= {id(child) for child in ast.walk(node)}
            top |= _ready_receivers(tree, path)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Import | ast.ImportFrom) or id(node) in top:
                    continue
                if isinstance(node, ast.ImportFrom):
                    names = ["." if node.level else (node.module or "")]
                else:
                    names = [alias.name for alias in node.names]
                if any(name == "." or name.split(".")[0] in PROJECT_PACKAGES for name in names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_function_level_import_of_project_code():
    """A function-level import hides a cycle from the layer contract; turn the dependency
    around instead (a domain event, a task queued by name)."""
    assert function_level_imports() == []


def test_the_function_level_import_check_can_fail(tmp_path, monkeypatch):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "probe.py").write_text("def f():\n    from orders import models\n")
    (tmp_path / "catalog" / "apps.py").write_text(
        "class C:\n    def ready(self):\n        from catalog import receivers\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PROJECT_PACKAGES", ("catalog", "orders"))
    assert function_level_imports() == ["catalog/probe.py:2"]
