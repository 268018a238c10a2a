"""The femstat report: one self-contained HTML file and its Markdown twin.

:func:`build_report` turns victim microdata (and, optionally, a female population table)
into a report whose sections come in a fixed order, data quality first:

1. data completeness (what the typology needed and did not get);
2. counts by femicide type;
3. rates per 100,000 women with confidence intervals (needs a population);
4. bounds (identified femicides, and identified plus undetermined);
5. the trend by year, with the annual percent change;
6. breakdowns by age group, mechanism, place and relationship;
7. methods: rule set, interval methods, confidence level(s), suppression threshold,
   femstat version and data source.

Both files are rendered from one document model, so they say the same thing. Every value
put into the HTML passes through :func:`html.escape`; the HTML loads nothing from outside
(charts are inline base64 PNG, the style sheet is inline, and a Content-Security-Policy
forbids any other source). The Markdown file links the same charts, written as PNG files
next to it. The published tables are written too (``tables/``, CSV with metadata sidecars
and one SDMX-CSV file).

Privacy. The report is built from coded variables only (type, year, area, age group,
mechanism, place, relationship); no other input column is read, so free-text fields never
reach it. Every published count from 1 to ``min_count - 1`` is suppressed with
:func:`femstat.suppress`, with the shares and rates derived from it, and marked ``[c]``;
charts leave suppressed cells out.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import io
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.classify import UN_2022, RuleSet
from femstat.counts import BreakdownError
from femstat.errors import FemstatError, PopulationError
from femstat.validate import ValidationReport

__all__ = [
    "REPORT_STEPS",
    "ReportFiles",
    "build_report",
    "population_for",
    "withheld_cells",
    "withhold_estimates",
]

REPORT_STEPS: tuple[str, ...] = (
    "validating",
    "classifying",
    "protecting",
    "completeness",
    "counts by type",
    "rates",
    "bounds",
    "estimates",
    "trend",
    "breakdowns",
    "writing",
)
"""The steps :func:`build_report` announces to its ``progress`` callback, in order."""

_SUPPRESSED = "[c]"
_UNRELIABLE = "[u]"
_DASH = "–"


class ReportError(FemstatError, ValueError):
    """A report that cannot be built as asked."""


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`build_report` wrote.

    Attributes
    ----------
    out_dir : pathlib.Path
    html : pathlib.Path or None
        The self-contained HTML report.
    markdown : pathlib.Path or None
        The Markdown report; its charts are the PNG files in ``charts``.
    charts : tuple of pathlib.Path
        The chart images (written with the Markdown report).
    tables : tuple of pathlib.Path
        The published (suppressed) tables, with their metadata sidecars.
    summary : pandas.DataFrame
        The suppressed counts by femicide type for the whole data, for a quick look.
    """

    out_dir: Path
    html: Path | None
    markdown: Path | None
    charts: tuple[Path, ...]
    tables: tuple[Path, ...]
    summary: pd.DataFrame = field(repr=False, compare=False)

    @property
    def paths(self) -> tuple[Path, ...]:
        """Every file written."""
        main = tuple(p for p in (self.html, self.markdown) if p is not None)
        return (*main, *self.charts, *self.tables)

    def _repr_html_(self) -> str:
        """The HTML report inline in Jupyter (see :func:`femstat.display.report_html`)."""
        from femstat.display import report_html

        return report_html(self)


# --------------------------------------------------------------------------- document model


@dataclass
class _Cell:
    text: str
    kind: str = ""  # "num", "c" (suppressed), "u" (unreliable); "" is a label


@dataclass
class _Table:
    caption: str
    header: list[str]
    rows: list[list[_Cell]]
    total_rows: set[int] = field(default_factory=set)
    note: str = ""
    number: int = 0  # set by _number once every section exists


@dataclass
class _Figure:
    stem: str
    alt: str
    caption: str
    png: bytes
    number: int = 0
    withheld: bool = False  # the chart marks a withheld value [c]


@dataclass
class _Bullets:
    items: list[str]


@dataclass
class _Heading:
    text: str


_Block = str | _Bullets | _Table | _Figure | _Heading


@dataclass
class _Section:
    anchor: str
    title: str
    blocks: list[_Block] = field(default_factory=list)


# --------------------------------------------------------------------------- formatting


def _label(code: object) -> str:
    from femstat.plots import label

    return label(code)


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _n(value: Any) -> _Cell:
    if _missing(value):
        return _Cell(_SUPPRESSED, "c")
    return _Cell(f"{int(float(value)):,}", "num")


def _pct(value: Any, *, hidden: bool = False) -> _Cell:
    if hidden:
        return _Cell(_SUPPRESSED, "c")
    if _missing(value):
        return _Cell(_DASH, "num")
    return _Cell(f"{float(value) * 100:.1f}", "num")


