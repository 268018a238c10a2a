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
from femstat import i18n
from femstat.classify import UN_2022, RuleSet
from femstat.counts import BreakdownError
from femstat.display import MARK, rate_text
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

_SUPPRESSED = MARK
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


_DOMAIN = "report"


def _(message: str) -> str:
    """``message`` in the report's language (domain ``report``)."""
    return i18n.gettext(_DOMAIN, message)


def _n(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for ``n`` in the report's language."""
    return i18n.ngettext(_DOMAIN, singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated with :func:`_` when shown."""
    return message


def _english() -> bool:
    return i18n.current_language() == i18n.SOURCE_LANGUAGE


def _int_text(value: Any) -> str:
    return i18n.format_integer(int(float(value)))


def _share_text(share: float) -> str:
    """A share in running text: ``12.3 %`` in English, the locale's percent elsewhere."""
    if _english():
        return f"{share * 100:.1f} %"
    return i18n.format_percent(share, 1)


def _signed(value: float, decimals: int = 1) -> str:
    """A change with its sign always written (+1.2, -0.4)."""
    if np.copysign(1.0, value) < 0:
        return i18n.format_decimal(value, decimals)
    return "+" + i18n.format_decimal(value, decimals)


def _label(code: object) -> str:
    from femstat.plots import label

    return label(code)


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _count_cell(value: Any) -> _Cell:
    if _missing(value):
        return _Cell(_SUPPRESSED, "c")
    return _Cell(_int_text(value), "num")


def _pct(value: Any, *, hidden: bool = False) -> _Cell:
    if hidden:
        return _Cell(_SUPPRESSED, "c")
    if _missing(value):
        return _Cell(_DASH, "num")
    return _Cell(i18n.format_decimal(float(value) * 100, 1), "num")


def _rate(value: Any, *, hidden: bool = False, reliable: bool = True) -> _Cell:
    if hidden:
        return _Cell(_SUPPRESSED, "c")
    if _missing(value):
        return _Cell(_DASH, "num")
    text = rate_text(float(value))
    return _Cell(text, "num") if reliable else _Cell(f"{text} {_UNRELIABLE}", "u")


def _interval(lower: Any, upper: Any, *, scale: float = 1.0, hidden: bool = False) -> _Cell:
    if hidden:
        return _Cell(_SUPPRESSED, "c")
    if _missing(lower) or _missing(upper):
        return _Cell(_DASH, "num")
    lo, up = float(lower) * scale, float(upper) * scale
    if scale == 100.0:
        text = f"{i18n.format_decimal(lo, 1)}{_DASH}{i18n.format_decimal(up, 1)}"
        return _Cell(text, "num")
    return _Cell(f"{rate_text(lo)}{_DASH}{rate_text(up)}", "num")


def _level_text(level: float) -> str:
    text = f"{level * 100:g}"
    if _english():
        return f"{text} %"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return i18n.format_percent(level, decimals)


def _ci_header(level: float) -> str:
    """The column header of a confidence interval ("95 % CI")."""
    return _("{level} CI").format(level=_level_text(level))


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


_CHART_LEFT_OUT: Mapping[str, str] = {
    "chart-completeness": N_("No chart of the information unknown: it would be empty ({reason})."),
    "chart-typology": N_("No chart of victims by femicide type: it would be empty ({reason})."),
    "chart-rule-sets": N_("No chart of victims by rule set: it would be empty ({reason})."),
    "chart-estimates": N_(
        "No chart of the estimated femicides by year: it would be empty ({reason})."
    ),
    "chart-trend": N_("No chart of femicides by year: it would be empty ({reason})."),
    "chart-age": N_("No chart of victims by age group: it would be empty ({reason})."),
    "chart-mechanism": N_("No chart of victims by mechanism: it would be empty ({reason})."),
    "chart-place": N_("No chart of victims by place: it would be empty ({reason})."),
    "chart-relationship": N_("No chart of victims by relationship: it would be empty ({reason})."),
    "chart-linked-orphans": N_(
        "No chart of linked victims and orphans: it would be empty ({reason})."
    ),
}
"""The sentence that replaces each chart left out (whole sentences, for translation)."""


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
        sentence = _CHART_LEFT_OUT.get(
            stem, N_("No chart of this section: it would be empty ({reason}).")
        )
        return _(sentence).format(reason=exc.reason)
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
    # Whether a sentence shows a withheld count ("[c] (fewer than 5)"), in any language.
    text_withheld: bool = False
    lang: str = "en"

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
        ctx.notes["rates_by_year"] = _("The population table has no year column: no rates by year.")
    elif pop_year is not None:
        try:
            by_year = ctx.indicators(["year"], pop_year)
        except PopulationError as exc:
            ctx.notes["rates_by_year"] = _("Rates by year not computed: {reason}").format(
                reason=_first_line(exc)
            )
    tables["indicators_by_year"] = (
        by_year if by_year is not None else ctx.indicators(["year"], None)
    )
    pop_area = ctx.pop(["area"]) if "area" in ctx.typed.columns else None
    if pop_area is not None:
        try:
            tables["indicators_by_area"] = ctx.indicators(["area"], pop_area)
        except (PopulationError, BreakdownError) as exc:  # no population, or records no area
            ctx.notes["rates_by_area"] = _("Rates by area not computed: {reason}").format(
                reason=_first_line(exc)
            )
    age: pd.DataFrame | None = None
    pop_age = ctx.pop(["age_group"])
    if pop_age is not None:
        pop_age = _in_unodc_groups(ctx, pop_age)
        try:  # the unknown age group gets its counts and no rate
            age = ctx.indicators(["age_group"], pop_age)
        except PopulationError as exc:
            ctx.notes["rates_by_age_group"] = _("Rates by age group not computed: {reason}").format(
                reason=_first_line(exc)
            )
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
        ctx.notes["rates_by_age_group"] = _n(
            "The population is given in other age bands than the UNODC groups and is summed "
            "into them; the band {bands} straddles a group boundary and is shared out in "
            "proportion to the years of age in each group.",
            "The population is given in other age bands than the UNODC groups and is summed "
            "into them; the bands {bands} straddle a group boundary and are shared out in "
            "proportion to the years of age in each group.",
            len(shared),
        ).format(bands=", ".join(shared))
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

    section = _Section("completeness", _("Data completeness"))
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
        _(
            "The data hold {records} victim records. {in_scope} are female victims of "
            "completed intentional homicide (ICCS 0101): the framework's universe, called "
            "female homicide below. {out_of_scope} records are outside it (male victims, "
            "victims of unknown sex, other ICCS classes); they are kept only for the male "
            "comparator indicator."
        ).format(
            records=_count_text(ctx, n_records),
            in_scope=_count_text(ctx, n_in),
            out_of_scope=_count_text(ctx, n_out),
        )
    )
    if not _missing(row["undetermined"]):
        section.blocks.append(
            _(
                "{share} of female homicide victims could not be classified (undetermined): "
                "the relationship to the perpetrator or a criterion was unknown. Every "
                "femicide count in this report is therefore a lower bound; the section "
                "Bounds gives the upper bound."
            ).format(share=_share_text(float(row["undetermined"])))
        )
    table = _Table(
        _("Information unknown among female homicide victims, all years"),
        [_("Item"), _("Unknown (% of female homicide victims)")],
        [
            [
                _Cell(
                    _("Classified undetermined")
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
            _("Bar chart of the share of female homicide victims with each item unknown."),
            _("Share of female homicide victims with each item of information unknown, all years."),
            lambda: completeness_chart(overall),
        )
    )
    year_rows = []
    for _index, r in by_year.iterrows():
        year_rows.append(
            [
                _Cell(str(r["year"])),
                _count_cell(r["female_homicide"]),
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
            _("Completeness by year (% of female homicide victims)"),
            [
                _("Year"),
                _("Female homicide victims"),
                _("Relationship unknown"),
                _("Age unknown"),
                _("Any criterion unknown"),
                _("Undetermined"),
            ],
            year_rows,
        )
    )
    notes: list[str] = []
    added = list(validation.added_columns)
    if added:
        notes.append(
            _(
                "Columns absent from the input, treated as unknown for every record: {columns}."
            ).format(columns=", ".join(added))
        )
    warnings = validation.warnings
    if not warnings.empty:
        for w in warnings.to_dict("records"):
            notes.append(
                _("Data-quality warning ({check}, {n} records): {detail}.").format(
                    check=w["check"], n=_count_text(ctx, int(w["n_rows"])), detail=w["detail"]
                )
            )
    else:
        notes.append(_("Validation raised no data-quality warnings."))
    section.blocks.append(_Heading(_("Validation")))
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
    if ctx.hidden(n):
        # A withheld count written in a sentence: the legend of [c] is then needed.
        ctx.text_withheld = True
        return _("{mark} (fewer than {n})").format(
            mark=_SUPPRESSED, n=i18n.format_integer(ctx.min_count)
        )
    return i18n.format_integer(n)


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

    section = _Section("counts", _("Counts by femicide type"))
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
            [
                _Cell(_label(kind)),
                _count_cell(r["count"]),
                _pct(r["share"], hidden=hidden),
                interval,
            ]
        )
    n_femicide_types = 4 if _UNSPECIFIED in _with_unspecified(_TYPE_ORDER, overall) else 3
    section.blocks.append(
        _(
            "Each female homicide victim has exactly one type. Femicide is the sum of the "
            "four femicide types; female homicide is every in-scope victim. Shares are of "
            "female homicide victims (for the male comparator, of male homicide victims)."
        )
        if n_femicide_types == 4
        else _(
            "Each female homicide victim has exactly one type. Femicide is the sum of the "
            "three femicide types; female homicide is every in-scope victim. Shares are of "
            "female homicide victims (for the male comparator, of male homicide victims)."
        )
    )
    section.blocks.append(
        _Table(
            _("Victims by femicide type, all years"),
            [
                _("Type"),
                _("Victims"),
                _("Share (%)"),
                _("{level} confidence interval (%)").format(level=_level_text(ctx.level)),
            ],
            body,
            totals,
            note=_("Out of scope (not counted as female homicide): {n} records.").format(
                n=_count_text(ctx, int(rows["out_of_scope"]["count"]))
            )
            if "out_of_scope" in rows and not _missing(rows["out_of_scope"]["count"])
            else "",
        )
    )
    section.blocks.append(
        _chart(
            "chart-typology",
            _("Horizontal bar chart of the number of victims of each femicide type."),
            _(
                "Female homicide victims by femicide type, all years; the share of "
                "female homicide victims is in brackets."
            ),
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
            _("Victims by femicide type and year"),
            [_("Year"), *[_label(k) for k in year_types]],
            [
                [_Cell(y), *[_count_cell(wide[k].loc[y, "count"]) for k in year_types]]
                for y in years
            ],
        )
    )
    return section, overall


_COMPARISON_HEADER = {
    "femicide": N_("Femicide"),
    "intimate_partner": N_("Intimate partner"),
    "family_member": N_("Family member"),
    "partner_or_family_unspecified": N_("Partner or family, not known which"),
    "other_perpetrator": N_("Other perpetrator"),
    "linked_victims": N_("Linked victims"),
    "undetermined": N_("Undetermined"),
    "counted_by_both": N_("Counted by both"),
    "only_this_rule_set": N_("By this rule set only"),
    "only_un": N_("By the UN rule only"),
}


def _rule_sets(ctx: _Context) -> _Section:
    """The section "UN statistical count and national legal count"."""
    from femstat.plots import rule_set_chart
    from femstat.rulesets import COMPARISON_COLUMNS, comparison_from_cross

    section = _Section("rule-sets", _("UN statistical count and national legal count"))
    cubes = {r.name: ctx.release[f"rule_set_{r.name}"] for r in ctx.national}
    for r in ctx.national:
        ctx.tables[f"rule_set_{r.name}"] = cubes[r.name]
    table = comparison_from_cross(cubes, [ctx.rules, *ctx.national])
    ctx.tables["rule_sets_comparison"] = table
    section.blocks.append(
        _(
            "The same records are counted by the UN statistical rule and by each national "
            "legal definition, written as a femstat rule set from the law's text. A record "
            "whose legally decisive facts are not recorded is undetermined under that rule "
            "set, not excluded. Linked victims (people killed in connection with a woman's "
            "gender-related killing) are a class of the national rule set only and are not "
            "part of its femicide count. The last three columns compare each rule set's "
            "femicide count with the UN one, record by record; every number is a sum of "
            "protected cells, and a sum over a withheld cell is withheld too ({mark})."
        ).format(mark=_SUPPRESSED)
    )
    body = [
        [_Cell(str(row["rule_set"])), *[_count_cell(row[c]) for c in COMPARISON_COLUMNS]]
        for _, row in table.iterrows()
    ]
    section.blocks.append(
        _Table(
            _("Victims by rule set: femicide count, types and agreement with the UN count"),
            [_("Rule set"), *[_(_COMPARISON_HEADER[c]) for c in COMPARISON_COLUMNS]],
            body,
            {0},
        )
    )
    section.blocks.append(
        _chart(
            "chart-rule-sets",
            _(
                "Grouped horizontal bar chart of the victims of each femicide type, linked "
                "victims and undetermined records under each rule set."
            ),
            _("Victims by type under the UN rule and each national rule set."),
            lambda: rule_set_chart(table),
        )
    )
    section.blocks.append(
        _Bullets(
            [
                _("{name}: {title}. {law}, {article} (text of {date}); {url}").format(
                    name=r.name,
                    title=r.title,
                    law=r.legal.get("law", ""),
                    article=r.legal.get("article", ""),
                    date=r.legal.get("text_date", ""),
                    url=r.legal.get("url", ""),
                )
                for r in ctx.national
            ]
        )
    )
    return section


def _rates(ctx: _Context) -> tuple[_Section, pd.DataFrame | None]:
    import femstat as fs

    section = _Section("rates", _("Rates per 100,000 women"))
    if ctx.population is None:
        section.blocks.append(
            _(
                "No population was given, so no rates are computed. Give a female population "
                "table keyed by year (and area, age group) to add rates, their intervals and "
                "the trend."
            )
        )
        return section, None
    if "rates_by_year" in ctx.notes:
        section.blocks.append(ctx.notes["rates_by_year"])
        return section, None
    by_year = ctx.release["indicators_by_year"]
    section.blocks.append(
        _n(
            "Rates are victims per 100,000 female population per year, with {levels} "
            "confidence intervals (see Methods). A rate from fewer than {n} victim is marked "
            "{mark} (unreliable).",
            "Rates are victims per 100,000 female population per year, with {levels} "
            "confidence intervals (see Methods). A rate from fewer than {n} victims is marked "
            "{mark} (unreliable).",
            ctx.min_reliable,
        ).format(
            levels=", ".join(_level_text(x) for x in ctx.levels),
            n=i18n.format_integer(ctx.min_reliable),
            mark=_UNRELIABLE,
        )
    )
    kinds = ["femicide", "partner_or_family", "female_homicide"]
    wide = {k: _rows_by(by_year, "year", k) for k in kinds}
    header = [_("Year"), _("Femicides"), _("Femicide rate")]
    for lvl in ctx.levels:
        header.append(_ci_header(lvl))
    header += [
        _("Partner or family rate"),
        _ci_header(ctx.level),
        _("Female homicide rate"),
        _ci_header(ctx.level),
    ]
    body = []
    for year in wide["femicide"].index:
        f = wide["femicide"].loc[year]
        cells = [_Cell(str(year)), _count_cell(f["count"]), _rate_cell(f)]
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
    section.blocks.append(_Table(_("Rates by year (per 100,000 women)"), header, body))

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
                    _count_cell(tot.loc[area, "count"]),
                    _count_cell(f["count"]),
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
                _("Femicide by area, all years pooled (average annual rate per 100,000 women)"),
                [
                    _("Area"),
                    _("Female homicide victims"),
                    _("Femicides"),
                    _("Femicide rate"),
                    _ci_header(ctx.level),
                    _("Undetermined (%)"),
                ],
                rows,
            )
        )
        section.blocks.append(_rate_ratios_by_area(ctx, by_area))
    section.blocks.append(_Heading(_("Age-standardised rates")))
    section.blocks.append(_standardised(ctx, fs))
    return section, by_year


