"""The examples in the docstrings of femstat.stats run and print what they say."""

from __future__ import annotations

import doctest
import importlib
from types import ModuleType

import pytest

# By name: femstat.stats exports a function called joinpoint, which hides its module.
MODULES = ["compare", "intervals", "joinpoint", "standard_populations", "standardise", "trend"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module: ModuleType = importlib.import_module(f"femstat.stats.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module.__name__} has no examples"
    assert result.failed == 0
