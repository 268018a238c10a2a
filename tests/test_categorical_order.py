"""A Categorical with a code list's values in another order is not the code list's dtype.

pandas compares unordered Categorical dtypes as sets, so such a column compared equal to the
canonical dtype, was passed through unchanged, and its integer codes were read in the wrong
order: wrong femicide types, silently.
"""

from __future__ import annotations

import pandas as pd
import pytest

import femstat as fs
from femstat import codes as C


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    return fs.validate(fs.datasets.example_victims().head(4000))


def _permuted(series: pd.Series) -> pd.Series:
    categories = list(series.cat.categories)
    return series.cat.reorder_categories(categories[::-1])


@pytest.mark.parametrize(
    ("column", "code_list"),
    [("relationship", C.RELATIONSHIP), ("victim_sex", C.SEX), ("mechanism", C.MECHANISM)],
)
def test_permuted_codes_are_recoded_not_misread(
    clean: pd.DataFrame, column: str, code_list: C.CodeList
) -> None:
    permuted = clean.assign(**{column: _permuted(clean[column])})
    # pandas' own comparison is the trap: equal as sets, different codes.
    assert permuted[column].dtype == clean[column].dtype
    assert not code_list.is_dtype_of(permuted[column])
    assert (permuted[column].cat.codes != clean[column].cat.codes).any()
    assert code_list.is_dtype_of(fs.validate(permuted)[column])
    expected = fs.classify(clean)
    for frame in (fs.validate(permuted), permuted):  # validated again, or straight in
        typed = fs.classify(frame)
        pd.testing.assert_series_equal(typed["femicide_type"], expected["femicide_type"])
        by = "relationship_group" if column == "relationship" else column
        pd.testing.assert_frame_equal(fs.counts(typed, by=by), fs.counts(expected, by=by))


def test_permuted_types_are_not_counted_as_other_types(clean: pd.DataFrame) -> None:
    typed = fs.classify(clean)
    permuted = typed.assign(femicide_type=_permuted(typed["femicide_type"]))
    assert not C.FEMICIDE_TYPE.is_dtype_of(permuted["femicide_type"])
    # Counting reads the types by their labels, not by codes in another order.
    pd.testing.assert_frame_equal(fs.counts(permuted, by="year"), fs.counts(typed, by="year"))