def _standardised(ctx: _Context, fs: Any) -> _Block:
    from femstat.stats import standard_population

    std = standard_population(ctx.standard)
    pop = ctx.pop(["year", "age_group"])
    if pop is None:
        return _(
            "Not computed: the population has no age_group column, which direct "
            "standardisation to the {standard} standard needs."
        ).format(standard=std.name)
    bands = set(pop["age_group"].astype(str))
    if bands != set(std.labels):
        return _(
            "Not computed: the population's age groups are not the {standard} standard's "
            "five-year bands ({first}, ..., {last}). Give the population in those bands to "
            "add age-standardised rates."
        ).format(standard=std.name, first=std.labels[0], last=std.labels[-1])
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
        return _("Not computed: {reason}").format(reason=_first_line(exc))
    table = _protected_standardised(ctx, table)
    ctx.tables["standardised_by_year"] = table
    rows = [
        [
            _Cell(str(r["year"])),
            _count_cell(r["count"]),
            _rate(r["crude_rate"], hidden=_missing(r["count"])),
            _rate(r["rate"], hidden=_missing(r["count"])),
            _interval(r["rate_lower"], r["rate_upper"], hidden=_missing(r["count"])),
        ]
        for _, r in table.iterrows()
    ]
    return _Table(
        _(
            "Femicide rate by year, age-standardised to the {standard} standard (per 100,000 women)"
        ).format(standard=std.name),
        [_("Year"), _("Femicides (known age)"), _("Crude rate"), _("Standardised rate"), _("CI")],
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
        return _("Rate ratios by area not computed: {reason}").format(reason=_first_line(exc))
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
            _count_cell(r["count"]),
            _rate(r["rate"], hidden=_missing(r["count"])),
            _Cell(_SUPPRESSED, "c")
            if _missing(r["rate_ratio"])
            else _Cell(i18n.format_decimal(float(r["rate_ratio"]), 2), "num"),
            _Cell(_SUPPRESSED, "c")
            if _missing(r["rate_ratio"])
            else _Cell(
                i18n.format_decimal(float(r["rate_ratio_lower"]), 2)
                + _DASH
                + i18n.format_decimal(float(r["rate_ratio_upper"]), 2),
                "num",
            ),
            _Cell(_SUPPRESSED, "c")
            if _missing(r["p_value"])
            else _Cell(_p_text(float(r["p_value"])), "num"),
        ]
        for _, r in table.iterrows()
    ]
    return _Table(
        _(
            "Femicide rate of each area compared with {reference}, the area with the largest "
            "female population (all years pooled)"
        ).format(reference=reference),
        [
            _("Area"),
            _("Femicides"),
            _("Femicide rate"),
            _("Rate ratio"),
            _ci_header(ctx.level),
            _("p-value"),
        ],
        rows,
        note=_(
            "Rate ratio: the area's rate divided by the reference area's, with the exact "
            "conditional interval and two-sided p-value of the comparison of two Poisson rates "
            "(as R's poisson.test). Each area is compared on its own: the p-values are not "
            "adjusted for the number of comparisons."
        ),
    )


