"""The layering the import contracts (pyproject.toml, run by lint-imports) enforce covers every
module, and the web layer leaves transactions that change state to the services."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
NOT_CODE = {"migrations", "static", "templates", "__pycache__"}


def _layered_modules() -> set[str]:
    config = tomllib.loads((APP.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    return {
        name.strip()
        for layer in layers
        for name in layer.replace("|", ":").split(":")
        if name.strip()
    }


def test_every_module_of_the_app_has_its_place_in_the_layers():
    modules = {
        f"app.{path.stem}"
        for path in APP.iterdir()
        if path.name not in NOT_CODE
        and (path.suffix == ".py" and path.stem != "__init__" or (path / "__init__.py").exists())
    }
    assert modules - _layered_modules() == set()


def _write_calls(source: str) -> list[int]:
    """Lines calling ``something.write()``: the database's write transaction."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "write"
        and not node.args
        and not node.keywords
    ]


def test_the_web_layer_opens_no_write_transaction():
    assert _write_calls("with db().write() as session:\n    pass\n") == [1]  # it would see one
    found = {
        str(path.relative_to(APP)): lines
        for path in sorted((APP / "web").rglob("*.py"))
        if (lines := _write_calls(path.read_text(encoding="utf-8")))
    }
    assert found == {}
