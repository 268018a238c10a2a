"""The examples in the docstrings of femstat.stats run and print what they say."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from femstat.stats import compare, intervals, standard_populations, standardise, trend


@pytest.mark.parametrize("module", [compare, intervals, standard_populations, standardise, trend])
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module.__name__} has no examples"
    assert result.failed == 0
