"""The architecture is a contract (pyproject.toml, [tool.importlinter]): layers, a store knowing no Slack, no cycle."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


CONFIG: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
# Every module of ours the contracts name, empty: a small house to break the contracts in.
NAMED = sorted(
    {"persona_store", "prompts"}
    | {
        name
        for contract in CONFIG["contracts"]
        for key in ("source_modules", "forbidden_modules", "layers", "modules")
        for name in contract.get(key, [])
        if name.split(".")[0] in CONFIG["root_packages"]
    }
)


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` over the tree in `where`, against the contracts in its pyproject.toml."""
    return subprocess.run(
        [sys.executable, "-c", LINT], cwd=where, capture_output=True, text=True, timeout=300, check=False
    )


def contracts_without_allowances() -> str:
    """The project's contracts as TOML, without the imports they allow for now (the rules themselves)."""
    lines = ["[tool.importlinter]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in CONFIG.items() if key != "contracts"]
    for contract in CONFIG["contracts"]:
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in contract.items() if key != "ignore_imports"]
    return "\n".join(lines) + "\n"


def small_house(root: Path, modules: dict[str, str]) -> Path:
    """A tree of packages named like ours, each given module holding the given source, with our contracts."""
    for package in (name for name in NAMED if name not in modules):
        folder = root.joinpath(*package.split("."))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").touch()
    (root / "bot" / "__init__.py").touch()
    for dotted, source in modules.items():
        path = root.joinpath(*dotted.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(root).parents:
            if folder != Path("."):
                (root / folder / "__init__.py").touch()
        path.write_text(source)
    (root / "pyproject.toml").write_text(contracts_without_allowances())
    return root


def test_the_project_keeps_its_import_contracts() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_a_cycle_anywhere_in_bot_breaks_the_contract(tmp_path: Path) -> None:
    """Two modules of a package bot/ grows later (the clock's, say) importing each other, even for types only."""
    house = small_house(
        tmp_path,
        {
            "bot.clock.jobs": "from bot.clock import steps\n",
            "bot.clock.steps": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.clock import jobs\n",
        },
    )
    result = lint(house)
    assert result.returncode != 0
    assert "No cycles are allowed in bot.clock" in result.stdout


def test_a_cycle_between_packages_breaks_the_contract(tmp_path: Path) -> None:
    house = small_house(
        tmp_path, {"bot.slack.clients": "import bot.app\n", "bot.app": "from bot.slack import clients\n"}
    )
    result = lint(house)
    assert result.returncode != 0
    assert "No cycles are allowed in bot." in result.stdout


def test_a_service_importing_a_listener_breaks_the_layers(tmp_path: Path) -> None:
    house = small_house(
        tmp_path,
        {"bot.listeners.lookup": "import bot.services.lookup\n", "bot.services.lookup": "import bot.listeners.home\n"},
    )
    result = lint(house)
    assert result.returncode != 0
    assert "command line and web -> app -> listeners -> services -> persona_store BROKEN" in result.stdout


def test_the_store_importing_bot_breaks_the_contract(tmp_path: Path) -> None:
    house = small_house(tmp_path, {"persona_store.models": "from bot import ids\n", "bot.ids": ""})
    result = lint(house)
    assert result.returncode != 0
    assert "persona_store knows nothing of bot" in result.stdout and "BROKEN" in result.stdout


def test_a_listener_using_another_as_a_library_breaks_the_contract(tmp_path: Path) -> None:
    house = small_house(tmp_path, {"bot.listeners.reviews": "from bot.listeners.personas_admin import open_form\n"})
    result = lint(house)
    assert result.returncode != 0
    assert "listeners don't call each other as a library" in result.stdout
