"""Hostile input: whatever frame comes in, validate refuses it or keeps every value.

Frames are drawn with the schema's column names and arbitrary contents: mixed objects,
NaN, None, pd.NA, Unicode, bytes, huge and non-finite numbers, booleans, containers,
dates, numpy and nullable dtypes, categoricals, repeated or odd column names. For each,
``validate`` must either raise a femstat error (``ValidationError``, or a ``TypeError``
subclass of ``FemstatError`` for what is not a frame) or return values that round-trip:
each canonical value is exactly what the input said, under the documented rules.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat.schemas import victim_variables
from femstat.spellings import UNKNOWN_SPELLINGS, code_spellings, normalise
from femstat.validate import _CODE_LISTS

pytestmark = pytest.mark.slow

VARIABLES = victim_variables()
CODE_LISTS = _CODE_LISTS  # the columns validate reads as codes, and their lists
REQUIRED = ["victim_sex", "victim_age", "relationship"]
OPTIONAL = [n for n in VARIABLES if n not in REQUIRED and n not in ("year", "date")]

# ---------------------------------------------------------------------------------------
# Strategies


def good_values(name: str) -> st.SearchStrategy[object]:
    """Values a real file might hold for ``name``, spelled in the ways people spell them."""
    kind = VARIABLES[name].kind
    if kind == "code":
        spellings = sorted(code_spellings(CODE_LISTS[name]))
        return (
            st.sampled_from(spellings)
            .map(lambda s: st.sampled_from([s, s.upper(), f" {s} ", s.replace("_", " ")]))
            .flatmap(lambda inner: inner)
        )
    if kind == "boolean":
        return st.sampled_from(["yes", "No", "TRUE", "f", 1, 0, True, False, "", "unknown"])
    if kind == "integer":
        top = VARIABLES[name].maximum or 120
        return st.one_of(
            st.integers(0, top), st.integers(0, top).map(float), st.integers(0, top).map(str)
        )
    if kind == "year":
        return st.one_of(st.integers(1990, 2024), st.integers(1990, 2024).map(str))
    if kind == "date":
        return st.one_of(
            st.dates(datetime.date(1950, 1, 1), datetime.date(2024, 12, 31)).flatmap(
                lambda d: st.sampled_from(
                    [d, d.isoformat(), d.strftime("%Y%m%d"), int(d.strftime("%Y%m%d"))]
                )
            )
        )
    if name == "iccs_code":
        return st.sampled_from(["0101", "0102", "0103", "01011", "010111", " 0101", "０１０１"])
    return st.one_of(st.text(max_size=6), st.integers(-5, 5), st.sampled_from([1.0, 2.5]))


HOSTILE = st.one_of(
    st.none(),
    st.just(np.nan),
    st.just(pd.NA),
    st.just(pd.NaT),
    st.text(max_size=8),
    st.text(alphabet=st.characters(categories=["Nd", "Zs", "No"]), max_size=5),
    st.integers(-(2**70), 2**70),
    st.integers(-70000, 70000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.binary(max_size=4),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(0, 2), max_size=1),
    st.frozensets(st.integers(0, 2), max_size=2),
    st.datetimes(datetime.datetime(1000, 1, 1), datetime.datetime(3000, 1, 1)),
    st.sampled_from(["nan", "-nan", "inf", "1e2", "1_0", "٣٠", "0x10", "  ", "NA", "30.0"]),
)


@st.composite
def columns(draw: st.DrawFn, name: str, n: int, hostile: bool) -> object:
    """One column of plausible values, or, when ``hostile``, of anything in any container."""
    hostile_share = draw(st.sampled_from([0.2, 1.0])) if hostile else 0.0
    values = [
        draw(HOSTILE) if draw(st.integers(1, 10)) <= 10 * hostile_share else draw(good_values(name))
        for _ in range(n)
    ]
    plain = ["object", "inferred", "categorical"]
    container = draw(st.sampled_from([*plain, "numpy", "nullable"] if hostile else plain))
    if container == "object":
        return pd.Series(values, dtype=object)
    if container == "inferred":
        try:
            return pd.Series(values)
        except (TypeError, ValueError):
            return pd.Series(values, dtype=object)
    if container == "categorical":
        try:
            return pd.Categorical(values)
        except (TypeError, ValueError):
            return pd.Series(values, dtype=object)
    numbers = draw(
        st.lists(
            st.one_of(st.integers(-(2**40), 2**40), st.floats(allow_infinity=False)),
            min_size=n,
            max_size=n,
        )
    )
    if container == "numpy":
        dtype = draw(st.sampled_from(["int64", "uint8", "int16", "float64", "float32", "bool"]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            as_float = np.nan_to_num(
                np.array(numbers, dtype="float64"), posinf=1e300, neginf=-1e300
            )
            return as_float.astype(dtype)
    dtype = draw(st.sampled_from(["Int64", "Float64", "boolean"]))
    whole = [None if isinstance(x, float) and math.isnan(x) else x for x in numbers]
    if dtype == "boolean":
        whole = [None if x is None else bool(int(x) % 2) for x in whole]
    elif dtype == "Int64":
        whole = [None if x is None else int(x) % 200 for x in whole]
    return pd.array(whole, dtype=dtype)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 6)) if draw(st.integers(0, 19)) < 19 else 0
    names = [n_ for n_ in REQUIRED if draw(st.integers(0, 19)) < 19]
    names.append(draw(st.sampled_from(["year", "date", "both"])))
    if names[-1] == "both":
        names[-1:] = ["year", "date"]
    names += draw(st.lists(st.sampled_from(OPTIONAL), max_size=5, unique=True))
    names += draw(st.lists(st.sampled_from(["narrative", 0, ("a", "b"), None]), max_size=2))
    if draw(st.integers(0, 19)) == 19:
        names.append(draw(st.sampled_from(names)))  # a repeated column name
    # Most frames have one hostile column and plausible others, so that both outcomes
    # (refused, or validated and checked value by value) are common; some are hostile
    # throughout.
    everywhere = draw(st.integers(0, 4)) == 4
    target = draw(st.integers(0, len(names) - 1))
    data = [
        draw(columns(name, n, hostile=everywhere or i == target))
        if isinstance(name, str) and name in VARIABLES
        else pd.Series([draw(HOSTILE) for _ in range(n)], dtype=object)
        for i, name in enumerate(names)
    ]
    frame = pd.concat([pd.Series(d).reset_index(drop=True) for d in data], axis=1)
    frame.columns = names
    if draw(st.integers(0, 29)) == 29:
        frame.columns = pd.MultiIndex.from_tuples([(str(c), "x") for c in names])
    return frame


# ---------------------------------------------------------------------------------------
# What a value must have become


def _is_missing(raw: object) -> bool:
    try:
        return bool(pd.isna(raw))
    except (TypeError, ValueError):
        return False


def _text(raw: object) -> str:
    return unicodedata.normalize("NFKC", str(raw)).strip()


def _unknown_text(raw: object) -> bool:
    return isinstance(raw, str) and normalise(raw) in UNKNOWN_SPELLINGS


def _number(raw: object) -> float | None:
    """The number a raw value states, by the documented rule, or None."""
    if isinstance(raw, bool | np.bool_):
        return None
    if isinstance(raw, int | np.integer | float | np.floating):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", _text(raw), re.ASCII):
        return float(_text(raw))
    return None


def check_whole(raw: object, out: object, low: int, high: int) -> None:
    if pd.isna(out):
        assert _is_missing(raw) or _unknown_text(raw), (raw, out)
    else:
        number = _number(raw)
        assert number is not None and number == out and low <= out <= high, (raw, out)


def check_code(name: str, raw: object, out: object) -> None:
    code_list = CODE_LISTS[name]
    if _is_missing(raw):
        assert out == code_list.unknown
    else:
        assert isinstance(raw, str), (raw, out)
        assert code_spellings(code_list)[normalise(raw)] == out, (raw, out)


def check_boolean(raw: object, out: object) -> None:
    if pd.isna(out):
        assert _is_missing(raw) or _unknown_text(raw), (raw, out)
    elif isinstance(raw, str):
        assert normalise(raw) in (
            ("true", "t", "yes", "y", "1", "si", "sí") if out else ("false", "f", "no", "n", "0")
        )
    else:
        assert not isinstance(raw, bool | np.bool_) or bool(raw) == out
        assert raw == out, (raw, out)


def check_date(raw: object, out: object) -> None:
    if pd.isna(out):
        assert _is_missing(raw) or _unknown_text(raw), (raw, out)
        return
    if isinstance(raw, str):
        text = _text(raw)
        if re.fullmatch(r"\d{8}", text, re.ASCII):
            assert out.strftime("%Y%m%d") == text
        else:
            assert pd.Timestamp(text) == out
    elif isinstance(raw, int | np.integer | float | np.floating) and not isinstance(raw, bool):
        assert out.strftime("%Y%m%d") == str(int(raw)) and int(raw) == raw
    else:
        assert pd.Timestamp(raw) == out, (raw, out)


def check_breakdown(raw: object, out: object) -> None:
    if pd.isna(out):
        assert _is_missing(raw) or (isinstance(raw, str) and not raw.strip()), (raw, out)
    elif isinstance(raw, str):
        assert out == raw.strip()
    else:
        number = _number(raw)
        assert number is not None and float(out) == number, (raw, out)
        assert not out.endswith(".0")


def check_round_trip(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    for name in frame.columns:
        raw_values = frame[name].astype(object).tolist()
        if name not in VARIABLES or VARIABLES[name].kind == "id":
            assert out[name] is frame[name] or out[name].equals(frame[name])
            continue
        out_values = out[name].astype(object).tolist()
        kind = VARIABLES[name].kind
        for raw, value in zip(raw_values, out_values, strict=True):
            if kind == "code":
                check_code(name, raw, value)
            elif kind == "boolean":
                check_boolean(raw, value)
            elif kind == "integer":
                check_whole(raw, value, 0, VARIABLES[name].maximum or 120)
            elif kind == "year":
                check_whole(raw, value, 1800, 2200)
            elif kind == "date":
                check_date(raw, value)
            elif name == "iccs_code":
                assert isinstance(raw, str) and _text(raw) == value, (raw, value)
            else:
                check_breakdown(raw, value)


# ---------------------------------------------------------------------------------------
# Properties


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(frames())
def test_validate_refuses_or_keeps_every_value(frame: pd.DataFrame) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fs.DataQualityWarning)
            out, report = fs.validate(frame, report=True)
    except fs.ValidationError as exc:
        assert not exc.failure_cases.empty
        assert "What to do" in str(exc)
        return
    check_round_trip(frame, out)
    assert out["year"].dtype == "Int16"
    assert report.n_rows == len(frame)


@settings(max_examples=50, deadline=None)
@given(
    st.one_of(
        st.dictionaries(st.text(max_size=3), st.lists(st.integers(), max_size=3), max_size=3),
        st.lists(st.integers(), max_size=3).map(pd.Series),
        st.lists(st.integers(), max_size=3),
        st.lists(st.integers(), max_size=3).map(np.array),
        st.none(),
        st.text(max_size=3),
    )
)
def test_anything_but_a_frame_is_a_femstat_type_error(thing: object) -> None:
    with pytest.raises(fs.FemstatError) as info:
        fs.validate(thing)  # type: ignore[call-overload]
    assert isinstance(info.value, TypeError)
    assert "pandas DataFrame" in str(info.value)
