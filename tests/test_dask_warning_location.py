"""A data-quality warning from a Dask frame points at the user's own line.

Python shows a warning with the file and line it names, so a warning attributed to a line
inside femstat sends the user to the wrong place. Every entry point that accepts a Dask
frame must name the caller's line, as the in-memory functions do.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

import femstat as fs

dd = pytest.importorskip("dask.dataframe")
fd = pytest.importorskip("femstat.dask")


@pytest.fixture(scope="module")
def raw() -> Any:
    # A stranger with prior violence: valid, but a soft inconsistency validation warns about.
    data = fs.synth.generate(600, seed=3)
    data["relationship"] = data["relationship"].astype(str)
    data.loc[data.index[:4], "relationship"] = "stranger"
    data["prior_violence"] = data["prior_violence"].astype("boolean")
    data.loc[data.index[:4], "prior_violence"] = True
    return data


CALLS: dict[str, Callable[[Any], Any]] = {
    "femstat.dask.counts": lambda ddf: fd.counts(ddf, by=["year"]),
    "femstat.dask.completeness": lambda ddf: fd.completeness(ddf, by=["year"]),
    "fs.counts": lambda ddf: fs.counts(ddf, by=["year"]),
    "fs.completeness": lambda ddf: fs.completeness(ddf, by=["year"]),
    "fs.indicators": lambda ddf: fs.indicators(ddf, by=["year"]),
    "fs.bounds": lambda ddf: fs.bounds(ddf, by=["year"]),
    "femstat.dask.indicators": lambda ddf: fd.indicators(ddf, by=["year"]),
    "femstat.dask.validate": lambda ddf: fd.validate(ddf),
    "fs.age_standardised_rates": lambda ddf: fs.age_standardised_rates(
        ddf, by=["year", "area"], population=fs.synth.population(age_groups="five_year_90", seed=4)
    ),
}


@pytest.mark.parametrize("entry", sorted(CALLS))
def test_warning_names_the_callers_line(raw: Any, entry: str) -> None:
    ddf = dd.from_pandas(raw, npartitions=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CALLS[entry](ddf)
    quality = [w for w in caught if issubclass(w.category, fs.DataQualityWarning)]
    assert len(quality) == 1, [str(w.message)[:80] for w in caught]
    # The lambda above is the caller: the warning names its file and line, not the line of
    # this test that called the lambda, nor one inside femstat.
    where = (quality[0].filename, quality[0].lineno)
    assert where == (__file__, CALLS[entry].__code__.co_firstlineno), entry
