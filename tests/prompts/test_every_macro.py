"""Every macro in prompts/ renders with sample data: no undefined name, missing filter or type error waits in a
branch no other test reaches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, nodes
from jinja2.runtime import Macro

from bot.render import environment, user_mention

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


class Sample:
    """A value of any shape: text, a number, a date, a list of two, a record whose every field is a Sample."""

    def __init__(self, depth: int = 0) -> None:
        self._depth = depth

    def _child(self) -> Sample | str:
        return Sample(self._depth + 1) if self._depth < 12 else "x"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._child()

    def __getitem__(self, key: object) -> Any:
        return self._child()

    def __call__(self, *args: object, **kwargs: object) -> Any:
        return self._child()

    def __iter__(self) -> Iterator[Any]:
        return iter([self._child(), self._child()])

    def __len__(self) -> int:
        return 2

    def __bool__(self) -> bool:
        return True

    def __contains__(self, item: object) -> bool:
        return False

    def __str__(self) -> str:
        return "Sample <&> text"

    def __format__(self, spec: str) -> str:
        if "%" in spec:
            return format(date(2026, 7, 1), spec)
        if spec:
            return format(3, spec)
        return str(self)

    def __int__(self) -> int:
        return 3

    def __float__(self) -> float:
        return 3.5

    def __index__(self) -> int:
        return 3

    def __round__(self, digits: int | None = None) -> float:
        return 3.5

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return other is self

    def __lt__(self, other: object) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__

    def _number(self, other: object) -> float:
        return 3.5

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _number
    __truediv__ = __rtruediv__ = __floordiv__ = __mod__ = _number

    def __neg__(self) -> float:
        return -3.5

    def __abs__(self) -> float:
        return 3.5


def sample_environment() -> Environment:
    """The app's environment, where a Sample also stands for any code a template looks up in a table, and for
    a Slack user id."""
    env = environment().overlay()
    env.filters = {**env.filters, "mention": lambda value: user_mention("U0SAMPLE1" if _any(value) else value)}
    looked_up = env.getitem

    def getitem(obj: Any, argument: Any) -> Any:
        if _any(argument) and isinstance(obj, dict) and obj:
            return next(iter(obj.values()))
        return looked_up(obj, argument)

    env.getitem = getitem  # type: ignore[method-assign]  # compiled templates call environment.getitem
    return env


def _any(value: object) -> bool:
    return isinstance(value, Sample) or value == str(Sample())


ENVIRONMENT = sample_environment()


def macros() -> list[Any]:
    """(template, macro, how many arguments it needs: those without a default), from each template's syntax tree."""
    found = []
    for path in sorted(PROMPTS.glob("*.j2")):
        tree = environment().parse(path.read_text(encoding="utf-8"))
        for macro in tree.find_all(nodes.Macro):
            needed = len(macro.args) - len(macro.defaults)
            found.append(pytest.param(path.stem, macro.name, needed, id=f"{path.stem}.{macro.name}"))
    return found


def test_every_template_has_macros_to_render() -> None:
    assert {param.values[0] for param in macros()} == {path.stem for path in PROMPTS.glob("*.j2")}


@pytest.mark.parametrize(("template", "name", "needed"), macros())
def test_the_macro_renders_with_sample_data(template: str, name: str, needed: int) -> None:
    macro = getattr(ENVIRONMENT.get_template(f"{template}.j2").module, name)
    assert isinstance(macro, Macro)
    text = str(macro(*[Sample() for _ in range(needed)]))
    assert "{{" not in text and "{%" not in text