def _rate_text(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 0.1 or value == 0 else f"{value:.3f}"


def _rate(value: Any, *, hidden: bool = False, reliable: bool = True) -> _Cell:
    if hidden:
        return _Cell(_SUPPRESSED, "c")
    if _missing(value):
        return _Cell(_DASH, "num")
    text = _rate_text(float(value))
    return _Cell(text, "num") if reliable else _Cell(f"{text} {_UNRELIABLE}", "u")


def _interval(lower: Any, upper: Any, *, scale: float = 1.0, hidden: bool = False) -> _Cell:
    if hidden:
        return _Cell(_SUPPRESSED, "c")
    if _missing(lower) or _missing(upper):
        return _Cell(_DASH, "num")
    lo, up = float(lower) * scale, float(upper) * scale
    if scale == 100.0:
        return _Cell(f"{lo:.1f}{_DASH}{up:.1f}", "num")
    return _Cell(f"{_rate_text(lo)}{_DASH}{_rate_text(up)}", "num")


def _level_text(level: float) -> str:
    return f"{level * 100:g} %"


def _suffix(i: int, level: float) -> str:
    from femstat.indicators import level_suffix

    return "" if i == 0 else f"_{level_suffix(level)}"


def _png(fig: Any) -> bytes:
    from femstat.plots import _pyplot

    buffer = io.BytesIO()
    # No "Software" tag: the PNG bytes then depend on the chart only.
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return buffer.getvalue()


_CHART_SUBJECTS: Mapping[str, str] = {
    "chart-completeness": "the information unknown",
    "chart-typology": "victims by femicide type",
    "chart-rule-sets": "victims by rule set",
    "chart-estimates": "the estimated femicides by year",
    "chart-trend": "femicides by year",
    "chart-age": "victims by age group",
    "chart-mechanism": "victims by mechanism",
    "chart-place": "victims by place",
    "chart-relationship": "victims by relationship",
    "chart-linked-orphans": "linked victims and orphans",
}
"""What each chart shows, for the sentence that replaces a chart left out."""


def _chart(stem: str, alt: str, caption: str, draw: Callable[[], Any]) -> _Figure | str:
    """The chart ``draw`` makes, or the sentence saying why it is left out.

    A chart that would be empty (no data, every value withheld or zero, the column absent
    from the data) is never drawn blank: :class:`femstat.plots.EmptyChartError` gives the
    reason, written where the chart would be.
    """
    from femstat.plots import _SUPPRESSED as MARK
    from femstat.plots import EmptyChartError

    try:
        fig = draw()
    except EmptyChartError as exc:
        what = _CHART_SUBJECTS.get(stem, "this section")
        return f"No chart of {what}: it would be empty ({exc.reason})."
    texts = [t.get_text() for ax in fig.axes for t in [*ax.texts, *ax.get_yticklabels()]]
    texts += [t.get_text() for t in fig.texts]
    withheld = any(MARK in t for t in texts)
    return _Figure(stem, alt, caption, _png(fig), withheld=withheld)


# --------------------------------------------------------------------------- data helpers


def population_for(population: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame | None:
    """A population table summed to the keys of a breakdown.

    Parameters
    ----------
    population : pandas.DataFrame
        A ``population`` column keyed by other columns (and optionally ``sex``).
    by : sequence of str
        The breakdown of the indicators that need it.

    Returns
    -------
    pandas.DataFrame or None
        The population summed over every key not in ``by`` (``sex`` is kept), or None
        when a ``by`` column is not a key of the population (no rate can be computed).

    Raises
    ------
    femstat.PopulationError
        When the table has no ``population`` column.
    """
    if "population" not in population.columns:
        raise PopulationError(
            "the population table has no 'population' column; name the denominator column "
            "'population'"
        )
    keys = [c for c in population.columns if c not in ("population", "sex")]
    if any(b not in keys for b in by):
        return None
    keep = [k for k in keys if k in by] + (["sex"] if "sex" in population.columns else [])
    values = pd.to_numeric(population["population"], errors="coerce")
    frame = population.assign(population=values)
    if not keep:
        return pd.DataFrame({"population": [float(values.sum(min_count=1))]})
    grouped = frame.groupby(keep, observed=True, sort=True, dropna=False)["population"]
    return grouped.sum(min_count=1).reset_index()


def _place_group(typed: pd.DataFrame) -> pd.Series:
    groups = list(dict.fromkeys(C.PLACE_GROUP[code] for code in C.PLACE.codes))
    lookup = np.array([groups.index(C.PLACE_GROUP[code]) for code in C.PLACE.codes])
    codes = typed["place"].cat.codes.to_numpy()
    mapped = np.where(codes >= 0, lookup[np.clip(codes, 0, None)], -1)
    dtype = pd.CategoricalDtype(groups, ordered=True)
    return pd.Series(pd.Categorical.from_codes(mapped, dtype=dtype), index=typed.index)


def _rows_by(table: pd.DataFrame, key: str | None, kind: str) -> pd.DataFrame:
    rows = table[table["femicide_type"].astype(str) == kind]
    if key is None:
        return rows.reset_index(drop=True)
    return rows.set_index(rows[key].astype(str))


@dataclass
class _Context:
    typed: pd.DataFrame
    population: pd.DataFrame | None
    levels: list[float]
    min_count: int
    min_reliable: int
    rules: RuleSet
    share_method: str
    rate_method: str
    standard: str
    source: str
    population_source: str | None
    out_dir: Path
    imputations: int = 20
    seed: int = 2022
    # National rule sets shown beside the main one (section "UN statistical count and
    # national legal count"); their cross cubes are protected with the rest of the release.
    national: list[RuleSet] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    # The count tables of the release, protected together (fs.protect), by name.
    release: dict[str, pd.DataFrame] = field(default_factory=dict)
    # (sorted (key, value) pairs, femicide type) of every cell the release withholds.
    withheld: set[tuple[tuple[tuple[str, str], ...], str]] = field(default_factory=set)
    protection: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> float:
        return self.levels[0]

    def indicators(
        self, by: Sequence[str], population: pd.DataFrame | None, frame: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """An indicator table of the release, before protection."""
        import femstat as fs

        return fs.indicators(
            self.typed if frame is None else frame,
            by=list(by),
            population=population,
            level=self.levels,
            share_method=self.share_method,
            rate_method=self.rate_method,
            min_reliable=self.min_reliable,
            rules=self.rules,
        )

    def suppress(self, table: pd.DataFrame) -> pd.DataFrame:
        import femstat as fs

        return fs.suppress(table, self.min_count)

    def pop(self, by: Sequence[str]) -> pd.DataFrame | None:
        if self.population is None:
            return None
        return population_for(self.population, by)

    def hidden(self, value: Any) -> bool:
        """Whether a count of this size is withheld from publication."""
        if _missing(value):
            return True
        return 0 < float(value) < self.min_count

    def withholds(self, kind: str, **group: Any) -> bool:
        """Whether the release withholds the count of ``kind`` in ``group`` (key=value)."""
        return _is_withheld(self.withheld, kind, group)


Withheld = set[tuple[tuple[tuple[str, str], ...], str]]


def _is_withheld(withheld: Withheld, kind: str, group: Mapping[str, Any]) -> bool:
    key = tuple(sorted((k, str(v)) for k, v in group.items()))
    return (key, kind) in withheld


def withheld_cells(protected: Mapping[str, pd.DataFrame]) -> Withheld:
    """Every (group, type) cell that protected count tables withhold.

    Parameters
    ----------
    protected : mapping of str to DataFrame
        Count tables from :func:`femstat.protect`.

    Returns
    -------
    set
        ``(group, type)`` pairs, the group as sorted ``(key, value)`` pairs of text.
    """
    cells: Withheld = set()
    for table in protected.values():
        keys = [str(c) for c in table.columns[: list(table.columns).index("femicide_type")]]
        hidden = table["count"].isna().to_numpy(dtype=bool)
        rows = table.loc[hidden, [*keys, "femicide_type"]].astype(str).to_numpy(dtype=object)
        for row in rows:
            group = tuple(sorted(zip(keys, (str(v) for v in row[:-1]), strict=True)))
            cells.add((group, str(row[-1])))
    return cells


def _protect_release(ctx: _Context, tables: dict[str, pd.DataFrame]) -> None:
    """Protect the release's count tables together and record what they withhold.

    Every count table of the report adds up to the others (margins) and to its own
    typology sums, so a small count hidden in one table could be worked out from the
    others: :func:`femstat.protect` adds the complementary cells, and the derived
    tables (bounds, completeness, standardised rates, trend) withhold what derives from
    a withheld cell (:func:`_derived`).
    """
    import femstat as fs

    protected = fs.protect(tables, min_count=ctx.min_count)
    ctx.release = protected
    ctx.withheld = withheld_cells(protected)
    summary = next(iter(protected.values())).attrs.get("protection", {}) if protected else {}
    ctx.protection = dict(summary)


def _release(ctx: _Context) -> None:
    """Every count table the report publishes, computed first and protected together."""
    tables: dict[str, pd.DataFrame] = {"indicators_overall": ctx.indicators([], None)}
    by_year: pd.DataFrame | None = None
    pop_year = ctx.pop(["year"])
    if ctx.population is not None and pop_year is None:
        ctx.notes["rates_by_year"] = "The population table has no year column: no rates by year."
    elif pop_year is not None:
        try:
            by_year = ctx.indicators(["year"], pop_year)
        except PopulationError as exc:
            ctx.notes["rates_by_year"] = f"Rates by year not computed: {_first_line(exc)}"
    tables["indicators_by_year"] = (
        by_year if by_year is not None else ctx.indicators(["year"], None)
    )
    pop_area = ctx.pop(["area"]) if "area" in ctx.typed.columns else None
    if pop_area is not None:
        try:
            tables["indicators_by_area"] = ctx.indicators(["area"], pop_area)
        except (PopulationError, BreakdownError) as exc:  # no population, or records no area
            ctx.notes["rates_by_area"] = f"Rates by area not computed: {_first_line(exc)}"
    age: pd.DataFrame | None = None
    pop_age = ctx.pop(["age_group"])
    if pop_age is not None:
        pop_age = _in_unodc_groups(ctx, pop_age)
        # The unknown age group has no population; a placeholder denominator keeps
        # fs.indicators from refusing the table, and its rates are blanked here.
        placeholder = pd.DataFrame({"age_group": ["unknown"], "population": [1.0]})
        if "sex" in pop_age.columns:
            placeholder["sex"] = "female"
        try:
            age = ctx.indicators(
                ["age_group"], pd.concat([pop_age, placeholder], ignore_index=True)
            )
        except PopulationError as exc:
            ctx.notes["rates_by_age_group"] = f"Rates by age group not computed: {_first_line(exc)}"
        else:
            unknown = age["age_group"].astype(str) == "unknown"
            rate_cols = [c for c in age.columns if str(c).startswith(("rate", "population"))]
            age.loc[unknown, rate_cols] = np.nan
    tables["indicators_by_age_group"] = (
        age if age is not None else ctx.indicators(["age_group"], None)
    )
    place = ctx.typed.assign(place_group=_place_group(ctx.typed))
    for column, frame in (
        ("mechanism", ctx.typed),
        ("place_group", place),
        ("relationship_group", ctx.typed),
    ):
        tables[f"indicators_by_{column}"] = ctx.indicators([column], None, frame)
    tables.update(_extension_cubes(ctx))
    from femstat.rulesets import cross_counts

    for national in ctx.national:
        tables[f"rule_set_{national.name}"] = cross_counts(ctx.typed, national)
    _protect_release(ctx, tables)


def _in_unodc_groups(ctx: _Context, population: pd.DataFrame) -> pd.DataFrame:
    """A population in other bands (e.g. five-year, for standardising) in UNODC groups."""
    from femstat.ages import UNODC_AGE_GROUPS, regroup

    if set(population["age_group"].astype(str)) <= set(UNODC_AGE_GROUPS.labels):
        return population
    try:
        out = regroup(population, UNODC_AGE_GROUPS, apportion=True)
    except ValueError:
        return population  # fs.indicators names the groups that have no population
    shared = out.attrs["femstat_regroup"]["apportioned"]
    if shared:
        ctx.notes["rates_by_age_group"] = (
            "The population is given in other age bands than the UNODC groups and is summed "
            f"into them; {'the bands' if len(shared) > 1 else 'the band'} {', '.join(shared)} "
            f"{'straddle' if len(shared) > 1 else 'straddles'} a group boundary and "
            f"{'are' if len(shared) > 1 else 'is'} shared out in proportion to the years of "
            "age in each group."
        )
    return out


def _withhold(table: pd.DataFrame, masks: dict[str, Any], *, mark: bool = True) -> pd.DataFrame:
    """``table`` with the cells of ``masks`` (column -> rows) withheld and their rows marked.

    ``mark=False`` for values that are no count: a row is marked suppressed only when a
    count of it is withheld (a marked row with its counts shown is hidden whole again).
    """
    out = table.copy()
    marked = (
        np.array(out["suppressed"].fillna(False), dtype=bool)
        if "suppressed" in out.columns
        else np.zeros(len(out), dtype=bool)
    )
    for column, mask in masks.items():
        rows = np.asarray(mask, dtype=bool)
        if column in out.columns and rows.any():
            out[column] = out[column].astype("Float64").mask(rows)
            if mark:
                marked |= rows
    out["suppressed"] = marked
    return out


# --------------------------------------------------------------------------- sections


def _completeness(ctx: _Context, validation: ValidationReport) -> _Section:
    import femstat as fs
    from femstat.plots import completeness_chart

    section = _Section("completeness", "Data completeness")
    typed = ctx.typed
    types = typed[ctx.rules.type_column].astype(str)
    n_records = len(typed)
    n_out = int((types == "out_of_scope").sum())
    n_in = n_records - n_out
    # A share of a small group, or of a small number of records, is withheld: the
    # number of records with an item unknown is a count too.
    overall = _protected_completeness(ctx, fs.completeness(typed, rules=ctx.rules))
    by_year = _protected_completeness(ctx, fs.completeness(typed, by="year", rules=ctx.rules))
    share_columns = [
        c for c in overall.columns if str(c).endswith("_unknown") or c == "undetermined"
    ]
    ctx.tables["completeness_overall"] = overall
    ctx.tables["completeness_by_year"] = by_year
    row = overall.iloc[0]
    section.blocks.append(
        f"The data hold {_count_text(ctx, n_records)} victim records. "
        f"{_count_text(ctx, n_in)} are female victims of completed intentional homicide "
        "(ICCS 0101): the framework's universe, called female homicide below. "
        f"{_count_text(ctx, n_out)} records are outside it (male victims, victims of unknown "
        "sex, other ICCS classes); they are kept only for the male comparator indicator."
    )
    if not _missing(row["undetermined"]):
        section.blocks.append(
            f"{row['undetermined'] * 100:.1f} % of female homicide victims could not be "
            "classified (undetermined): the relationship to the perpetrator or a criterion "
            "was unknown. Every femicide count in this report is therefore a lower bound; "
            "the section Bounds gives the upper bound."
        )
    table = _Table(
        "Information unknown among female homicide victims, all years",
        ["Item", "Unknown (% of female homicide victims)"],
        [
            [
                _Cell(
                    "Classified undetermined"
                    if c == "undetermined"
                    else _label(c[: -len("_unknown")])
                ),
                _pct(row[c], hidden=_share_hidden(row, c)),
            ]
            for c in share_columns
        ],
    )
    section.blocks.append(table)
    section.blocks.append(
        _chart(
            "chart-completeness",
            "Bar chart of the share of female homicide victims with each item unknown.",
            "Share of female homicide victims with each item of information unknown, all years.",
            lambda: completeness_chart(overall),
        )
    )
    year_rows = []
    for _, r in by_year.iterrows():
        year_rows.append(
            [
                _Cell(str(r["year"])),
                _n(r["female_homicide"]),
                *[
                    _pct(r[c], hidden=_share_hidden(r, c))
                    for c in (
                        "relationship_unknown",
                        "age_unknown",
                        "any_criterion_unknown",
                        "undetermined",
                    )
                ],
            ]
        )
    section.blocks.append(
        _Table(
            "Completeness by year (% of female homicide victims)",
            [
                "Year",
                "Female homicide victims",
                "Relationship unknown",
                "Age unknown",
                "Any criterion unknown",
                "Undetermined",
            ],
            year_rows,
        )
    )
    notes: list[str] = []
    added = list(validation.added_columns)
    if added:
        notes.append(
            "Columns absent from the input, treated as unknown for every record: "
            + ", ".join(added)
            + "."
        )
    warnings = validation.warnings
    if not warnings.empty:
        for w in warnings.to_dict("records"):
            notes.append(
                f"Data-quality warning ({w['check']}, "
                f"{_count_text(ctx, int(w['n_rows']))} records): {w['detail']}."
            )
    else:
        notes.append("Validation raised no data-quality warnings.")
    section.blocks.append(_Heading("Validation"))
    section.blocks.append(_Bullets(notes))
    return section


# Items of completeness that are cells of a release table: (kind, key, value).
_COMPLETENESS_CELLS: dict[str, tuple[str, str | None, str | None]] = {
    "undetermined": ("undetermined", None, None),
    "relationship_unknown": ("female_homicide", "relationship_group", "unknown"),
    "age_unknown": ("female_homicide", "age_group", "unknown"),
}


def _protected_completeness(ctx: _Context, table: pd.DataFrame) -> pd.DataFrame:
    """A completeness table that withholds what the release withholds, and its complements.

    ``female_homicide`` and each share whose number of records is a cell of the release
    (undetermined, relationship unknown overall, age unknown overall) are withheld with
    that cell. The other items by year add up to the all-years figure, published too: a
    one-way table whose complements :func:`femstat.disclosure.margin_complements` adds.
    """
    from femstat.disclosure import margin_complements

    by_year = "year" in table.columns
    groups = [{"year": y} for y in table["year"]] if by_year else [{}]
    masks: dict[str, Any] = {
        "female_homicide": [ctx.withholds("female_homicide", **g) for g in groups]
    }
    for column, (kind, key, value) in _COMPLETENESS_CELLS.items():
        if key is None:
            masks[column] = [ctx.withholds(kind, **g) for g in groups]
        elif not by_year:
            masks[column] = [ctx.withholds(kind, **{key: value})]
    primary = ctx.suppress(_withhold(table, masks))
    if not by_year:
        return primary
    female = pd.to_numeric(table["female_homicide"], errors="coerce").to_numpy(dtype=np.float64)
    extra: dict[str, Any] = {}
    for column in table.columns:
        name = str(column)
        if not (name.endswith("_unknown") or name == "undetermined") or name in masks:
            continue
        share = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
        records = np.round(np.nan_to_num(share) * female)
        hidden = primary[column].isna().to_numpy(dtype=bool) & (female > 0)
        extra[name] = margin_complements(records, hidden, ctx.min_count) & ~hidden
    return ctx.suppress(_withhold(primary, extra))


def _share_hidden(row: pd.Series, column: str) -> bool:
    """Whether a completeness share was withheld (it is missing by nature only when empty)."""
    total = row["female_homicide"]
    return _missing(row[column]) and (_missing(total) or float(total) > 0)


def _count_text(ctx: _Context, n: int) -> str:
    return f"{_SUPPRESSED} (fewer than {ctx.min_count})" if ctx.hidden(n) else f"{n:,}"


_BY_YEAR_TYPES = (
    "intimate_partner",
    "family_member",
    "other_perpetrator",
    "femicide",
    "undetermined",
    "not_femicide",
    "female_homicide",
)
_TYPE_ORDER = (*_BY_YEAR_TYPES, "partner_or_family", "male_partner_or_family")
_TOTALS = {"femicide", "female_homicide"}
_UNSPECIFIED = "partner_or_family_unspecified"


def _with_unspecified(kinds: Sequence[str], table: pd.DataFrame) -> list[str]:
    """``kinds`` with partner_or_family_unspecified after family_member when ``table`` has
    such victims (or hides their count): most data has none, and an empty column says
    nothing."""
    rows = table[table["femicide_type"].astype(str) == _UNSPECIFIED]
    shown = len(rows) > 0 and bool((rows["count"].isna() | (rows["count"] > 0)).any())
    out = list(kinds)
    if shown and "family_member" in out:
        out.insert(out.index("family_member") + 1, _UNSPECIFIED)
    return out


def _counts(ctx: _Context) -> tuple[_Section, pd.DataFrame]:
    from femstat.plots import typology_chart

    section = _Section("counts", "Counts by femicide type")
    overall = ctx.release["indicators_overall"]
    ctx.tables["indicators_overall"] = overall
    rows = {str(r["femicide_type"]): r for _, r in overall.iterrows()}
    body: list[list[_Cell]] = []
    totals: set[int] = set()
    for kind in _with_unspecified(_TYPE_ORDER, overall):
        if kind not in rows:
            continue
        r = rows[kind]
        hidden = bool(r["suppressed"]) or _missing(r["share_denominator"])
        if kind in _TOTALS:
            totals.add(len(body))
        # Female homicide is 100 % of itself by definition: no interval to show.
        interval = (
            _Cell(_DASH, "num")
            if kind == "female_homicide"
            else _interval(r["share_lower"], r["share_upper"], scale=100.0, hidden=hidden)
        )
        body.append(
            [_Cell(_label(kind)), _n(r["count"]), _pct(r["share"], hidden=hidden), interval]
        )
    n_femicide_types = 4 if _UNSPECIFIED in _with_unspecified(_TYPE_ORDER, overall) else 3
    section.blocks.append(
        "Each female homicide victim has exactly one type. Femicide is the sum of the "
        f"{'four' if n_femicide_types == 4 else 'three'} femicide types; female homicide is "
        "every in-scope victim. Shares are of female homicide victims (for the male "
        "comparator, of male homicide victims)."
    )
    section.blocks.append(
        _Table(
            "Victims by femicide type, all years",
            [
                "Type",
                "Victims",
                "Share (%)",
                f"{_level_text(ctx.level)} confidence interval (%)",
            ],
            body,
            totals,
            note=f"Out of scope (not counted as female homicide): "
            f"{_count_text(ctx, int(rows['out_of_scope']['count']))} records."
            if "out_of_scope" in rows and not _missing(rows["out_of_scope"]["count"])
            else "",
        )
    )
    section.blocks.append(
        _chart(
            "chart-typology",
            "Horizontal bar chart of the number of victims of each femicide type.",
            "Female homicide victims by femicide type, all years; the share of "
            "female homicide victims is in brackets.",
            lambda: typology_chart(overall),
        )
    )
    by_year = ctx.release["indicators_by_year"]
    ctx.tables["indicators_by_year"] = by_year
    year_types = _with_unspecified(_BY_YEAR_TYPES, by_year)
    wide = {k: _rows_by(by_year, "year", k) for k in year_types}
    years = list(wide["femicide"].index)
    section.blocks.append(
        _Table(
            "Victims by femicide type and year",
            ["Year", *[_label(k) for k in year_types]],
            [[_Cell(y), *[_n(wide[k].loc[y, "count"]) for k in year_types]] for y in years],
        )
    )
    return section, overall


_COMPARISON_HEADER = {
    "femicide": "Femicide",
    "intimate_partner": "Intimate partner",
    "family_member": "Family member",
    "partner_or_family_unspecified": "Partner or family, not known which",
    "other_perpetrator": "Other perpetrator",
    "linked_victims": "Linked victims",
    "undetermined": "Undetermined",
    "counted_by_both": "Counted by both",
    "only_this_rule_set": "By this rule set only",
    "only_un": "By the UN rule only",
}


def _rule_sets(ctx: _Context) -> _Section:
    """The section "UN statistical count and national legal count"."""
    from femstat.plots import rule_set_chart
    from femstat.rulesets import COMPARISON_COLUMNS, comparison_from_cross

    section = _Section("rule-sets", "UN statistical count and national legal count")
    cubes = {r.name: ctx.release[f"rule_set_{r.name}"] for r in ctx.national}
    for r in ctx.national:
        ctx.tables[f"rule_set_{r.name}"] = cubes[r.name]
    table = comparison_from_cross(cubes, [ctx.rules, *ctx.national])
    ctx.tables["rule_sets_comparison"] = table
    section.blocks.append(
        "The same records are counted by the UN statistical rule and by each national legal "
        "definition, written as a femstat rule set from the law's text. A record whose "
        "legally decisive facts are not recorded is undetermined under that rule set, not "
        "excluded. Linked victims (people killed in connection with a woman's "
        "gender-related killing) are a class of the national rule set only and are not "
        "part of its femicide count. The last three columns compare each rule set's "
        "femicide count with the UN one, record by record; every number is a sum of "
        f"protected cells, and a sum over a withheld cell is withheld too ({_SUPPRESSED})."
    )
    body = [
        [_Cell(str(row["rule_set"])), *[_n(row[c]) for c in COMPARISON_COLUMNS]]
        for _, row in table.iterrows()
    ]
    section.blocks.append(
        _Table(
            "Victims by rule set: femicide count, types and agreement with the UN count",
            ["Rule set", *[_COMPARISON_HEADER[c] for c in COMPARISON_COLUMNS]],
            body,
            {0},
        )
    )
    section.blocks.append(
        _chart(
            "chart-rule-sets",
            "Grouped horizontal bar chart of the victims of each femicide type, linked "
            "victims and undetermined records under each rule set.",
            "Victims by type under the UN rule and each national rule set.",
            lambda: rule_set_chart(table),
        )
    )
    section.blocks.append(
        _Bullets(
            [
                f"{r.name}: {r.title}. {r.legal.get('law', '')}, {r.legal.get('article', '')} "
                f"(text of {r.legal.get('text_date', '')}); {r.legal.get('url', '')}"
                for r in ctx.national
            ]
        )
    )
    return section


def _rates(ctx: _Context) -> tuple[_Section, pd.DataFrame | None]:
    import femstat as fs

    section = _Section("rates", "Rates per 100,000 women")
    if ctx.population is None:
        section.blocks.append(
            "No population was given, so no rates are computed. Give a female population "
            "table keyed by year (and area, age group) to add rates, their intervals and "
            "the trend."
        )
        return section, None
    if "rates_by_year" in ctx.notes:
        section.blocks.append(ctx.notes["rates_by_year"])
        return section, None
    by_year = ctx.release["indicators_by_year"]
    section.blocks.append(
        "Rates are victims per 100,000 female population per year, with "
        f"{', '.join(_level_text(x) for x in ctx.levels)} confidence intervals "
        "(see Methods). A rate from fewer than "
        f"{ctx.min_reliable} victims is marked {_UNRELIABLE} (unreliable)."
    )
    kinds = ["femicide", "partner_or_family", "female_homicide"]
    wide = {k: _rows_by(by_year, "year", k) for k in kinds}
    header = ["Year", "Femicides", "Femicide rate"]
    for lvl in ctx.levels:
        header.append(f"{_level_text(lvl)} CI")
    header += [
        "Partner or family rate",
        f"{_level_text(ctx.level)} CI",
        "Female homicide rate",
        f"{_level_text(ctx.level)} CI",
    ]
    body = []
    for year in wide["femicide"].index:
        f = wide["femicide"].loc[year]
        cells = [_Cell(str(year)), _n(f["count"]), _rate_cell(f)]
        for i, lvl in enumerate(ctx.levels):
            s = _suffix(i, lvl)
            cells.append(
                _interval(f[f"rate_lower{s}"], f[f"rate_upper{s}"], hidden=bool(f["suppressed"]))
            )
        for k in kinds[1:]:
            r = wide[k].loc[year]
            cells += [
                _rate_cell(r),
                _interval(r["rate_lower"], r["rate_upper"], hidden=bool(r["suppressed"])),
            ]
        body.append(cells)
    section.blocks.append(_Table("Rates by year (per 100,000 women)", header, body))

    if "rates_by_area" in ctx.notes:
        section.blocks.append(ctx.notes["rates_by_area"])
    elif "indicators_by_area" in ctx.release:
        by_area = ctx.release["indicators_by_area"]
        ctx.tables["indicators_by_area"] = by_area
        fem = _rows_by(by_area, "area", "femicide")
        tot = _rows_by(by_area, "area", "female_homicide")
        und = _rows_by(by_area, "area", "undetermined")
        rows = []
        for area in fem.index:
            f = fem.loc[area]
            rows.append(
                [
                    _Cell(str(area)),
                    _n(tot.loc[area, "count"]),
                    _n(f["count"]),
                    _rate_cell(f),
                    _interval(f["rate_lower"], f["rate_upper"], hidden=bool(f["suppressed"])),
                    _pct(
                        und.loc[area, "share"],
                        hidden=bool(und.loc[area, "suppressed"])
                        or _missing(und.loc[area, "share_denominator"]),
                    ),
                ]
            )
        section.blocks.append(
            _Table(
                "Femicide by area, all years pooled (average annual rate per 100,000 women)",
                [
                    "Area",
                    "Female homicide victims",
                    "Femicides",
                    "Femicide rate",
                    f"{_level_text(ctx.level)} CI",
                    "Undetermined (%)",
                ],
                rows,
            )
        )
        section.blocks.append(_rate_ratios_by_area(ctx, by_area))
    section.blocks.append(_Heading("Age-standardised rates"))
    section.blocks.append(_standardised(ctx, fs))
    return section, by_year


def _standardised(ctx: _Context, fs: Any) -> _Block:
    from femstat.stats import standard_population

    std = standard_population(ctx.standard)
    pop = ctx.pop(["year", "age_group"])
    if pop is None:
        return (
            f"Not computed: the population has no age_group column, which direct "
            f"standardisation to the {std.name} standard needs."
        )
    bands = set(pop["age_group"].astype(str))
    if bands != set(std.labels):
        return (
            f"Not computed: the population's age groups are not the {std.name} standard's "
            f"five-year bands ({std.labels[0]}, ..., {std.labels[-1]}). Give the population "
            "in those bands to add age-standardised rates."
        )
    try:
        table = fs.age_standardised_rates(
            ctx.typed,
            by="year",
            population=pop,
            standard=std.name,
            level=ctx.levels,
            rules=ctx.rules,
        )
    except (PopulationError, ValueError) as exc:
        return f"Not computed: {_first_line(exc)}"
    table = _protected_standardised(ctx, table)
    ctx.tables["standardised_by_year"] = table
    rows = [
        [
            _Cell(str(r["year"])),
            _n(r["count"]),
            _rate(r["crude_rate"], hidden=_missing(r["count"])),
            _rate(r["rate"], hidden=_missing(r["count"])),
            _interval(r["rate_lower"], r["rate_upper"], hidden=_missing(r["count"])),
        ]
        for _, r in table.iterrows()
    ]
    return _Table(
        f"Femicide rate by year, age-standardised to the {std.name} standard (per 100,000 women)",
        ["Year", "Femicides (known age)", "Crude rate", "Standardised rate", "CI"],
        rows,
    )


def _rate_ratios_by_area(ctx: _Context, by_area: pd.DataFrame) -> _Block:
    """Each area's femicide rate against the area with the largest female population."""
    import femstat as fs

    pop_area = ctx.pop(["area"])
    assert pop_area is not None
    fem = by_area[by_area["femicide_type"].astype(str) == "femicide"]
    reference = str(fem.sort_values("population", ascending=False, kind="stable")["area"].iloc[0])
    try:
        table = fs.rate_ratios(
            ctx.typed,
            by="area",
            population=pop_area,
            reference=reference,
            of="femicide",
            level=ctx.level,
            rules=ctx.rules,
        )
    except (ValueError, FemstatError) as exc:
        return f"Rate ratios by area not computed: {_first_line(exc)}"
    areas = table["area"].astype(str).tolist()

    def withheld(area: str, *kinds: str) -> bool:
        return any(ctx.withholds(kind, area=area) for kind in kinds)

    # A comparison publishes both groups' femicide counts and shares: it withholds what
    # the release withholds for either (a share with its female homicide count).
    counts = {
        "count": [withheld(a, "femicide") for a in areas],
        "reference_count": [withheld(reference, "femicide")] * len(areas),
    }
    table = ctx.suppress(_withhold(table, counts))
    share = np.array([withheld(a, "female_homicide") for a in areas], dtype=bool)
    share_ref = np.full(len(areas), withheld(reference, "female_homicide"))
    share_diff = share | share_ref | table["share"].isna().to_numpy(dtype=bool)
    shares = {"share": share, "reference_share": share_ref}
    shares.update({str(c): share_diff for c in table.columns if str(c).startswith("share_diff")})
    table = _withhold(table, shares, mark=False)
    ctx.tables["rate_ratios_by_area"] = table
    rows = [
        [
            _Cell(str(r["area"])),
            _n(r["count"]),
            _rate(r["rate"], hidden=_missing(r["count"])),
            _Cell(_SUPPRESSED, "c")
            if _missing(r["rate_ratio"])
            else _Cell(f"{float(r['rate_ratio']):.2f}", "num"),
            _Cell(_SUPPRESSED, "c")
            if _missing(r["rate_ratio"])
            else _Cell(
                f"{float(r['rate_ratio_lower']):.2f}{_DASH}{float(r['rate_ratio_upper']):.2f}",
                "num",
            ),
            _Cell(_SUPPRESSED, "c")
            if _missing(r["p_value"])
            else _Cell(_p_text(float(r["p_value"])), "num"),
        ]
        for _, r in table.iterrows()
    ]
    return _Table(
        f"Femicide rate of each area compared with {reference}, the area with the largest "
        "female population (all years pooled)",
        [
            "Area",
            "Femicides",
            "Femicide rate",
            "Rate ratio",
            f"{_level_text(ctx.level)} CI",
            "p-value",
        ],
        rows,
        note="Rate ratio: the area's rate divided by the reference area's, with the exact "
        "conditional interval and two-sided p-value of the comparison of two Poisson rates "
        "(as R's poisson.test). Each area is compared on its own: the p-values are not "
        "adjusted for the number of comparisons.",
    )


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _protected_standardised(ctx: _Context, table: pd.DataFrame) -> pd.DataFrame:
    """Standardised rates by year that withhold what the release withholds.

    A year whose femicide count is withheld has its standardised rate withheld. The
    known-age and unknown-age counts of a year add up to its femicide count, and the
    unknown-age counts of all years to the femicides of unknown age of the age table:
    the unknown-age counts get the complements of a one-way table, and a withheld one
    withholds the year's known-age count (and rates) with it.
    """
    from femstat.disclosure import margin_complements

    years = table["year"].tolist()
    masks = {"count": [ctx.withholds("femicide", year=y) for y in years]}
    primary = ctx.suppress(_withhold(table, masks))
    unknown = pd.to_numeric(table["count_unknown_age"], errors="coerce").to_numpy(dtype=np.float64)
    hidden = primary["count_unknown_age"].isna().to_numpy(dtype=bool)
    hidden = margin_complements(unknown, hidden, ctx.min_count)
    return ctx.suppress(_withhold(primary, {"count": hidden, "count_unknown_age": hidden}))


def _rate_cell(row: pd.Series) -> _Cell:
    hidden = bool(row["suppressed"])
    return _rate(row["rate"], hidden=hidden, reliable=hidden or bool(row["reliable"]))


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _bounds_cells(label: str, r: pd.Series) -> list[_Cell]:
    """The count and share cells of one row of the bounds table (a year or all years)."""
    return [
        _Cell(label),
        _n(r["female_homicide"]),
        _n(r["lower"]),
        _n(r["upper"]),
        _pct(r["lower_share"], hidden=_missing(r["lower"]) or _missing(r["female_homicide"])),
        _pct(r["upper_share"], hidden=_missing(r["upper"]) or _missing(r["female_homicide"])),
    ]


def _protected_bounds(
    ctx: _Context, table: pd.DataFrame, groups: list[dict[str, Any]]
) -> pd.DataFrame:
    """Bounds that withhold what the release withholds: they are sums of its cells.

    The lower bound is the femicide count; the upper bound adds the undetermined count.
    """
    femicide = np.array([ctx.withholds("femicide", **g) for g in groups], dtype=bool)
    undetermined = np.array([ctx.withholds("undetermined", **g) for g in groups], dtype=bool)
    masks = {
        "female_homicide": [ctx.withholds("female_homicide", **g) for g in groups],
        "lower": femicide,
        "upper": femicide | undetermined,
    }
    return ctx.suppress(_withhold(table, masks))


def _bounds(ctx: _Context) -> tuple[_Section, pd.DataFrame]:
    import femstat as fs

    section = _Section("bounds", "Bounds")
    pop_year = ctx.pop(["year"])
    try:
        table = fs.bounds(ctx.typed, by="year", population=pop_year, rules=ctx.rules)
    except PopulationError:
        table = fs.bounds(ctx.typed, by="year", rules=ctx.rules)
    total = fs.bounds(ctx.typed, rules=ctx.rules)
    table = _protected_bounds(ctx, table, [{"year": y} for y in table["year"]])
    total = _protected_bounds(ctx, total, [{}])
    ctx.tables["bounds_by_year"] = table
    section.blocks.append(
        "The lower bound counts the femicides identified as such; the upper bound adds the "
        "undetermined victims, who may or may not have been killed in a femicide. The true "
        "number lies between the two; the gap is the price of missing information."
    )
    has_rate = "lower_rate" in table.columns
    header = [
        "Year",
        "Female homicide victims",
        "Lower bound",
        "Upper bound",
        "Lower share (%)",
        "Upper share (%)",
    ]
    if has_rate:
        header += ["Lower rate", "Upper rate"]
    rows = []
    for _, r in table.iterrows():
        cells = _bounds_cells(str(r["year"]), r)
        if has_rate:
            cells += [
                _rate(r["lower_rate"], hidden=_missing(r["lower"])),
                _rate(r["upper_rate"], hidden=_missing(r["upper"])),
            ]
        rows.append(cells)
    last = _bounds_cells("All years", total.iloc[0])
    if has_rate:
        last += [_Cell(_DASH, "num"), _Cell(_DASH, "num")]
    rows.append(last)
    unit = " (rates per 100,000 women)" if has_rate else ""
    section.blocks.append(
        _Table(f"Bounds of the number of femicides by year{unit}", header, rows, {len(rows) - 1})
    )
    return section, table


_ESTIMATED = ("femicide", "partner_or_family")


def _estimates(ctx: _Context) -> _Section:
    """Per year: the lower bound, the estimate with its interval, the upper bound."""
    import femstat as fs
    from femstat.plots import estimate_chart

    section = _Section("estimates", "Estimates with uncertainty")
    if ctx.imputations == 0:
        section.blocks.append("Not computed: the report was made without imputations.")
        return section
    pop_year = ctx.pop(["year"]) if "rates_by_year" not in ctx.notes else None
    try:
        table = fs.estimate(
            ctx.typed,
            by="year",
            population=pop_year,
            m=ctx.imputations,
            seed=ctx.seed,
            level=ctx.level,
            rules=ctx.rules,
            progress=False,
        )
    except (ValueError, FemstatError) as exc:
        section.blocks.append(f"Not computed: {_first_line(exc)}")
        return section
    table = withhold_estimates(table, ctx.withheld, ["year"])
    ctx.tables["estimates_by_year"] = table
    section.blocks.append(
        "The bounds say only that the number of femicides lies between the identified "
        "femicides and those plus every undetermined victim. The estimate fills in what is "
        "unknown by multiple imputation: the relationship to the perpetrator and the "
        "criteria of the undetermined victims are drawn, "
        f"{ctx.imputations} times, from models fitted to the victims for whom they are "
        "known (by age group, mechanism, place, year and area where present), each "
        "completed data set is classified by the same rules, and the results are combined "
        "by Rubin's rules. The interval carries the uncertainty of what is unknown; it "
        "assumes that, given those characteristics, the unknown cases resemble the known "
        "ones (missing at random). See Methods."
    )
    header = [
        "Year",
        "Lower bound",
        "Estimate",
        f"{_level_text(ctx.level)} interval",
        "Upper bound",
    ]
    for of in _ESTIMATED:
        rows = table[table["femicide_type"].astype(str) == of]
        body = [
            [
                _Cell(str(r["year"])),
                _n(r["bound_lower"]),
                _Cell(_SUPPRESSED, "c")
                if _missing(r["estimate"])
                else _Cell(f"{float(r['estimate']):,.0f}", "num"),
                _interval(r["lower"], r["upper"], hidden=_missing(r["estimate"])),
                _n(r["bound_upper"]),
            ]
            for _, r in rows.iterrows()
        ]
        section.blocks.append(
            _Table(f"{_label(of)}: bounds and estimate by year (number of victims)", header, body)
        )
    section.blocks.append(
        _chart(
            "chart-estimates",
            "Chart of the estimated number of femicides by year with its interval, between "
            "the lower and upper bounds.",
            f"Femicides by year: the estimate with its {_level_text(ctx.level)} interval "
            "(multiple imputation), the lower bound (identified femicides) and the upper "
            "bound (identified + undetermined).",
            lambda: estimate_chart(
                table,
                of="femicide",
                level=ctx.level,
                title="Femicides by year: estimate between the bounds",
            ),
        )
    )
    return section


def withhold_estimates(
    table: pd.DataFrame, withheld: Withheld, by: Sequence[str], kinds: Sequence[str] = _ESTIMATED
) -> pd.DataFrame:
    """Estimates (:func:`femstat.estimate`) that withhold what a protected release withholds.

    Parameters
    ----------
    table : pandas.DataFrame
        Estimates by ``by``.
    withheld : set
        The cells the release withholds (:func:`withheld_cells`).
    by : sequence of str
        The breakdown of ``table``.
    kinds : sequence of str
        The rows kept.

    Returns
    -------
    pandas.DataFrame
        The rows of ``kinds``. The bounds are counts of the release (the lower bound its
        type's count, the upper bound adds undetermined victims): each is withheld with
        its cells, and a group whose count or undetermined count is withheld has its
        estimate, interval, shares and rates withheld too, as values computed from them.
    """
    groups = [dict(zip(by, values, strict=True)) for values in table[list(by)].to_numpy()]
    types = table["femicide_type"].astype(str).tolist()
    lower = np.array(
        [_is_withheld(withheld, k, g) for k, g in zip(types, groups, strict=True)], dtype=bool
    )
    undetermined = np.array([_is_withheld(withheld, "undetermined", g) for g in groups], dtype=bool)
    both = lower | undetermined
    derived = [
        c
        for c in table.columns
        if str(c) in ("observed", "estimate", "lower", "upper", "fmi", "df")
        or str(c).startswith(("share", "rate"))
    ]
    masks: dict[str, Any] = {"bound_lower": lower, "bound_upper": both}
    masks.update(dict.fromkeys(derived, both))
    masks["observed"] = lower
    out = _withhold(table, masks)
    out = out[out["femicide_type"].astype(str).isin(list(kinds))].reset_index(drop=True)
    out.attrs = dict(table.attrs)
    return out


def _trend(ctx: _Context, by_year: pd.DataFrame | None, bounds: pd.DataFrame) -> _Section:
    import femstat as fs
    from femstat.plots import trend_chart
    from femstat.stats import poisson_interval

    section = _Section("trend", "Trend")
    if by_year is None:
        table = ctx.release["indicators_by_year"].copy()
        femicide = table["femicide_type"].astype(str) == "femicide"
        counts = table["count"].to_numpy(dtype=np.float64, na_value=np.nan)
        known = ~np.isnan(counts)
        lower = np.full(len(table), np.nan)
        upper = np.full(len(table), np.nan)
        lower[known], upper[known] = poisson_interval(counts[known], level=ctx.level)
        table["count_lower"] = np.where(femicide, lower, np.nan)
        table["count_upper"] = np.where(femicide, upper, np.nan)
        up = bounds.set_index("year")["upper"].astype("Float64")

        def draw_counts() -> Any:
            return trend_chart(
                table,
                value="count",
                upper=up,
                level=ctx.level,
                title="Femicides by year (number of victims)",
            )

        section.blocks.append(
            _chart(
                "chart-trend",
                "Line chart of the number of femicides by year with its confidence band and "
                "the upper bound.",
                "Femicides by year, with the exact Poisson "
                f"{_level_text(ctx.level)} confidence band, the upper bound (femicide + "
                "undetermined) and female homicide. No population was given: no rates, "
                "no annual percent change.",
                draw_counts,
            )
        )
        return section
    pop_year = ctx.pop(["year"])
    assert pop_year is not None
    apcs: dict[str, tuple[float, float, float]] = {}
    notes = []
    for of in ("femicide", "partner_or_family", "female_homicide"):
        try:
            t = fs.trend(ctx.typed, population=pop_year, of=of, level=ctx.level, rules=ctx.rules)
        except (ValueError, FemstatError) as exc:
            notes.append(f"{_label(of)}: not computed ({_first_line(exc)}).")
            continue
        # A trend is fitted to every year of the series: with the other years published,
        # it would give a withheld year back. The APC of a series with a withheld year
        # (or a withheld total) is withheld.
        gap = any(ctx.withholds(of, year=y) for y in by_year["year"].unique())
        t = ctx.suppress(_withhold(t, {"apc": [gap] * len(t)}))
        r = t.iloc[0]
        apcs[of] = (
            (np.nan, np.nan, np.nan)
            if bool(r["suppressed"])
            else (float(r["apc"]), float(r["apc_lower"]), float(r["apc_upper"]))
        )
        ctx.tables.setdefault("trend", t.iloc[0:0])
        ctx.tables["trend"] = pd.concat([ctx.tables["trend"], t.assign(of=of)], ignore_index=True)
    upper_rate = bounds.set_index("year")["upper_rate"] if "upper_rate" in bounds.columns else None
    femicide_apc = apcs.get("femicide")

    def draw_rates() -> Any:
        return trend_chart(
            by_year,
            upper=upper_rate,
            apc=femicide_apc if femicide_apc is not None and np.isfinite(femicide_apc[0]) else None,
            level=ctx.level,
            title="Femicide rate by year (per 100,000 women)",
        )

    section.blocks.append(
        _chart(
            "chart-trend",
            "Line chart of the femicide rate per 100,000 women by year with its confidence "
            "band, the upper-bound rate and the female homicide rate.",
            f"Femicide rate by year with its {_level_text(ctx.level)} confidence "
            "band (exact Poisson), the upper bound (femicide + undetermined, dashed) and the "
            "female homicide rate (dotted), per 100,000 women.",
            draw_rates,
        )
    )
    years = by_year["year"]
    span = f"{years.min()}{_DASH}{years.max()}"
    hidden_series = {
        str(r["of"])
        for _, r in ctx.tables.get("trend", pd.DataFrame()).iterrows()
        if bool(r["suppressed"])
    }
    rows = [
        [
            _Cell(_label(of)),
            _Cell(span),
            _Cell(_SUPPRESSED, "c")
            if of in hidden_series
            else _Cell(f"{a:+.1f}" if np.isfinite(a) else _DASH, "num"),
            _Cell(_SUPPRESSED, "c")
            if of in hidden_series
            else _Cell(f"{lo:+.1f} to {hi:+.1f}" if np.isfinite(lo) else _DASH, "num"),
        ]
        for of, (a, lo, hi) in apcs.items()
    ]
    section.blocks.append(
        _Table(
            "Annual percent change of the rate (log-linear quasi-Poisson model)",
            ["Indicator", "Years", "APC (% per year)", f"{_level_text(ctx.level)} CI"],
            rows,
            note=" ".join(notes),
        )
    )
    return section


def _breakdowns(ctx: _Context) -> _Section:
    from femstat.plots import age_chart, breakdown_chart

    section = _Section("breakdowns", "Breakdowns")
    # Age group.
    section.blocks.append(_Heading("By age group"))
    if "rates_by_age_group" in ctx.notes:
        section.blocks.append(ctx.notes["rates_by_age_group"])
    age_table = ctx.release["indicators_by_age_group"]
    with_rates = "rate" in age_table.columns
    ctx.tables["indicators_by_age_group"] = age_table
    value = "rate" if with_rates else "count"
    section.blocks.append(
        _chart(
            "chart-age",
            f"Chart of the {value} of femicide and female homicide by age group.",
            "Femicide and female homicide by age group of the victim"
            + (
                f", average annual rate per 100,000 women of the age group, all years "
                f"pooled, with {_level_text(ctx.level)} confidence intervals."
                if with_rates
                else " (number of victims)."
            ),
            lambda: age_chart(age_table, value=value, level=ctx.level),
        )
    )
    fem = _rows_by(age_table, "age_group", "femicide")
    tot = _rows_by(age_table, "age_group", "female_homicide")
    header = ["Age group", "Female homicide victims", "Femicides", "Femicide share (%)"]
    if with_rates:
        header += ["Femicide rate", f"{_level_text(ctx.level)} CI", "Female homicide rate"]
    rows = []
    for group in fem.index:
        f, t = fem.loc[group], tot.loc[group]
        cells = [
            _Cell("Unknown" if group == "unknown" else str(group)),
            _n(t["count"]),
            _n(f["count"]),
            _pct(f["share"], hidden=bool(f["suppressed"]) or _missing(t["count"])),
        ]
        if with_rates:
            if group == "unknown":
                cells += [_Cell(_DASH, "num")] * 3
            else:
                cells += [
                    _rate_cell(f),
                    _interval(f["rate_lower"], f["rate_upper"], hidden=bool(f["suppressed"])),
                    _rate_cell(t),
                ]
        rows.append(cells)
    section.blocks.append(
        _Table(
            "Femicide by age group of the victim, all years"
            + (
                " (rates: average annual, per 100,000 women of the age group)" if with_rates else ""
            ),
            header,
            rows,
            note="Victims of unknown age have no population and no rate." if with_rates else "",
        )
    )
    # Mechanism, place, relationship.
    specs = [
        ("mechanism", "mechanism", "Mechanism (weapon or means) of the killing"),
        ("place", "place_group", "Place of the killing"),
        ("relationship", "relationship_group", "Relationship of the perpetrator to the victim"),
    ]
    for name, column, title in specs:
        section.blocks.append(_Heading(f"By {name}"))
        table = ctx.release[f"indicators_by_{column}"]
        ctx.tables[f"indicators_by_{column}"] = table
        section.blocks.append(
            _chart(
                f"chart-{name}",
                f"Stacked bar chart of female homicide victims by {_label(column).lower()}, "
                "split by femicide type.",
                f"{title}: female homicide victims by femicide type, all years.",
                functools.partial(breakdown_chart, table, column, title=title),
            )
        )
        kinds = _with_unspecified(
            [
                "intimate_partner",
                "family_member",
                "other_perpetrator",
                "undetermined",
                "not_femicide",
            ],
            table,
        )
        wide = {k: _rows_by(table, column, k) for k in [*kinds, "femicide", "female_homicide"]}
        rows = []
        for category in wide["female_homicide"].index:
            femicide = wide["femicide"].loc[category]
            rows.append(
                [
                    _Cell(_label(category)),
                    _n(wide["female_homicide"].loc[category, "count"]),
                    *[_n(wide[k].loc[category, "count"]) for k in kinds],
                    _pct(
                        femicide["share"],
                        hidden=bool(femicide["suppressed"])
                        or _missing(femicide["share_denominator"]),
                    ),
                ]
            )
        section.blocks.append(
            _Table(
                f"{title}: victims by femicide type, all years",
                [
                    _label(name),
                    "Female homicide victims",
                    *[_label(k) for k in kinds],
                    "Femicide share (%)",
                ],
                rows,
            )
        )
    return section


# ----------------------------------------------------------- linked victims and orphans


def _extension_cubes(ctx: _Context) -> dict[str, pd.DataFrame]:
    """The count cubes of the extension variables present, for the release.

    Both are cubes of every victim (fs.counts), so that they add up to the other tables
    of the release and are protected with them: victims by linked status, sex and age
    group; victims by number of orphans.
    """
    from femstat.extensions import linked_victims_cube, orphans_cube

    cubes: dict[str, pd.DataFrame] = {}
    column = ctx.rules.type_column
    if "linked_victim" in ctx.typed.columns:
        cubes["linked_victims"] = linked_victims_cube(ctx.typed, type_column=column)
    if "orphans" in ctx.typed.columns:
        cubes["orphans"] = orphans_cube(ctx.typed, type_column=column)
    return cubes


def _sum_or_withheld(values: pd.Series) -> float:
    """The sum, or NA when any part is withheld (a sum over a hidden cell would reveal it)."""
    return float(values.sum()) if values.notna().all() else np.nan


def _orphans_table(cube: pd.DataFrame, overall: pd.DataFrame, type_column: str) -> pd.DataFrame:
    """fs.orphans of the protected cube, with the release's own number of victims.

    The victims of each type are published in the overall table already (protected with
    the rest), so they are taken from there rather than summed over the cube, where a
    complementary cell may hide them; those whose number of orphans is known follow.
    """
    import femstat as fs

    table = fs.orphans(cube, type_column=type_column)
    published = overall.set_index(overall["femicide_type"].astype(str))["count"]
    victims = table[type_column].astype(str).map(published).astype("Float64")
    table["victims"] = victims
    table["victims_known"] = victims - table["victims_unknown"].astype("Float64")
    return table


def _extensions(ctx: _Context) -> _Section | None:
    """The section "Linked victims and orphans", when the data record either."""
    import femstat as fs
    from femstat.plots import linked_orphans_chart

    linked_cube = ctx.release.get("linked_victims")
    orphans_cube = ctx.release.get("orphans")
    if linked_cube is None and orphans_cube is None:
        return None
    section = _Section("linked-orphans", "Linked victims and orphans")
    section.blocks.append(
        "These figures come from variables beyond the UN framework (femstat's extension "
        "variables linked_victim and orphans) and do not change any count above. A linked "
        "victim was killed in connection with the femicide of a woman or girl in the same "
        "event (her children, a person who tried to stop it); orphans are the children "
        "under 18 a femicide victim left. Counts are protected with the rest of the release."
    )
    linked = orphans = None
    if linked_cube is not None:
        ctx.tables["linked_victims"] = linked_cube
        linked = fs.linked_victims(linked_cube, type_column=ctx.rules.type_column)
        section.blocks.append(_Heading("Linked victims"))
        # A sex with no linked victim at all (every cell a published zero) is left out.
        shown = linked["count"].isna() | (linked["count"] > 0)
        sexes = [x for x in C.SEX.codes if (shown & (linked["victim_sex"] == x)).any()]
        wide = linked.pivot(index="age_group", columns="victim_sex", values="count")
        groups = list(dict.fromkeys(linked["age_group"]))
        body = [
            [
                _Cell("Unknown" if group == "unknown" else group),
                *[_n(wide.loc[group, sex]) for sex in sexes],
                _n(_sum_or_withheld(wide.loc[group, sexes])),
            ]
            for group in groups
        ]
        total = [
            _Cell("Total"),
            *[_n(_sum_or_withheld(wide[sex])) for sex in sexes],
            _n(_sum_or_withheld(linked["count"])),
        ]
        section.blocks.append(
            _Table(
                "Linked victims of femicides, by age group and sex, all years",
                ["Age group", *[_label(sex) for sex in sexes], "Total"],
                [*body, total],
                total_rows={len(body)},
                note="Linked victims whose event has no femicide (or no event_id) are "
                "not counted here.",
            )
        )
    if orphans_cube is not None:
        ctx.tables["orphans"] = orphans_cube
        orphans = _orphans_table(
            orphans_cube, ctx.release["indicators_overall"], ctx.rules.type_column
        )
        section.blocks.append(_Heading("Orphans"))
        body = [
            [
                _Cell(_label(r.femicide_type)),
                _n(r.victims),
                _n(r.victims_known),
                _n(r.orphans),
                _n(r.victims_unknown),
            ]
            for r in orphans.itertuples(index=False)
        ]
        section.blocks.append(
            _Table(
                "Children under 18 left by femicide victims, by femicide type, all years",
                [
                    "Femicide type",
                    "Victims",
                    "Number of orphans known",
                    "Children left",
                    "Number of orphans not known",
                ],
                body,
                total_rows={len(body) - 1},
                note="Children left counts the orphans of the victims whose number is known: "
                "a lower bound when some are not known (never counted as zero).",
            )
        )
    section.blocks.append(
        _chart(
            "chart-linked-orphans",
            "Bar charts of linked victims by age group and sex, and of children left by "
            "femicide type, for the variables the data hold.",
            "Linked victims of femicides by age group and sex, and children under 18 left "
            "by femicide victims by type, all years.",
            lambda: linked_orphans_chart(linked, orphans),
        )
    )
    return section


def _suppression_text(ctx: _Context, withheld: bool = True) -> str:
    if ctx.min_count == 1:
        return (
            "Disclosure control: none. The report was made with a threshold of 1 "
            "(min_count 1): every count is published, however small."
        )
    n_secondary = int(ctx.protection.get("n_secondary", 0))
    return (
        f"Disclosure control: every count from 1 to {ctx.min_count - 1} (fewer than "
        f"{ctx.min_count}) is withheld (primary suppression). Because the tables add up "
        "(the typology sums, and the margins between the overall, by-year, by-area, by-age "
        "and other tables), a withheld count could be worked out by subtraction: "
        f"{n_secondary} further cell(s) are withheld so that it cannot (secondary "
        "suppression, femstat.protect), checked by an attacker's audit that computes the "
        "narrowest interval the published figures allow for every withheld cell (linear "
        f"programming; each must keep at least {ctx.min_count} possible values) "
        "(Hundepool et al. 2012). "
        + (
            f"Both are marked {_SUPPRESSED}; the published tables say which (column "
            "suppressed: primary or secondary; SDMX CONF_STATUS C or D). "
            if withheld
            else f"No published count is from 1 to {ctx.min_count - 1}: nothing is "
            "withheld in this report. "
        )
        + "The shares, rates, intervals, "
        "bounds, completeness shares, standardised rates and trends derived from a "
        "withheld cell are withheld with it, and charts do not draw them. Zero counts are "
        "shown. Not protected: what a reader could learn by comparing this release with "
        "another made from overlapping data (another period, a revised file)."
    )


def _estimates_text(ctx: _Context) -> str:
    if ctx.imputations == 0:
        return "Estimates with uncertainty: not computed (no imputations asked)."
    return (
        f"Estimates with uncertainty: multiple imputation (Rubin 1987), m = "
        f"{ctx.imputations} imputations, seed {ctx.seed}. A multinomial logistic model of the "
        "relationship group and a logistic model of each criterion, fitted to the records "
        "where they are known, with the coefficients drawn from their approximate "
        "posterior in each imputation (proper imputation); each completed data set is "
        "classified by the same rule set; Rubin's rules with the Barnard-Rubin degrees of "
        "freedom combine them (Barnard and Rubin 1999; van Buuren 2018). Counts are treated "
        "as a census: their interval is the imputation uncertainty only. The estimates "
        "assume the unknown values are missing at random given the model's covariates; "
        "femstat.estimates.sensitivity shows how far from that the conclusions hold."
    )


_REFERENCES: tuple[tuple[str, str], ...] = (
    (
        "UNODC 2015",
        "UNODC (2015). International Classification of Crime for Statistical Purposes "
        "(ICCS), version 1.0.",
    ),
    (
        "Garwood 1936",
        "Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika, "
        "28(3/4), 437-442.",
    ),
    (
        "Breslow and Day 1987",
        "Breslow, N. E., & Day, N. E. (1987). Statistical Methods in Cancer Research, Vol. "
        "II. IARC Scientific Publications 82.",
    ),
    (
        "Wilson 1927",
        "Wilson, E. B. (1927). Probable inference, the law of succession, and statistical "
        "inference. JASA, 22(158), 209-212.",
    ),
    (
        "Clopper and Pearson 1934",
        "Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial limits "
        "illustrated in the case of the binomial. Biometrika, 26(4), 404-413.",
    ),
    (
        "Fay and Feuer 1997",
        "Fay, M. P., & Feuer, E. J. (1997). Confidence intervals for directly standardized "
        "rates: a method based on the gamma distribution. Statistics in Medicine, 16(7), "
        "791-801.",
    ),
    ("Rubin 1987", "Rubin, D. B. (1987). Multiple Imputation for Nonresponse in Surveys. Wiley."),
    (
        "Barnard and Rubin 1999",
        "Barnard, J., & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple "
        "imputation. Biometrika, 86(4), 948-955.",
    ),
    (
        "van Buuren 2018",
        "van Buuren, S. (2018). Flexible Imputation of Missing Data, 2nd ed. CRC Press.",
    ),
    (
        "McCullagh and Nelder 1989",
        "McCullagh, P., & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed. Chapman "
        "and Hall (quasi-likelihood, ch. 9).",
    ),
    (
        "Clegg et al. 2009",
        "Clegg, L. X., Hankey, B. F., Tiwari, R., Feuer, E. J., & Edwards, B. K. (2009). "
        "Estimating average annual per cent change in trend analysis. Statistics in "
        "Medicine, 28(29), 3670-3682.",
    ),
    (
        "Hundepool et al. 2012",
        "Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Nordholt, E. S., "
        "Spicer, K., & de Wolf, P.-P. (2012). Statistical Disclosure Control. Wiley (ch. 5: "
        "frequency tables, secondary suppression and its audit).",
    ),
    (
        "Okabe and Ito 2008",
        "Okabe, M., & Ito, K. (2008). Color Universal Design (CUD): how to make figures and "
        "presentations that are friendly to colorblind people. J*Fly Data Depository.",
    ),
)
"""The works the report may cite: (citation as written in the text, full reference)."""

_AUTHOR_YEAR = re.compile(r"^(?P<authors>[^()]+?)\s*\((?P<year>\d{4})\)")


def _rule_set_citation(reference: str) -> str | None:
    """``"UNODC and UN Women (2022). Title"`` → ``"UNODC and UN Women 2022"`` (None: no year)."""
    match = _AUTHOR_YEAR.match(reference.strip())
    return f"{match['authors']} {match['year']}" if match else None


def _cites(text: str, citation: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(citation)}(?!\d)", text) is not None


def _references(sections: Sequence[_Section], rules: RuleSet) -> list[str]:
    """The works the text cites, in the order of :data:`_REFERENCES`: nothing uncited."""
    parts: list[str] = []
    for section in sections:
        for block in section.blocks:
            if isinstance(block, _Bullets):
                parts += block.items
            elif isinstance(block, _Table):
                parts += [block.caption, block.note]
            elif isinstance(block, _Figure):
                parts += [block.caption, block.alt]
            elif isinstance(block, _Heading):
                parts.append(block.text)
            else:
                parts.append(block)
    text = " ".join(parts)
    works = []
    citation = _rule_set_citation(rules.reference) if rules.reference else None
    if citation is not None and _cites(text, citation):
        works.append(rules.reference)
    works += [full for cite, full in _REFERENCES if _cites(text, cite)]
    return works


def _methods(
    ctx: _Context,
    written_tables: Sequence[Path],
    *,
    withheld: bool = True,
    charts: bool = True,
) -> _Section:
    from femstat import __version__
    from femstat.exports import describe_methods

    section = _Section("methods", "Methods and metadata")
    rules = ctx.rules
    methods = describe_methods({"share_method": ctx.share_method, "rate_method": ctx.rate_method})
    levels = ", ".join(_level_text(x) for x in ctx.levels)
    items = [
        f"Rule set: {rules.name}. {rules.description}"
        + (
            f" ({citation})."
            if (citation := _rule_set_citation(rules.reference)) is not None
            else (f" Reference: {rules.reference}" if rules.reference else "")
        ),
        "Universe: female victims of completed intentional homicide (ICCS 0101; UNODC 2015), "
        "counted by "
        "year of killing. Every victim gets one type by the framework's decision procedure: "
        "intimate partner, then family member (the relationship alone qualifies), then other "
        "perpetrator when at least one of the criteria is true "
        f"({', '.join(rules.criteria)}); undetermined when the relationship or a criterion is "
        "unknown (femstat rule); otherwise not femicide.",
        f"Confidence level(s): {levels}.",
        f"Shares of female homicide victims: {methods['share_interval']}.",
        f"Rates per 100,000 female population: {methods['rate_interval']}. Rates over "
        "several years (by area, by age group) are average annual rates: victims divided by "
        "the sum of the yearly populations.",
        "Trend: annual percent change from a log-linear quasi-Poisson model with the "
        "population as exposure (the dispersion estimated from the data, so that the "
        "interval keeps its level when counts vary more from year to year than Poisson "
        "counts), fitted with statsmodels, Wald interval on a t distribution (Clegg et al. "
        "2009; McCullagh and Nelder 1989).",
        f"Age standardisation: direct method against the {ctx.standard} standard "
        "population, gamma intervals (Fay and Feuer 1997), when the population is given in "
        "the standard's five-year bands.",
        "Bounds: lower = identified femicides; upper = identified femicides + undetermined.",
        _estimates_text(ctx),
        f"Reliability: a share or rate from fewer than {ctx.min_reliable} victims is marked "
        f"{_UNRELIABLE}.",
        _suppression_text(ctx, withheld),
        f"Data source: {ctx.source}. Population: "
        + (
            "none given, so no rates."
            if ctx.population is None
            else f"{ctx.population_source or 'a female population table given by the user'}."
        ),
        "Privacy: the report is built from coded variables only; no free-text field of the "
        "input is read into it.",
        *(
            [
                "Charts: colours from the Okabe-Ito palette, safe for colour-blind readers "
                "(Okabe and Ito 2008); bars are hatched and values written on the chart, so "
                "that a greyscale print loses nothing; withheld values are not drawn."
            ]
            if charts
            else []
        ),
        f"Produced with femstat {__version__} on {dt.datetime.now(dt.UTC).date().isoformat()}.",
    ]
    section.blocks.append(_Bullets(items))
    if written_tables:
        section.blocks.append(_Heading("Published tables"))
        section.blocks.append(
            "The tables behind this report, suppressed as above, are in the folder tables/ "
            "next to it: CSV files, each with a .metadata.json file stating how it was made, "
            "and the rates by year as SDMX-CSV."
        )
        section.blocks.append(
            _Bullets(
                [
                    p.relative_to(ctx.out_dir).as_posix()
                    for p in written_tables
                    if not p.name.endswith(".metadata.json")
                ]
            )
        )
    return section


# --------------------------------------------------------------------------- rendering


def _number(sections: Sequence[_Section]) -> None:
    """Number tables and figures in reading order (sections may leave some out)."""
    tables = figures = 0
    for section in sections:
        for block in section.blocks:
            if isinstance(block, _Table):
                tables += 1
                block.number = tables
            elif isinstance(block, _Figure):
                figures += 1
                block.number = figures


_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1a1a1a; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
  Arial, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.9rem; margin: 0 0 .3rem; }
h2 { font-size: 1.45rem; margin-top: 2.6rem; padding-bottom: .2rem;
  border-bottom: 3px solid #0072B2; }
h3 { font-size: 1.15rem; margin-top: 1.8rem; }
p.meta { color: #333; margin: .2rem 0; }
.keys { border: 1px solid #9ab; background: #f3f7fb; padding: .6rem 1rem; margin: 1rem 0; }
nav ol { columns: 2; padding-left: 1.4rem; }
table { border-collapse: collapse; margin: .6rem 0 .4rem; font-size: .92rem;
  font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .35rem; }
th, td { border: 1px solid #c4c4c4; padding: .28rem .55rem; vertical-align: top; }
th { background: #e9f0f7; text-align: left; }
td.num, td.u { text-align: right; white-space: nowrap; }
td.u { font-style: italic; }
td.c { text-align: center; font-weight: 600; color: #333;
  background: repeating-linear-gradient(45deg, #f2f2f2 0 4px, #e2e2e2 4px 8px); }
tr.total td { font-weight: 700; border-top: 2px solid #666; }
p.note { font-size: .9rem; margin: 0 0 1.2rem; }
figure { margin: 1.2rem 0 1.6rem; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .9rem; margin-top: .35rem; }
footer { margin-top: 3rem; font-size: .85rem; color: #444; border-top: 1px solid #ccc; }
@media print {
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2, h3 { break-after: avoid; }
  figure, table { break-inside: avoid; }
  td.c { background: #e6e6e6; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(table: _Table) -> str:
    caption = f"Table {table.number}. {table.caption}"
    out = ["<table>", f"<caption>{_e(caption)}</caption>", "<thead><tr>"]
    out += [f'<th scope="col">{_e(h)}</th>' for h in table.header]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(table.rows):
        out.append('<tr class="total">' if i in table.total_rows else "<tr>")
        for j, cell in enumerate(row):
            if j == 0 and not cell.kind:
                out.append(f'<th scope="row">{_e(cell.text)}</th>')
                continue
            attrs = f' class="{cell.kind}"' if cell.kind else ""
            if cell.kind == "c":
                attrs += ' title="withheld for confidentiality"'
            out.append(f"<td{attrs}>{_e(cell.text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if table.note:
        out.append(f'<p class="note">{_e(table.note)}</p>')
    return "\n".join(out)


def _html_block(block: _Block) -> str:
    if isinstance(block, str):
        return f"<p>{_e(block)}</p>"
    if isinstance(block, _Heading):
        return f"<h3>{_e(block.text)}</h3>"
    if isinstance(block, _Bullets):
        return "<ul>\n" + "\n".join(f"<li>{_e(i)}</li>" for i in block.items) + "\n</ul>"
    if isinstance(block, _Table):
        return _html_table(block)
    data = base64.b64encode(block.png).decode("ascii")
    return (
        f'<figure id="{_e(block.stem)}"><img src="data:image/png;base64,{data}" '
        f'alt="{_e(block.alt)}"><figcaption>{_e(f"Figure {block.number}. {block.caption}")}'
        "</figcaption></figure>"
    )


def _notation(withheld: bool) -> str:
    """The legend of the marks; ``[c]`` only when the report withholds something."""
    marks = [
        f"{_UNRELIABLE} unreliable (fewer than the reliability threshold)",
        f"{_DASH} not applicable",
    ]
    if withheld:
        marks.insert(
            0,
            f"{_SUPPRESSED} withheld for confidentiality (a small count, or a cell that "
            "would reveal one)",
        )
    return "Notation: " + "; ".join(marks) + "."


def _withholds_anything(sections: Sequence[_Section]) -> bool:
    """Whether a table, chart or sentence of the report shows a withheld value."""
    for section in sections:
        for block in section.blocks:
            if isinstance(block, _Table):
                if any(c.kind == "c" or _SUPPRESSED in c.text for row in block.rows for c in row):
                    return True
            elif isinstance(block, _Figure):
                if block.withheld:
                    return True
            else:
                texts = block.items if isinstance(block, _Bullets) else [str(block)]
                # A withheld count in a sentence is written "[c] (fewer than n)"; other
                # sentences only explain the mark.
                if any(f"{_SUPPRESSED} (fewer than" in t for t in texts):
                    return True
    return False


def _render_html(
    title: str,
    meta: list[str],
    keys: list[str],
    sections: list[_Section],
    withheld: bool = True,
) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Self-contained by construction: the browser may load nothing but inline data.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        f"<h1>{_e(title)}</h1>",
        *[f'<p class="meta">{_e(m)}</p>' for m in meta],
        '<div class="keys"><strong>Key figures</strong><ul>',
        *[f"<li>{_e(k)}</li>" for k in keys],
        "</ul></div>",
        "</header>",
        '<nav aria-label="Contents"><h2>Contents</h2><ol>',
        *[f'<li><a href="#{_e(s.anchor)}">{_e(s.title)}</a></li>' for s in sections],
        "</ol></nav>",
    ]
    for number, section in enumerate(sections, start=1):
        parts.append(f'<section id="{_e(section.anchor)}">')
        parts.append(f"<h2>{number}. {_e(section.title)}</h2>")
        parts += [_html_block(b) for b in section.blocks]
        parts.append("</section>")
    parts += [
        "<footer><p>" + _e(_notation(withheld)) + "</p></footer>",
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


_MD_SPECIAL = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "*": "\\*",
        "_": "\\_",
        "`": "\\`",
        "[": "\\[",
        "]": "\\]",
        "~": "\\~",
        "#": "\\#",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
    }
)
_MD_LINE_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def _md(text: object) -> str:
    """Text as inert Markdown: no link, image, HTML, emphasis, code or table cell break.

    Whitespace (line breaks included) becomes single spaces, so data can never start a
    line; the characters Markdown gives a meaning are escaped, and ``<``, ``>`` and ``&``
    written as HTML entities. A leading list or heading marker is escaped too.
    """
    flat = " ".join(str(text).split()).translate(_MD_SPECIAL)
    return _MD_LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", flat)


def _md_table(table: _Table) -> str:
    lines = [f"**{_md(f'Table {table.number}. {table.caption}')}**", ""]
    lines.append("| " + " | ".join(_md(h) for h in table.header) + " |")
    first = table.rows[0] if table.rows else []
    aligns = [
        "---:" if j < len(first) and first[j].kind in ("num", "u", "c") else "---"
        for j in range(len(table.header))
    ]
    lines.append("| " + " | ".join(aligns) + " |")
    for i, row in enumerate(table.rows):
        cells = [_md(c.text) for c in row]
        if i in table.total_rows:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    if table.note:
        lines += ["", _md(table.note)]
    return "\n".join(lines)


def _md_block(block: _Block) -> str:
    if isinstance(block, str):
        return _md(block)
    if isinstance(block, _Heading):
        return f"### {_md(block.text)}"
    if isinstance(block, _Bullets):
        return "\n".join(f"- {_md(i)}" for i in block.items)
    if isinstance(block, _Table):
        return _md_table(block)
    caption = f"Figure {block.number}. {block.caption}"
    return f"![{_md(block.alt)}]({block.stem}.png)\n\n*{_md(caption)}*"


def _render_markdown(
    title: str,
    meta: list[str],
    keys: list[str],
    sections: list[_Section],
    withheld: bool = True,
) -> str:
    parts = [f"# {_md(title)}", "", *[f"{_md(m)}  " for m in meta], ""]
    parts += ["**Key figures**", "", *[f"- {_md(k)}" for k in keys], ""]
    parts += ["## Contents", ""]
    parts += [f"{i}. [{_md(s.title)}](#{s.anchor})" for i, s in enumerate(sections, 1)]
    for number, section in enumerate(sections, start=1):
        parts += ["", f'<a id="{section.anchor}"></a>', "", f"## {number}. {_md(section.title)}"]
        for block in section.blocks:
            parts += ["", _md_block(block)]
    parts += [
        "",
        "---",
        "",
        _md(_notation(withheld)),
    ]
    return "\n".join(parts) + "\n"


def _key_figures(ctx: _Context, overall: pd.DataFrame, by_year: pd.DataFrame | None) -> list[str]:
    rows = {str(r["femicide_type"]): r for _, r in overall.iterrows()}
    keys = []
    fem, tot = rows["femicide"], rows["female_homicide"]
    if not _missing(fem["count"]) and not _missing(tot["count"]) and not _missing(fem["share"]):
        keys.append(
            f"{int(fem['count']):,} femicides identified among {int(tot['count']):,} female "
            f"homicide victims ({fem['share'] * 100:.1f} %), all years."
        )
    und = rows["undetermined"]
    if not _missing(und["count"]) and not _missing(und["share"]):
        keys.append(
            f"{int(und['count']):,} victims ({und['share'] * 100:.1f} %) could not be "
            "classified: the femicide count is a lower bound."
        )
    pf = rows["partner_or_family"]
    if not _missing(pf["count"]) and not _missing(pf["share"]):
        keys.append(
            f"{int(pf['count']):,} women and girls were killed by an intimate partner or "
            f"family member ({pf['share'] * 100:.1f} % of female homicide victims)."
        )
    if by_year is not None:
        last = by_year[by_year["femicide_type"].astype(str) == "femicide"].iloc[-1]
        if not _missing(last["rate"]):
            keys.append(
                f"Femicide rate in {last['year']}: {_rate_text(float(last['rate']))} per "
                f"100,000 women ({_level_text(ctx.level)} CI "
                f"{_rate_text(float(last['rate_lower']))}{_DASH}"
                f"{_rate_text(float(last['rate_upper']))})."
            )
    return keys


def _write_tables(ctx: _Context) -> list[Path]:
    from femstat.exports import sidecar_path, to_csv, to_sdmx_csv

    folder = ctx.out_dir / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    extra = {
        "source": ctx.source,
        "disclosure_control": _disclosure_metadata(ctx),
        "confidence_levels": ctx.levels,
        "rule_set": ctx.rules.name,
    }
    written: list[Path] = []
    for name, table in ctx.tables.items():
        path = to_csv(table, folder / f"{name}.csv", metadata=extra, min_count=ctx.min_count)
        written += [path, sidecar_path(path)]
    if "indicators_by_year" in ctx.tables:
        written.append(
            to_sdmx_csv(
                ctx.tables["indicators_by_year"],
                folder / "indicators_by_year.sdmx.csv",
                min_count=ctx.min_count,
            )
        )
    return written


def _disclosure_metadata(ctx: _Context) -> dict[str, Any]:
    """How the release was protected, and the attacker's audit of what it publishes."""
    if ctx.min_count == 1:
        return {
            "min_count": 1,
            "method": "none: min_count 1 publishes every count, without disclosure control",
        }
    return {
        "min_count": ctx.min_count,
        "method": (
            "threshold rule (counts from 1 to min_count - 1 withheld) with secondary "
            "suppression across the linked tables of the release (femstat.protect); "
            "values derived from a withheld cell withheld with it"
        ),
        "protected_tables": sorted(ctx.release),
        "n_secondary": ctx.protection.get("n_secondary", 0),
        "secondary_total": ctx.protection.get("secondary_total", 0.0),
        "audit": ctx.protection.get("audit", {}),
    }


def _audit_release(ctx: _Context) -> None:
    """Refuse a release whose hidden cells an attacker could narrow (the last check).

    The count tables as they will be written are audited together
    (:func:`femstat.audit_disclosure`): any later change that published too much would be
    caught here rather than in the reader's hands.
    """
    import femstat as fs

    counts = {
        name: table
        for name, table in ctx.tables.items()
        if name in ctx.release and "femicide_type" in table.columns
    }
    audit = fs.audit_disclosure(counts, min_count=ctx.min_count)
    summary = audit.attrs["audit"]
    if not summary["passed"]:
        raise ReportError(
            f"refusing to write the report: {summary['n_exposed']} of the "
            f"{summary['n_hidden']} withheld counts could be worked out to fewer than "
            f"{ctx.min_count} possible values from the published tables; this is a femstat "
            "defect, please report it"
        )
    ctx.protection["audit"] = summary


def build_report(
    data: pd.DataFrame,
    population: pd.DataFrame | None = None,
    *,
    out_dir: str | os.PathLike[str] = "femstat-report",
    source: str = "a victim table given by the user",
    population_source: str | None = None,
    title: str = "Femicide statistics report",
    level: float | Sequence[float] = 0.95,
    min_count: int = 5,
    min_reliable: int = 20,
    standard: str = "esp2013",
    share_method: str = "wilson",
    rate_method: str = "exact",
    rules: RuleSet | Sequence[RuleSet | str] = UN_2022,
    formats: Sequence[str] = ("html", "markdown"),
    tables: bool = True,
    progress: Callable[[str], None] | None = None,
    validation: ValidationReport | None = None,
    imputations: int = 20,
    seed: int = 2022,
) -> ReportFiles:
    """Build the femicide report from victim microdata (and a population, for rates).

    Parameters
    ----------
    data : pandas.DataFrame
        Victim microdata, raw, validated or classified (validated and classified here
        as needed).
    population : pandas.DataFrame, optional
        Female population (column ``population``) keyed by ``year`` and optionally
        ``area`` and ``age_group`` (UNODC groups, or the standard's five-year bands for
        age-standardised rates). Summed to each breakdown as needed. Without it, the
        report has counts, shares and bounds but no rates or trend model.
    out_dir : str or path, default ``"femstat-report"``
        Created if needed; existing report files in it are overwritten.
    source, population_source : str
        How the data are described in the Methods section (e.g. the file name).
    title : str
    level : float or sequence of float, default 0.95
        Confidence level(s); the first is used for charts and most tables.
    min_count : int, default 5
        Suppression threshold: counts from 1 to ``min_count - 1`` are withheld.
    min_reliable : int, default 20
        Shares and rates from fewer victims are marked unreliable.
    standard : str, default ``"esp2013"``
        Standard population for age-standardised rates.
    share_method, rate_method : str
        As for :func:`femstat.indicators`.
    rules : RuleSet or sequence of RuleSet or str, default :data:`femstat.UN_2022`
        The rule set of the report; or several (shipped names allowed,
        :func:`femstat.rule_set`): the one writing ``femicide_type`` (``UN_2022`` when
        none does) is the report's, the others are national rule sets counted beside it
        in the section "UN statistical count and national legal count".
    formats : sequence of {"html", "markdown"}
    tables : bool, default True
        Also write the published tables under ``tables/``.
    progress : callable, optional
        Called with the name of each step of :data:`REPORT_STEPS` as it starts.
    validation : femstat.ValidationReport, optional
        The report of the validation ``data`` already went through (from
        ``femstat.validate(..., report=True)`` or ``femstat.read(..., report=True)``); the
        report then shows it instead of validating again. Validating a validated table
        again would no longer see which columns were absent from the source.
    imputations : int, default 20
        Number of imputations of the section "Estimates with uncertainty"
        (:func:`femstat.estimate`); 0 leaves the estimates out.
    seed : int, default 2022
        Seed of the imputations: the same data and seed give the same report.

    Returns
    -------
    ReportFiles
        The paths written and the summary table.

    Raises
    ------
    femstat.ValidationError
        When the data cannot be validated.
    femstat.PopulationError
        When the population table has no ``population`` column.
    """
    import femstat as fs

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    levels = [float(level)] if isinstance(level, int | float) else [float(x) for x in level]
    if not levels:
        raise ReportError("give at least one confidence level")
    if min_count < 1:
        raise ReportError(f"min_count must be at least 1, not {min_count}")
    if isinstance(imputations, bool) or not isinstance(imputations, int) or imputations == 1:
        raise ReportError(
            f"imputations must be 0 (no estimates) or a whole number from 2, not {imputations!r}"
        )
    if imputations < 0:
        raise ReportError(f"imputations must be 0 or more, not {imputations}")
    unknown_formats = set(formats) - {"html", "markdown"}
    if unknown_formats:
        raise ReportError(f"unknown report format(s) {sorted(unknown_formats)}")
    if population is not None and "population" not in population.columns:
        raise PopulationError(
            "the population table has no 'population' column; name the denominator column "
            "'population'"
        )
    from femstat.stats import standard_population

    try:
        standard_population(standard)  # fail early on an unknown standard
    except KeyError as exc:
        raise ReportError(str(exc.args[0])) from None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    step("validating")
    if validation is None:
        clean, validation = fs.validate(data, report=True)
    else:
        clean = data
    step("classifying")
    national: list[RuleSet] = []
    if not isinstance(rules, RuleSet):
        from femstat.rulesets import resolve

        resolved = resolve(list(rules))
        rules = next(r for r in resolved if r.type_column == UN_2022.type_column)
        national = [r for r in resolved if r is not rules]
    missing = [r for r in (rules, *national) if r.type_column not in clean.columns]
    typed = fs.classify(clean, rules=missing) if missing else clean
    ctx = _Context(
        typed=typed,
        population=population,
        levels=levels,
        min_count=min_count,
        min_reliable=min_reliable,
        rules=rules,
        share_method=share_method,
        rate_method=rate_method,
        standard=standard,
        source=source,
        population_source=population_source,
        out_dir=out,
        imputations=imputations,
        seed=seed,
        national=national,
    )
    step("protecting")
    _release(ctx)
    step("completeness")
    sections = [_completeness(ctx, validation)]
    step("counts by type")
    counts_section, overall = _counts(ctx)
    sections.append(counts_section)
    if ctx.national:
        sections.append(_rule_sets(ctx))
    step("rates")
    rates_section, by_year = _rates(ctx)
    sections.append(rates_section)
    step("bounds")
    bounds_section, bounds_table = _bounds(ctx)
    sections.append(bounds_section)
    step("estimates")
    sections.append(_estimates(ctx))
    step("trend")
    sections.append(_trend(ctx, by_year, bounds_table))
    step("breakdowns")
    sections.append(_breakdowns(ctx))
    extensions = _extensions(ctx)
    if extensions is not None:
        sections.append(extensions)

    step("writing")
    _audit_release(ctx)
    written_tables = _write_tables(ctx) if tables else []
    withheld = _withholds_anything(sections)
    drawn = any(isinstance(b, _Figure) for section in sections for b in section.blocks)
    methods = _methods(ctx, written_tables, withheld=withheld, charts=drawn)
    sections.append(methods)
    # Built from the finished text: the list holds every work cited, and only those.
    methods.blocks += [_Heading("References"), _Bullets(_references(sections, rules))]
    meta = [
        f"Data: {source}." + (f" Population: {population_source}." if population_source else ""),
        f"Rule set {rules.name}"
        + (f" (national: {', '.join(r.name for r in national)})" if national else "")
        + f"; confidence level {', '.join(_level_text(x) for x in levels)}; "
        + (
            "every count published (min_count 1, no disclosure control)"
            if min_count == 1
            else f"counts below {min_count} and the cells that would reveal them withheld"
            + (f" ({_SUPPRESSED})" if withheld else " (none in this report)")
        )
        + f"; femstat {fs.__version__}.",
    ]
    keys = _key_figures(ctx, overall, by_year)
    _number(sections)
    html_path = md_path = None
    charts: list[Path] = []
    if "html" in formats:
        html_path = out / "report.html"
        html_path.write_text(_render_html(title, meta, keys, sections, withheld), encoding="utf-8")
    if "markdown" in formats:
        md_path = out / "report.md"
        md_path.write_text(
            _render_markdown(title, meta, keys, sections, withheld), encoding="utf-8"
        )
        for section in sections:
            for block in section.blocks:
                if isinstance(block, _Figure):
                    chart = out / f"{block.stem}.png"
                    chart.write_bytes(block.png)
                    charts.append(chart)
    return ReportFiles(
        out_dir=out,
        html=html_path,
        markdown=md_path,
        charts=tuple(charts),
        tables=tuple(written_tables),
        summary=overall,
    )