def _p_text(p: float) -> str:
    return f"< {i18n.format_decimal(0.001, 3)}" if p < 0.001 else i18n.format_decimal(p, 3)


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
        _count_cell(r["female_homicide"]),
        _count_cell(r["lower"]),
        _count_cell(r["upper"]),
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

    section = _Section("bounds", _("Bounds"))
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
        _(
            "The lower bound counts the femicides identified as such; the upper bound adds the "
            "undetermined victims, who may or may not have been killed in a femicide. The true "
            "number lies between the two; the gap is the price of missing information."
        )
    )
    has_rate = "lower_rate" in table.columns
    header = [
        _("Year"),
        _("Female homicide victims"),
        _("Lower bound"),
        _("Upper bound"),
        _("Lower share (%)"),
        _("Upper share (%)"),
    ]
    if has_rate:
        header += [_("Lower rate"), _("Upper rate")]
    rows = []
    for _index, r in table.iterrows():
        cells = _bounds_cells(str(r["year"]), r)
        if has_rate:
            cells += [
                _rate(r["lower_rate"], hidden=_missing(r["lower"])),
                _rate(r["upper_rate"], hidden=_missing(r["upper"])),
            ]
        rows.append(cells)
    last = _bounds_cells(_("All years"), total.iloc[0])
    if has_rate:
        last += [_Cell(_DASH, "num"), _Cell(_DASH, "num")]
    rows.append(last)
    caption = (
        _("Bounds of the number of femicides by year (rates per 100,000 women)")
        if has_rate
        else _("Bounds of the number of femicides by year")
    )
    section.blocks.append(_Table(caption, header, rows, {len(rows) - 1}))
    return section, table


