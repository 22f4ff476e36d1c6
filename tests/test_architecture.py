"""The layers of docs/architecture.md hold: import-linter's contracts in pyproject.toml
pass, and no module of ``shops`` or ``config`` escapes them by being left unlisted."""

from __future__ import annotations

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
