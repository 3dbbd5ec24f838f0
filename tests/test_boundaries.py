"""The data layer knows nothing of Slack, templates or spreadsheets; settings are read in one place."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_STORE = ("bot", "slack_bolt", "slack_sdk", "jinja2", "openpyxl", "prompts", "click")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_persona_store_imports_no_slack_templates_or_spreadsheets() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(FORBIDDEN_IN_STORE))
        for path in (ROOT / "persona_store").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = []
    for package in ("bot", "persona_store"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "config.py" or "slack_standin" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            if "os.environ" in source or "os.getenv" in source:
                readers.append(str(path.relative_to(ROOT)))
    assert readers == ["bot/cli/root.py"], "only the composition root passes os.environ to Settings.from_env"