_ESTIMATED = ("femicide", "partner_or_family")


def _estimates(ctx: _Context) -> _Section:
    """Per year: the lower bound, the estimate with its interval, the upper bound."""
    import femstat as fs
    from femstat.plots import estimate_chart

    section = _Section("estimates", _("Estimates with uncertainty"))
    if ctx.imputations == 0:
        section.blocks.append(_("Not computed: the report was made without imputations."))
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
        section.blocks.append(_("Not computed: {reason}").format(reason=_first_line(exc)))
        return section
    table = withhold_estimates(table, ctx.withheld, ["year"])
    ctx.tables["estimates_by_year"] = table
    section.blocks.append(
        _(
            "The bounds say only that the number of femicides lies between the identified "
            "femicides and those plus every undetermined victim. The estimate fills in what "
            "is unknown by multiple imputation: the relationship to the perpetrator and the "
            "criteria of the undetermined victims are drawn, {m} times, from models fitted "
            "to the victims for whom they are known (by age group, mechanism, place, year "
            "and area where present), each completed data set is classified by the same "
            "rules, and the results are combined by Rubin's rules. The interval carries the "
            "uncertainty of what is unknown; it assumes that, given those characteristics, "
            "the unknown cases resemble the known ones (missing at random). See Methods."
        ).format(m=i18n.format_integer(ctx.imputations))
    )
    header = [
        _("Year"),
        _("Lower bound"),
        _("Estimate"),
        _("{level} interval").format(level=_level_text(ctx.level)),
        _("Upper bound"),
    ]
    for of in _ESTIMATED:
        rows = table[table["femicide_type"].astype(str) == of]
        body = [
            [
                _Cell(str(r["year"])),
                _count_cell(r["bound_lower"]),
                _Cell(_SUPPRESSED, "c")
                if _missing(r["estimate"])
                else _Cell(i18n.format_decimal(float(r["estimate"]), 0), "num"),
                _interval(r["lower"], r["upper"], hidden=_missing(r["estimate"])),
                _count_cell(r["bound_upper"]),
            ]
            for _, r in rows.iterrows()
        ]
        section.blocks.append(
            _Table(
                _("{type}: bounds and estimate by year (number of victims)").format(
                    type=_label(of)
                ),
                header,
                body,
            )
        )
    section.blocks.append(
        _chart(
            "chart-estimates",
            _(
                "Chart of the estimated number of femicides by year with its interval, between "
                "the lower and upper bounds."
            ),
            _(
                "Femicides by year: the estimate with its {level} interval (multiple "
                "imputation), the lower bound (identified femicides) and the upper bound "
                "(identified + undetermined)."
            ).format(level=_level_text(ctx.level)),
            lambda: estimate_chart(
                table,
                of="femicide",
                level=ctx.level,
                title=_("Femicides by year: estimate between the bounds"),
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

    section = _Section("trend", _("Trend"))
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
                title=_("Femicides by year (number of victims)"),
            )

        section.blocks.append(
            _chart(
                "chart-trend",
                _(
                    "Line chart of the number of femicides by year with its confidence band "
                    "and the upper bound."
                ),
                _(
                    "Femicides by year, with the exact Poisson {level} confidence band, the "
                    "upper bound (femicide + undetermined) and female homicide. No population "
                    "was given: no rates, no annual percent change."
                ).format(level=_level_text(ctx.level)),
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
            notes.append(
                _("{indicator}: not computed ({reason}).").format(
                    indicator=_label(of), reason=_first_line(exc)
                )
            )
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
            title=_("Femicide rate by year (per 100,000 women)"),
        )

    section.blocks.append(
        _chart(
            "chart-trend",
            _(
                "Line chart of the femicide rate per 100,000 women by year with its confidence "
                "band, the upper-bound rate and the female homicide rate."
            ),
            _(
                "Femicide rate by year with its {level} confidence band (exact Poisson), the "
                "upper bound (femicide + undetermined, dashed) and the female homicide rate "
                "(dotted), per 100,000 women."
            ).format(level=_level_text(ctx.level)),
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
            else _Cell(_signed(a) if np.isfinite(a) else _DASH, "num"),
            _Cell(_SUPPRESSED, "c")
            if of in hidden_series
            else _Cell(
                _("{lower} to {upper}").format(lower=_signed(lo), upper=_signed(hi))
                if np.isfinite(lo)
                else _DASH,
                "num",
            ),
        ]
        for of, (a, lo, hi) in apcs.items()
    ]
    section.blocks.append(
        _Table(
            _("Annual percent change of the rate (log-linear quasi-Poisson model)"),
            [_("Indicator"), _("Years"), _("APC (% per year)"), _ci_header(ctx.level)],
            rows,
            note=" ".join(notes),
        )
    )
    return section


def _breakdowns(ctx: _Context) -> _Section:
    from femstat.plots import age_chart, breakdown_chart

    section = _Section("breakdowns", _("Breakdowns"))
    # Age group.
    section.blocks.append(_Heading(_("By age group")))
    if "rates_by_age_group" in ctx.notes:
        section.blocks.append(ctx.notes["rates_by_age_group"])
    age_table = ctx.release["indicators_by_age_group"]
    with_rates = "rate" in age_table.columns
    ctx.tables["indicators_by_age_group"] = age_table
    value = "rate" if with_rates else "count"
    section.blocks.append(
        _chart(
            "chart-age",
            _("Chart of the rate of femicide and female homicide by age group.")
            if with_rates
            else _("Chart of the count of femicide and female homicide by age group."),
            _(
                "Femicide and female homicide by age group of the victim, average annual "
                "rate per 100,000 women of the age group, all years pooled, with {level} "
                "confidence intervals."
            ).format(level=_level_text(ctx.level))
            if with_rates
            else _("Femicide and female homicide by age group of the victim (number of victims)."),
            lambda: age_chart(age_table, value=value, level=ctx.level),
        )
    )
    fem = _rows_by(age_table, "age_group", "femicide")
    tot = _rows_by(age_table, "age_group", "female_homicide")
    header = [_("Age group"), _("Female homicide victims"), _("Femicides"), _("Femicide share (%)")]
    if with_rates:
        header += [_("Femicide rate"), _ci_header(ctx.level), _("Female homicide rate")]
    rows = []
    for group in fem.index:
        f, t = fem.loc[group], tot.loc[group]
        cells = [
            _Cell(_("Unknown") if group == "unknown" else str(group)),
            _count_cell(t["count"]),
            _count_cell(f["count"]),
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
            _(
                "Femicide by age group of the victim, all years (rates: average annual, per "
                "100,000 women of the age group)"
            )
            if with_rates
            else _("Femicide by age group of the victim, all years"),
            header,
            rows,
            note=_("Victims of unknown age have no population and no rate.") if with_rates else "",
        )
    )
    # Mechanism, place, relationship.
    # Whole sentences per breakdown (a translation cannot be built from a fragment).
    specs = [
        (
            "mechanism",
            "mechanism",
            _("Mechanism (weapon or means) of the killing"),
            _("By mechanism"),
            _("Stacked bar chart of female homicide victims by mechanism, split by femicide type."),
        ),
        (
            "place",
            "place_group",
            _("Place of the killing"),
            _("By place"),
            _(
                "Stacked bar chart of female homicide victims by place group, split by "
                "femicide type."
            ),
        ),
        (
            "relationship",
            "relationship_group",
            _("Relationship of the perpetrator to the victim"),
            _("By relationship"),
            _(
                "Stacked bar chart of female homicide victims by relationship group, split by "
                "femicide type."
            ),
        ),
    ]
    for name, column, title, heading, alt in specs:
        section.blocks.append(_Heading(heading))
        table = ctx.release[f"indicators_by_{column}"]
        ctx.tables[f"indicators_by_{column}"] = table
        section.blocks.append(
            _chart(
                f"chart-{name}",
                alt,
                _("{title}: female homicide victims by femicide type, all years.").format(
                    title=title
                ),
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
                    _count_cell(wide["female_homicide"].loc[category, "count"]),
                    *[_count_cell(wide[k].loc[category, "count"]) for k in kinds],
                    _pct(
                        femicide["share"],
                        hidden=bool(femicide["suppressed"])
                        or _missing(femicide["share_denominator"]),
                    ),
                ]
            )
        section.blocks.append(
            _Table(
                _("{title}: victims by femicide type, all years").format(title=title),
                [
                    _label(name),
                    _("Female homicide victims"),
                    *[_label(k) for k in kinds],
                    _("Femicide share (%)"),
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
    section = _Section("linked-orphans", _("Linked victims and orphans"))
    section.blocks.append(
        _(
            "These figures come from variables beyond the UN framework (femstat's extension "
            "variables linked_victim and orphans) and do not change any count above. A "
            "linked victim was killed in connection with the femicide of a woman or girl in "
            "the same event (her children, a person who tried to stop it); orphans are the "
            "children under 18 a femicide victim left. Counts are protected with the rest of "
            "the release."
        )
    )
    linked = orphans = None
    if linked_cube is not None:
        ctx.tables["linked_victims"] = linked_cube
        linked = fs.linked_victims(linked_cube, type_column=ctx.rules.type_column)
        section.blocks.append(_Heading(_("Linked victims")))
        # A sex with no linked victim at all (every cell a published zero) is left out.
        shown = linked["count"].isna() | (linked["count"] > 0)
        sexes = [x for x in C.SEX.codes if (shown & (linked["victim_sex"] == x)).any()]
        wide = linked.pivot(index="age_group", columns="victim_sex", values="count")
        groups = list(dict.fromkeys(linked["age_group"]))
        body = [
            [
                _Cell(_("Unknown") if group == "unknown" else group),
                *[_count_cell(wide.loc[group, sex]) for sex in sexes],
                _count_cell(_sum_or_withheld(wide.loc[group, sexes])),
            ]
            for group in groups
        ]
        total = [
            _Cell(_("Total")),
            *[_count_cell(_sum_or_withheld(wide[sex])) for sex in sexes],
            _count_cell(_sum_or_withheld(linked["count"])),
        ]
        section.blocks.append(
            _Table(
                _("Linked victims of femicides, by age group and sex, all years"),
                [_("Age group"), *[_label(sex) for sex in sexes], _("Total")],
                [*body, total],
                total_rows={len(body)},
                note=_(
                    "Linked victims whose event has no femicide (or no event_id) are not "
                    "counted here."
                ),
            )
        )
    if orphans_cube is not None:
        ctx.tables["orphans"] = orphans_cube
        orphans = _orphans_table(
            orphans_cube, ctx.release["indicators_overall"], ctx.rules.type_column
        )
        section.blocks.append(_Heading(_("Orphans")))
        body = [
            [
                _Cell(_label(r.femicide_type)),
                _count_cell(r.victims),
                _count_cell(r.victims_known),
                _count_cell(r.orphans),
                _count_cell(r.victims_unknown),
            ]
            for r in orphans.itertuples(index=False)
        ]
        section.blocks.append(
            _Table(
                _("Children under 18 left by femicide victims, by femicide type, all years"),
                [
                    _("Femicide type"),
                    _("Victims"),
                    _("Number of orphans known"),
                    _("Children left"),
                    _("Number of orphans not known"),
                ],
                body,
                total_rows={len(body) - 1},
                note=_(
                    "Children left counts the orphans of the victims whose number is known: "
                    "a lower bound when some are not known (never counted as zero)."
                ),
            )
        )
    section.blocks.append(
        _chart(
            "chart-linked-orphans",
            _(
                "Bar charts of linked victims by age group and sex, and of children left by "
                "femicide type, for the variables the data hold."
            ),
            _(
                "Linked victims of femicides by age group and sex, and children under 18 left "
                "by femicide victims by type, all years."
            ),
            lambda: linked_orphans_chart(linked, orphans),
        )
    )
    return section


def _suppression_text(ctx: _Context, withheld: bool = True) -> str:
    # Citations are fields: they stay as published in every language, and the list of
    # references finds them in the text (_references).
    if ctx.min_count == 1:
        return _(
            "Disclosure control: none. The report was made with a threshold of 1 "
            "(min_count 1): every count is published, however small."
        )
    n_secondary = int(ctx.protection.get("n_secondary", 0))
    largest = i18n.format_integer(ctx.min_count - 1)
    threshold = i18n.format_integer(ctx.min_count)
    first = _n(
        "Disclosure control: every count from 1 to {largest} (fewer than {threshold}) is "
        "withheld (primary suppression). Because the tables add up (the typology sums, and "
        "the margins between the overall, by-year, by-area, by-age and other tables), a "
        "withheld count could be worked out by subtraction: {n} further cell is "
        "withheld so that it cannot (secondary suppression, femstat.protect), checked by an "
        "attacker's audit that computes the narrowest interval the published figures allow "
        "for every withheld cell (linear programming; each must keep at least {threshold} "
        "possible values) ({citation}).",
        "Disclosure control: every count from 1 to {largest} (fewer than {threshold}) is "
        "withheld (primary suppression). Because the tables add up (the typology sums, and "
        "the margins between the overall, by-year, by-area, by-age and other tables), a "
        "withheld count could be worked out by subtraction: {n} further cells are "
        "withheld so that it cannot (secondary suppression, femstat.protect), checked by an "
        "attacker's audit that computes the narrowest interval the published figures allow "
        "for every withheld cell (linear programming; each must keep at least {threshold} "
        "possible values) ({citation}).",
        n_secondary,
    ).format(
        largest=largest,
        threshold=threshold,
        n=i18n.format_integer(n_secondary),
        citation="Hundepool et al. 2012",
    )
    marks = (
        _(
            "Both are marked {mark}; the published tables say which (column suppressed: "
            "primary or secondary; SDMX CONF_STATUS C or D)."
        ).format(mark=_SUPPRESSED)
        if withheld
        else _(
            "No published count is from 1 to {largest}: nothing is withheld in this report."
        ).format(largest=largest)
    )
    derived = _(
        "The shares, rates, intervals, bounds, completeness shares, standardised rates and "
        "trends derived from a withheld cell are withheld with it, and charts do not draw "
        "them. Zero counts are shown. Not protected: what a reader could learn by comparing "
        "this release with another made from overlapping data (another period, a revised "
        "file)."
    )
    return f"{first} {marks} {derived}"


def _estimates_text(ctx: _Context) -> str:
    if ctx.imputations == 0:
        return _("Estimates with uncertainty: not computed (no imputations asked).")
    return _(
        "Estimates with uncertainty: multiple imputation ({rubin}), m = {m} imputations, "
        "seed {seed}. A multinomial logistic model of the relationship group and a logistic "
        "model of each criterion, fitted to the records where they are known, with the "
        "coefficients drawn from their approximate posterior in each imputation (proper "
        "imputation); each completed data set is classified by the same rule set; Rubin's "
        "rules with the Barnard-Rubin degrees of freedom combine them ({barnard_rubin}; "
        "{van_buuren}). Counts are treated as a census: their interval is the imputation "
        "uncertainty only. The estimates assume the unknown values are missing at random "
        "given the model's covariates; femstat.estimates.sensitivity shows how far from "
        "that the conclusions hold."
    ).format(
        rubin="Rubin 1987",
        m=i18n.format_integer(ctx.imputations),
        seed=ctx.seed,
        barnard_rubin="Barnard and Rubin 1999",
        van_buuren="van Buuren 2018",
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


# The interval methods in the report's words; the citation stays as published (a field).
# Codes not listed here are named as femstat.exports.describe_methods names them.
_METHOD_TEXTS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "share_method": {
        "wilson": (N_("Wilson score interval ({citation})"), "Wilson 1927"),
        "clopper-pearson": (
            N_("Clopper-Pearson exact interval ({citation})"),
            "Clopper and Pearson 1934",
        ),
    },
    "rate_method": {
        "exact": (N_("exact Poisson interval from gamma quantiles ({citation})"), "Garwood 1936"),
        "byar": (
            N_("Byar's approximation to the Poisson interval ({citation})"),
            "Breslow and Day 1987",
        ),
    },
}


def _method_text(kind: str, code: str, described: str) -> str:
    """The readable name of an interval method in the report's language."""
    known = _METHOD_TEXTS.get(kind, {}).get(code)
    if known is None:
        return described
    message, citation = known
    return _(message).format(citation=citation)


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

    section = _Section("methods", _("Methods and metadata"))
    rules = ctx.rules
    methods = describe_methods({"share_method": ctx.share_method, "rate_method": ctx.rate_method})
    levels = ", ".join(_level_text(x) for x in ctx.levels)
    citation = _rule_set_citation(rules.reference)
    if citation is not None:
        rule_set = _("Rule set: {name}. {description} ({citation}).")
    elif rules.reference:
        rule_set = _("Rule set: {name}. {description} Reference: {reference}")
    else:
        rule_set = _("Rule set: {name}. {description}")
    today = dt.datetime.now(dt.UTC).date()
    items = [
        rule_set.format(
            name=rules.name,
            description=rules.description,
            citation=citation,
            reference=rules.reference,
        ),
        _(
            "Universe: female victims of completed intentional homicide (ICCS 0101; {unodc}), "
            "counted by year of killing. Every victim gets one type by the framework's "
            "decision procedure: intimate partner, then family member (the relationship alone "
            "qualifies), then other perpetrator when at least one of the criteria is true "
            "({criteria}); undetermined when the relationship or a criterion is unknown "
            "(femstat rule); otherwise not femicide."
        ).format(unodc="UNODC 2015", criteria=", ".join(rules.criteria)),
        _("Confidence level(s): {levels}.").format(levels=levels),
        _("Shares of female homicide victims: {method}.").format(
            method=_method_text("share_method", ctx.share_method, methods["share_interval"])
        ),
        _(
            "Rates per 100,000 female population: {method}. Rates over several years (by "
            "area, by age group) are average annual rates: victims divided by the sum of the "
            "yearly populations."
        ).format(method=_method_text("rate_method", ctx.rate_method, methods["rate_interval"])),
        _(
            "Trend: annual percent change from a log-linear quasi-Poisson model with the "
            "population as exposure (the dispersion estimated from the data, so that the "
            "interval keeps its level when counts vary more from year to year than Poisson "
            "counts), fitted with statsmodels, Wald interval on a t distribution ({clegg}; "
            "{mccullagh})."
        ).format(clegg="Clegg et al. 2009", mccullagh="McCullagh and Nelder 1989"),
        _(
            "Age standardisation: direct method against the {standard} standard population, "
            "gamma intervals ({fay_feuer}), when the population is given in the standard's "
            "five-year bands."
        ).format(standard=ctx.standard, fay_feuer="Fay and Feuer 1997"),
        _("Bounds: lower = identified femicides; upper = identified femicides + undetermined."),
        _estimates_text(ctx),
        _n(
            "Reliability: a share or rate from fewer than {n} victim is marked {mark}.",
            "Reliability: a share or rate from fewer than {n} victims is marked {mark}.",
            ctx.min_reliable,
        ).format(n=i18n.format_integer(ctx.min_reliable), mark=_UNRELIABLE),
        _suppression_text(ctx, withheld),
        _("Data source: {source}. Population: none given, so no rates.").format(source=ctx.source)
        if ctx.population is None
        else _("Data source: {source}. Population: {population}.").format(
            source=ctx.source,
            population=ctx.population_source or _("a female population table given by the user"),
        ),
        _(
            "Privacy: the report is built from coded variables only; no free-text field of "
            "the input is read into it."
        ),
        *(
            [
                _(
                    "Charts: colours from the Okabe-Ito palette, safe for colour-blind readers "
                    "({okabe_ito}); bars are hatched and values written on the chart, so that a "
                    "greyscale print loses nothing; withheld values are not drawn."
                ).format(okabe_ito="Okabe and Ito 2008")
            ]
            if charts
            else []
        ),
        _("Produced with femstat {version} on {date}.").format(
            version=__version__,
            # ISO 8601 in English as before; the locale's own words elsewhere.
            date=today.isoformat() if _english() else i18n.format_date(today),
        ),
    ]
    section.blocks.append(_Bullets(items))
    if written_tables:
        section.blocks.append(_Heading(_("Published tables")))
        section.blocks.append(
            _(
                "The tables behind this report, suppressed as above, are in the folder tables/ "
                "next to it: CSV files, each with a .metadata.json file stating how it was "
                "made, and the rates by year as SDMX-CSV. They are data for programs: their "
                "column names and codes are in English and their numbers plain, whatever the "
                "language of the report."
            )
            if not _english()
            else _(
                "The tables behind this report, suppressed as above, are in the folder tables/ "
                "next to it: CSV files, each with a .metadata.json file stating how it was "
                "made, and the rates by year as SDMX-CSV."
            )
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


# The page layout lives in templates/ (Jinja2): report.html.j2 and report.md.j2 lay out the
# sections assembled above, blocks.*.j2 hold the macros of a table, a figure, bullets and a
# heading, and report.css is the style sheet written inline into the HTML page.


def _escape_html(text: object) -> Any:
    """``text`` escaped as :func:`html.escape` does (quotes included), marked safe.

    Jinja's own autoescape writes ``'`` as ``&#39;``; the report has always written
    ``&#x27;`` and ``&quot;``, and readers of the page (and its tests) see no reason to change.
    """
    from markupsafe import Markup

    if hasattr(text, "__html__"):
        return text
    return Markup(html.escape(str(text), quote=True))


def _finalize(eval_ctx: Any, value: object) -> object:
    # Every value printed into an HTML template is escaped here, before autoescape sees it
    # (it leaves Markup alone); Markdown templates get the value as it is, for the md filter.
    return _escape_html(value) if eval_ctx.autoescape else value


@functools.cache
def _environment() -> Any:
    """The Jinja2 environment of the report's templates, built once.

    Autoescape is on for ``*.html.j2`` only: Markdown has its own escaping (the ``md``
    filter). Undefined names fail loudly (``StrictUndefined``) instead of printing nothing.
    ``_`` and ``ngettext`` in the templates read the ``report`` catalogue of the language
    in use when the template is rendered.
    """
    import jinja2

    from femstat import i18n

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("femstat", "templates"),
        autoescape=jinja2.select_autoescape(["html.j2"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        finalize=jinja2.pass_eval_context(_finalize),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

    # Bound with partial, not called with the domain: the catalogue tool would read a call's
    # first argument ("report") as a message to translate.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=functools.partial(i18n.gettext, "report"),
        ngettext=functools.partial(i18n.ngettext, "report"),
        newstyle=True,
    )
    env.filters["md"] = _md
    env.filters["escape_html"] = _escape_html
    env.filters["base64"] = lambda data: base64.b64encode(data).decode("ascii")
    env.tests["table"] = lambda block: isinstance(block, _Table)
    env.tests["figure"] = lambda block: isinstance(block, _Figure)
    env.tests["bullets"] = lambda block: isinstance(block, _Bullets)
    env.tests["heading"] = lambda block: isinstance(block, _Heading)
    return env


def _stylesheet() -> Any:
    from markupsafe import Markup

    env = _environment()
    css, _path, _uptodate = env.loader.get_source(env, "report.css")
    return Markup("\n" + css)


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
                # A withheld count in a sentence is written "[c] (fewer than n)" in the
                # language of the report; other sentences only explain the mark.
                if any(_WITHHELD_COUNT.search(t) for t in texts):
                    return True
    return False


_WITHHELD_COUNT = re.compile(re.escape(_SUPPRESSED) + r" \([^()]*\d")
"""A count written as withheld in a sentence: the mark, then the threshold in brackets."""


def _page(
    template: str,
    title: str,
    meta: list[str],
    keys: list[str],
    sections: list[_Section],
    withheld: bool,
) -> str:
    from femstat import i18n

    return (
        _environment()
        .get_template(template)
        .render(
            # BCP 47 writes the region after a hyphen (es-MX), gettext after an underscore.
            lang=i18n.current_language().replace("_", "-"),
            title=title,
            meta=meta,
            keys=keys,
            sections=sections,
            withheld=withheld,
            marks={"withheld": _SUPPRESSED, "unreliable": _UNRELIABLE, "dash": _DASH},
            stylesheet=_stylesheet() if template.endswith(".html.j2") else "",
        )
    )


def _render_html(
    title: str,
    meta: list[str],
    keys: list[str],
    sections: list[_Section],
    withheld: bool = True,
) -> str:
    """The self-contained HTML page (``templates/report.html.j2``), in the language in use.

    ``withheld`` says whether the legend explains the mark ``[c]``.
    """
    return _page("report.html.j2", title, meta, keys, sections, withheld)


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
    written as HTML entities. A leading list or heading marker is escaped too. The
    Markdown templates apply it as the filter ``md``.
    """
    flat = " ".join(str(text).split()).translate(_MD_SPECIAL)
    return _MD_LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", flat)


def _render_markdown(
    title: str,
    meta: list[str],
    keys: list[str],
    sections: list[_Section],
    withheld: bool = True,
) -> str:
    """The Markdown report (``templates/report.md.j2``), in the language in use."""
    return _page("report.md.j2", title, meta, keys, sections, withheld)


def _key_figures(ctx: _Context, overall: pd.DataFrame, by_year: pd.DataFrame | None) -> list[str]:
    rows = {str(r["femicide_type"]): r for _, r in overall.iterrows()}
    keys = []
    fem, tot = rows["femicide"], rows["female_homicide"]
    if not _missing(fem["count"]) and not _missing(tot["count"]) and not _missing(fem["share"]):
        keys.append(
            _n(
                "{n} femicide identified among {total} female homicide victims ({share}), "
                "all years.",
                "{n} femicides identified among {total} female homicide victims ({share}), "
                "all years.",
                int(fem["count"]),
            ).format(
                n=_int_text(fem["count"]),
                total=_int_text(tot["count"]),
                share=_share_text(float(fem["share"])),
            )
        )
    und = rows["undetermined"]
    if not _missing(und["count"]) and not _missing(und["share"]):
        keys.append(
            _n(
                "{n} victim ({share}) could not be classified: the femicide count is a lower "
                "bound.",
                "{n} victims ({share}) could not be classified: the femicide count is a lower "
                "bound.",
                int(und["count"]),
            ).format(n=_int_text(und["count"]), share=_share_text(float(und["share"])))
        )
    pf = rows["partner_or_family"]
    if not _missing(pf["count"]) and not _missing(pf["share"]):
        keys.append(
            _n(
                "{n} woman or girl was killed by an intimate partner or family member "
                "({share} of female homicide victims).",
                "{n} women and girls were killed by an intimate partner or family member "
                "({share} of female homicide victims).",
                int(pf["count"]),
            ).format(n=_int_text(pf["count"]), share=_share_text(float(pf["share"])))
        )
    if by_year is not None:
        last = by_year[by_year["femicide_type"].astype(str) == "femicide"].iloc[-1]
        if not _missing(last["rate"]):
            keys.append(
                _(
                    "Femicide rate in {year}: {rate} per 100,000 women ({level} CI "
                    "{lower}{dash}{upper})."
                ).format(
                    year=last["year"],
                    rate=rate_text(float(last["rate"])),
                    level=_level_text(ctx.level),
                    lower=rate_text(float(last["rate_lower"])),
                    dash=_DASH,
                    upper=rate_text(float(last["rate_upper"])),
                )
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
        # The tables themselves are the English contract in every language.
        "report_language": ctx.lang,
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


_DEFAULT_TITLE = "Femicide statistics report"
_DEFAULT_SOURCE = "a victim table given by the user"


def build_report(
    data: pd.DataFrame,
    population: pd.DataFrame | None = None,
    *,
    out_dir: str | os.PathLike[str] = "femstat-report",
    source: str | None = None,
    population_source: str | None = None,
    title: str | None = None,
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
    lang: str | None = None,
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
    source, population_source : str, optional
        How the data are described in the Methods section (e.g. the file name); by
        default "a victim table given by the user", in the report's language.
    title : str, optional
        By default "Femicide statistics report", in the report's language.
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
    lang : str, optional
        Language of the report: ``"en"``, ``"es"``, ``"fr"``, ``"pt"``, optionally with a
        region for number and date formats (``"es-MX"``, ``"pt-BR"``). By default the
        language in use: English, or the one set with ``femstat.i18n.language``. Headings,
        sentences, captions, labels and methods are translated and numbers written in the locale's
        format; the published tables (``tables/``) stay the English contract (column
        names, codes, plain numbers), their metadata recording the report's language.

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
    femstat.i18n.LanguageError
        When ``lang`` is not a language femstat has a translation for (checked first).
    """
    tag = i18n.current_language() if lang is None else i18n.normalise(lang)
    with i18n.language(tag):
        return _build_report(
            data,
            population,
            out_dir=out_dir,
            source=source,
            population_source=population_source,
            title=title,
            level=level,
            min_count=min_count,
            min_reliable=min_reliable,
            standard=standard,
            share_method=share_method,
            rate_method=rate_method,
            rules=rules,
            formats=formats,
            tables=tables,
            progress=progress,
            validation=validation,
            imputations=imputations,
            seed=seed,
        )


def _build_report(
    data: pd.DataFrame,
    population: pd.DataFrame | None,
    *,
    out_dir: str | os.PathLike[str],
    source: str | None,
    population_source: str | None,
    title: str | None,
    level: float | Sequence[float],
    min_count: int,
    min_reliable: int,
    standard: str,
    share_method: str,
    rate_method: str,
    rules: RuleSet | Sequence[RuleSet | str],
    formats: Sequence[str],
    tables: bool,
    progress: Callable[[str], None] | None,
    validation: ValidationReport | None,
    imputations: int,
    seed: int,
) -> ReportFiles:
    """:func:`build_report` in the language already in use."""
    import femstat as fs

    # The English defaults (which the command line may pass on) read in the report's language.
    if title is None or title == _DEFAULT_TITLE:
        title = _("Femicide statistics report")
    if source is None or source == _DEFAULT_SOURCE:
        source = _("a victim table given by the user")

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
        lang=i18n.current_language(),
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
    withheld = _withholds_anything(sections) or ctx.text_withheld
    drawn = any(isinstance(b, _Figure) for section in sections for b in section.blocks)
    methods = _methods(ctx, written_tables, withheld=withheld, charts=drawn)
    sections.append(methods)
    # Built from the finished text: the list holds every work cited, and only those.
    methods.blocks += [_Heading(_("References")), _Bullets(_references(sections, rules))]
    data_line = _("Data: {source}.").format(source=source)
    if population_source:
        data_line += " " + _("Population: {source}.").format(source=population_source)
    rule_sets = (
        _("Rule set {name} (national: {national})").format(
            name=rules.name, national=", ".join(r.name for r in national)
        )
        if national
        else _("Rule set {name}").format(name=rules.name)
    )
    if min_count == 1:
        disclosure = _("every count published (min_count 1, no disclosure control)")
    elif withheld:
        disclosure = _n(
            "counts below {n} and the cells that would reveal them withheld ({mark})",
            "counts below {n} and the cells that would reveal them withheld ({mark})",
            min_count,
        ).format(n=i18n.format_integer(min_count), mark=_SUPPRESSED)
    else:
        disclosure = _n(
            "counts below {n} and the cells that would reveal them withheld (none in this report)",
            "counts below {n} and the cells that would reveal them withheld (none in this report)",
            min_count,
        ).format(n=i18n.format_integer(min_count))
    # One template for the line, so that a language can punctuate it its own way.
    settings = _("{rule_sets}; confidence level {levels}; {disclosure}; femstat {version}.").format(
        rule_sets=rule_sets,
        levels=", ".join(_level_text(x) for x in levels),
        disclosure=disclosure,
        version=fs.__version__,
    )
    meta = [data_line, settings]
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
