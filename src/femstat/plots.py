"""Charts of femicide indicators, readable in print and by colour-blind readers.

Every function takes a table made by femstat (an indicator table from
:func:`femstat.indicators`, usually passed through :func:`femstat.suppress` first, or a
completeness table) and returns a :class:`matplotlib.figure.Figure`; saving and closing it
is the caller's job (:func:`femstat.report.build_report` does both).

Design rules, applied to every chart:

- colours from the Okabe–Ito palette (Okabe and Ito 2008 [1]_), safe for the common forms of
  colour blindness;
- colour is never the only cue: bars carry hatching, lines differ in marker and dash, and
  values are written on the chart (direct labels), so a greyscale print loses nothing;
- titles and axis labels say what is counted and in which unit ("per 100,000 women");
- confidence intervals are drawn (error bars or a shaded band) and their level stated;
- suppressed cells (:func:`femstat.suppress`) are not drawn and are marked ``[c]``, so a
  chart never reveals a count that the tables withhold.
- a chart with nothing to draw (no row, every value zero or withheld, a breakdown whose
  column the data do not hold) is not drawn blank: :class:`EmptyChartError` says why;
- count axes have whole-number ticks and year axes one tick per year, whatever the data.

matplotlib (extra ``plot``) is imported when a chart is drawn, with the non-interactive
Agg backend, so importing this module costs nothing and works on servers without a display.

References
----------
.. [1] Okabe, M., & Ito, K. (2008). Color Universal Design (CUD): how to make figures and
   presentations that are friendly to colorblind people. J*Fly Data Depository.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from femstat import i18n
from femstat.codes import FEMICIDE as _FEMICIDE_KINDS
from femstat.display import MARK
from femstat.errors import FemstatError, require

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "OKABE_ITO",
    "TYPE_LABELS",
    "TYPE_STYLES",
    "ChartError",
    "EmptyChartError",
    "age_chart",
    "breakdown_chart",
    "completeness_chart",
    "estimate_chart",
    "label",
    "linked_orphans_chart",
    "rule_set_chart",
    "trend_chart",
    "typology_chart",
]


_DOMAIN = "report"
"""The catalogue of the charts (a name, not a literal in the call: it is no message)."""


def _(message: str) -> str:
    return i18n.gettext(_DOMAIN, message)


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


OKABE_ITO: Mapping[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
"""The Okabe–Ito colour-blind-safe palette."""

_GREY = "#BBBBBB"

TYPE_STYLES: Mapping[str, tuple[str, str]] = {
    "intimate_partner": (OKABE_ITO["vermillion"], "///"),
    "family_member": (OKABE_ITO["orange"], "\\\\\\"),
    "partner_or_family_unspecified": (OKABE_ITO["yellow"], "--"),
    "other_perpetrator": (OKABE_ITO["reddish_purple"], "xx"),
    "undetermined": (_GREY, ".."),
    "not_femicide": (OKABE_ITO["sky_blue"], ""),
    "femicide": (OKABE_ITO["blue"], ""),
    "female_homicide": (OKABE_ITO["black"], ""),
    "partner_or_family": (OKABE_ITO["bluish_green"], ""),
}
"""Fill colour and hatch of each femicide type: the hatch keeps types apart in greyscale."""

TYPE_LABELS: Mapping[str, str] = {
    "intimate_partner": N_("Intimate partner"),
    "family_member": N_("Family member"),
    "partner_or_family_unspecified": N_("Partner or family member, not known which"),
    "other_perpetrator": N_("Other perpetrator (criteria met)"),
    "not_femicide": N_("Not femicide"),
    "undetermined": N_("Undetermined"),
    "out_of_scope": N_("Out of scope"),
    "femicide": N_("Femicide (identified)"),
    "female_homicide": N_("Female homicide"),
    "partner_or_family": N_("Intimate partner or family member"),
    "male_partner_or_family": N_("Male victims: partner or family member"),
}
"""Readable names of the rows of an indicator table, in English: :func:`label` translates."""

_COLUMN_LABELS: tuple[str, ...] = (
    N_("Mechanism"),
    N_("Place"),
    N_("Relationship group"),
    N_("Relationship"),
    N_("Age"),
    N_("Prior violence"),
    N_("Exploitation"),
    N_("Abduction"),
    N_("Sex work"),
    N_("Sexual violence"),
    N_("Mutilation"),
    N_("Body in public space"),
    N_("Hate crime"),
    N_("Any criterion"),
)
"""Readable names of the columns charts name (breakdowns, items of the completeness chart),
as :func:`label` makes them: listed so that the catalogue holds their translations."""

IN_SCOPE_TYPES: tuple[str, ...] = (
    "intimate_partner",
    "family_member",
    "partner_or_family_unspecified",
    "other_perpetrator",
    "undetermined",
    "not_femicide",
)
"""The in-scope types, femicides first, in the order charts stack them."""

_OPTIONAL_TYPE = "partner_or_family_unspecified"
"""Drawn only when the data has such records: most sources know which of the two it was,
and an empty bar and legend entry in every chart would say nothing."""

_SUPPRESSED = MARK
_RC: dict[str, Any] = {
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#D9D9D9",
    "grid.linewidth": 0.7,
    "axes.axisbelow": True,
    "hatch.linewidth": 0.8,
    "hatch.color": "#222222",
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "svg.fonttype": "none",
}


class ChartError(FemstatError, ValueError):
    """A chart cannot be drawn from the table given (a missing column, an unknown option)."""


class EmptyChartError(ChartError):
    """The chart would be empty: nothing in the table can be drawn.

    Raised instead of drawing a blank chart when the table has no rows, when every value
    is withheld or zero, or when the breakdown holds only records of unknown category.
    :func:`femstat.report.build_report` catches it and writes :attr:`reason` in place of the
    chart.

    Parameters
    ----------
    chart : str
        The chart, e.g. ``"trend chart"``.
    reason : str
        Why it would be empty, as a sentence fragment without data values, e.g. ``"every
        value is withheld for confidentiality"``.
    """

    def __init__(self, chart: str, reason: str) -> None:
        self.chart = chart
        self.reason = reason
        super().__init__(
            f"the {chart} would be empty: {reason}. Leave the chart out (a report says "
            "why), or draw it from a table with values to show."
        )


def _check_drawable(chart: str, values: np.ndarray, *, what: str | None = None) -> None:
    """Raise :class:`EmptyChartError` unless some value would draw a visible mark.

    A bar of zero length draws nothing: a chart whose values are all zero or withheld
    (missing) would be blank, so it is refused with the reason, in the language in use.
    ``what`` names the values, translated (default: "count").
    """
    what = _("count") if what is None else what
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise EmptyChartError(chart, _("the table has no {what} to draw").format(what=what))
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise EmptyChartError(
            chart, _("every {what} is withheld for confidentiality").format(what=what)
        )
    if not np.any(finite > 0):
        if finite.size < values.size:
            raise EmptyChartError(chart, _("every {what} is zero or withheld").format(what=what))
        raise EmptyChartError(chart, _("every {what} is zero").format(what=what))


def _require_columns(chart: str, table: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ChartError(
            f"the {chart} needs the column(s) {missing}, which the table ({len(table)} rows) "
            "does not have. Give a table made by femstat for this chart (see its docstring)."
        )


def _count_axis(axis: Any) -> None:
    """Whole-number ticks with the locale's thousands separators: counts are never fractional."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))
    # Tick labels are written when the figure is drawn, which may be after the language
    # block that made the chart has ended: the formatter keeps the chart's language.
    tag = i18n.current_language()

    def thousands(value: float, _pos: int | None) -> str:
        with i18n.language(tag):
            return _thousands(value)

    axis.set_major_formatter(FuncFormatter(thousands))


def _year_axis(ax: Any, years: np.ndarray) -> None:
    """One tick per year (integers, never stacked): limits set from the years themselves.

    Without explicit limits, a series whose every value is missing leaves the axis at its
    default (0, 1) range and the year ticks pile up at its right edge.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    distinct = np.unique(years[np.isfinite(years)]).astype(int)
    if distinct.size == 0:
        return
    ax.set_xlim(distinct.min() - 0.5, distinct.max() + 0.5)
    if distinct.size <= 15:
        ax.set_xticks(distinct)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}"))


def _wrap(text: str, width: int = 36) -> str:
    """A long label over several lines, so that it does not push the bars off the figure."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def label(code: object) -> str:
    """Readable form of a code in the language in use.

    A femicide type's name (:data:`TYPE_LABELS`), else the code made readable
    (``"open_area"`` → ``"Open area"``); either is looked up in the ``report`` catalogue,
    which holds the readable name of every code of :mod:`femstat.codes`. The code itself
    stays English (it is the contract); a code the catalogue does not know (from a
    national code list, say) is shown in its readable English form.

    Examples
    --------
    >>> from femstat import i18n
    >>> label("intimate_partner")
    'Intimate partner'
    >>> with i18n.language("es"):
    ...     label("intimate_partner")
    'Pareja íntima'
    """
    text = str(code)
    if text in TYPE_LABELS:
        return _(TYPE_LABELS[text])
    return _(text.replace("_", " ").capitalize())


def _literal(text: str) -> str:
    """A label from the data as literal text: matplotlib reads ``$...$`` as mathematics
    (and fails to draw a chart on what it cannot parse)."""
    return text.replace("$", r"\$")


def _pyplot() -> Any:
    matplotlib: Any = require("matplotlib", "plot")
    # Agg renders to files only: works without a display and never opens windows.
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def _style() -> Iterator[Any]:
    plt = _pyplot()
    with plt.rc_context(_RC):
        yield plt


def _english() -> bool:
    return i18n.current_language() == i18n.SOURCE_LANGUAGE


def _thousands(value: float) -> str:
    """A count drawn on a chart, with the locale's digit grouping (1,234 / 1.234 / 1 234)."""
    if _english():
        return f"{value:,.0f}"
    return i18n.format_integer(round(float(value)))


def _percent(value: float, decimals: int = 1) -> str:
    """A percentage (``12.3`` for 12.3 %) as the locale writes it."""
    if _english():
        return f"{value:.{decimals}f} %"
    return i18n.format_percent(value / 100, decimals)


def _signed(value: float) -> str:
    """A change with its sign (+1.2, -0,8), one decimal, in the locale's notation."""
    if _english():
        return f"{value:+.1f}"
    return ("+" if value >= 0 else "-") + i18n.format_decimal(abs(value), 1)


def _level_text(level: float) -> str:
    """A confidence level (0.95) as a percentage: "95 %" in English, the locale's form else."""
    if _english():
        return f"{level * 100:g} %"
    digits = f"{level * 100:g}"
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return i18n.format_percent(level, decimals)


def _rows(table: pd.DataFrame, type_column: str = "femicide_type") -> dict[str, pd.Series]:
    """One row per type of an indicator table without a breakdown, keyed by the type."""
    if type_column not in table.columns:
        raise ChartError(
            f"expected an indicator table with a {type_column!r} column; the table has "
            f"{len(table)} rows and no such column. Give a table from femstat.indicators."
        )
    return {str(row[type_column]): row for _, row in table.iterrows()}


def _is_suppressed(row: pd.Series) -> bool:
    return bool(row.get("suppressed", False)) or pd.isna(row.get("count"))


def _bar_height(n: int) -> float:
    return 1.6 + 0.42 * n


def _type_rows(
    table: pd.DataFrame, name: str, column: str, order: list[str], type_column: str
) -> pd.DataFrame:
    """The rows of one type, indexed by ``column`` as text, in ``order`` (missing: NaN)."""
    rows = table[table[type_column].astype(str) == name]
    return rows.set_index(rows[column].astype(str)).reindex(order)


def typology_chart(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    type_column: str = "femicide_type",
) -> Figure:
    """Horizontal bars of the victims of each in-scope femicide type, with direct labels.

    Parameters
    ----------
    table : pandas.DataFrame
        An indicator table without a breakdown (one row per type), optionally suppressed.
    title : str, optional
        Default: "Female homicide victims by femicide type", in the language in use.
    type_column : str, default ``"femicide_type"``

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    EmptyChartError
        When the chart would be empty (no row, every value zero or withheld).
    ChartError
        When the table lacks a column the chart needs.
    """
    rows = _rows(table, type_column)
    types = [
        t
        for t in IN_SCOPE_TYPES
        if t in rows
        and (t != _OPTIONAL_TYPE or _is_suppressed(rows[t]) or float(rows[t]["count"]) > 0)
    ]
    _check_drawable(
        "typology chart",
        np.array([np.nan if _is_suppressed(rows[t]) else float(rows[t]["count"]) for t in types]),
    )
    with _style() as plt:
        fig, ax = plt.subplots(figsize=(8, _bar_height(len(types))))
        y = np.arange(len(types))[::-1]
        counts = [0.0 if _is_suppressed(rows[t]) else float(rows[t]["count"]) for t in types]
        top = max(counts) if counts and max(counts) > 0 else 1.0
        for yi, name, n in zip(y, types, counts, strict=True):
            colour, hatch = TYPE_STYLES[name]
            ax.barh(yi, n, color=colour, hatch=hatch, edgecolor="#222222", linewidth=0.6)
            row = rows[name]
            if _is_suppressed(row):
                text = _("{mark} suppressed").format(mark=_SUPPRESSED)
            else:
                share = row.get("share", np.nan)
                text = _thousands(n) + ("" if pd.isna(share) else f"  ({_percent(share * 100)})")
            ax.text(n + top * 0.01, yi, text, va="center", ha="left", fontsize=10)
        ax.set_yticks(y, [label(t) for t in types])
        ax.set_xlim(0, top * 1.32)
        _count_axis(ax.xaxis)
        ax.set_xlabel(_("Victims (number); share of female homicide victims in brackets"))
        ax.set_title(title or _("Female homicide victims by femicide type"), loc="left")
        ax.grid(axis="y", visible=False)
        fig.tight_layout()
    return fig


def completeness_chart(
    completeness: pd.DataFrame | pd.Series,
    *,
    title: str | None = None,
) -> Figure:
    """Bars of the share of in-scope records with each item unknown.

    Parameters
    ----------
    completeness : pandas.DataFrame or pandas.Series
        A table from :func:`femstat.completeness` without a breakdown (its one row is
        used), or that row as a Series.
    title : str, optional
        Default: "Information unknown among female homicide victims", translated.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    EmptyChartError
        When the chart would be empty (no row, every value zero or withheld).
    ChartError
        When the table lacks a column the chart needs.
    """
    if isinstance(completeness, pd.DataFrame):
        if completeness.empty:
            raise EmptyChartError("completeness chart", _("the table has no row"))
        row = completeness.iloc[0]
    else:
        row = completeness
    items = [c for c in row.index if str(c).endswith("_unknown") or c == "undetermined"]
    names = [
        _("Classified undetermined") if c == "undetermined" else label(str(c)[: -len("_unknown")])
        for c in items
    ]
    values = [float(row[c]) * 100 if pd.notna(row[c]) else np.nan for c in items]
    if not items:
        raise EmptyChartError("completeness chart", _("the table has no share of unknown values"))
    if not np.isfinite(values).any():
        # A share of 0 % is information (the item is always known) and is written on the
        # chart; only a chart of withheld shares alone would be blank.
        raise EmptyChartError(
            "completeness chart", _("every share is withheld for confidentiality")
        )
    with _style() as plt:
        fig, ax = plt.subplots(figsize=(8, _bar_height(len(items))))
        y = np.arange(len(items))[::-1]
        for yi, value in zip(y, values, strict=True):
            ax.barh(
                yi,
                0 if np.isnan(value) else value,
                color=OKABE_ITO["blue"],
                edgecolor="#222222",
                linewidth=0.6,
            )
            text = (
                _("{mark} suppressed").format(mark=_SUPPRESSED)
                if np.isnan(value)
                else _percent(value)
            )
            ax.text((0 if np.isnan(value) else value) + 1, yi, text, va="center", fontsize=10)
        ax.set_yticks(y, names)
        ax.set_xlim(0, 110)
        ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel(_("Share of female homicide victims with the item unknown (%)"))
        ax.set_title(title or _("Information unknown among female homicide victims"), loc="left")
        ax.grid(axis="y", visible=False)
        fig.tight_layout()
    return fig


def trend_chart(
    table: pd.DataFrame,
    *,
    of: str = "femicide",
    value: str = "rate",
    upper: pd.Series | None = None,
    comparison: str | None = "female_homicide",
    apc: tuple[float, float, float] | None = None,
    level: float = 0.95,
    title: str | None = None,
    type_column: str = "femicide_type",
) -> Figure:
    """A rate (or count) by year with its confidence band, the upper bound and the APC.

    Parameters
    ----------
    table : pandas.DataFrame
        An indicator table by ``year`` (optionally suppressed). For ``value="rate"`` it
        needs ``rate``, ``rate_lower`` and ``rate_upper``; for ``value="count"``, the band
        is drawn from ``count_lower`` and ``count_upper`` when present.
    of : str, default ``"femicide"``
        The row drawn with its interval band.
    value : {"rate", "count"}
    upper : pandas.Series, optional
        The upper bound of femicide (identified + undetermined) by year, in the same unit,
        indexed by year; drawn as a dashed line.
    comparison : str or None, default ``"female_homicide"``
        Another row drawn as a dotted line for context (no band).
    apc : (float, float, float), optional
        Annual percent change of ``of`` and its limits, written on the chart.
    level : float, default 0.95
        Confidence level of the band, for the legend.
    title : str, optional
    type_column : str

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    EmptyChartError
        When the chart would be empty (no row, every value zero or withheld).
    ChartError
        When the table lacks a column the chart needs.
    """
    if value not in ("rate", "count"):
        raise ChartError(f"value must be 'rate' or 'count', not {value!r}. Pass one of them.")
    _require_columns("trend chart", table, ["year", type_column, value])
    main = table[table[type_column].astype(str) == of].sort_values("year")
    years = main["year"].to_numpy(dtype=np.float64)
    y = main[value].to_numpy(dtype=np.float64, na_value=np.nan)
    other = (
        table[table[type_column].astype(str) == comparison].sort_values("year")
        if comparison is not None
        else table.iloc[0:0]
    )
    up = (
        upper.reindex(main["year"].to_numpy()).to_numpy(dtype=np.float64, na_value=np.nan)
        if upper is not None
        else np.full(len(main), np.nan)
    )
    # A line needs a value: with every year withheld (or no year at all) the chart
    # would hold only axes.
    if not (
        np.isfinite(y).any()
        or np.isfinite(up).any()
        or np.isfinite(other[value].to_numpy(dtype=np.float64, na_value=np.nan)).any()
    ):
        raise EmptyChartError(
            "trend chart",
            _("the table has no year to draw")
            if main.empty and other.empty
            else _("every year's rate is withheld for confidentiality")
            if value == "rate"
            else _("every year's count is withheld for confidentiality"),
        )
    lo_col, up_col = f"{value}_lower", f"{value}_upper"
    with _style() as plt:
        fig, ax = plt.subplots(figsize=(8, 4.8))
        if lo_col in main.columns and up_col in main.columns:
            ax.fill_between(
                years,
                main[lo_col].to_numpy(dtype=np.float64, na_value=np.nan),
                main[up_col].to_numpy(dtype=np.float64, na_value=np.nan),
                color=OKABE_ITO["sky_blue"],
                alpha=0.35,
                linewidth=0,
                label=_("{level} confidence interval").format(level=_level_text(level)),
            )
        ax.plot(
            years,
            y,
            color=OKABE_ITO["blue"],
            marker="o",
            linewidth=2.2,
            markersize=6,
            label=(_("{type} rate") if value == "rate" else _("{type} count")).format(
                type=label(of)
            ),
        )
        if upper is not None:
            ax.plot(
                years,
                up,
                color=OKABE_ITO["vermillion"],
                marker="^",
                linestyle="--",
                linewidth=1.8,
                markersize=6,
                label=_("Upper bound (femicide + undetermined)"),
            )
        if comparison is not None and not other.empty:
            ax.plot(
                other["year"].to_numpy(dtype=np.float64),
                other[value].to_numpy(dtype=np.float64, na_value=np.nan),
                color=OKABE_ITO["black"],
                marker="s",
                linestyle=":",
                linewidth=1.8,
                markersize=5,
                label=(
                    _("{type} rate (all in-scope victims)")
                    if value == "rate"
                    else _("{type} count (all in-scope victims)")
                ).format(type=label(comparison)),
            )
        hidden = years[np.isnan(y)]
        for year in hidden:
            ax.annotate(_SUPPRESSED, (year, 0), ha="center", va="bottom", fontsize=10)
        if apc is not None and np.isfinite(apc[0]):
            ax.text(
                0.99,
                0.03,
                _(
                    "Annual percent change: {apc} % per year\n({level} CI {lower} to {upper})"
                ).format(
                    apc=_signed(apc[0]),
                    level=_level_text(level),
                    lower=_signed(apc[1]),
                    upper=_signed(apc[2]),
                ),
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=10,
                bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#888888"},
            )
        ax.set_ylim(bottom=0)
        top = max(ax.get_ylim()[1], 1.0)
        ax.set_ylim(0, top * 1.25)
        _year_axis(ax, np.concatenate([years, other["year"].to_numpy(dtype=np.float64)]))
        if value == "count":
            _count_axis(ax.yaxis)
        ax.set_xlabel(_("Year of killing"))
        ax.set_ylabel(_("Rate (per 100,000 women)") if value == "rate" else _("Victims (number)"))
        default = (
            _("{type} rate by year (per 100,000 women)")
            if value == "rate"
            else _("{type} count by year (victims)")
        )
        ax.set_title(title or default.format(type=label(of)), loc="left")
        ax.legend(loc="upper left", ncols=2, frameon=False, fontsize=9)
        fig.tight_layout()
    return fig


def estimate_chart(
    table: pd.DataFrame,
    *,
    of: str = "femicide",
    value: str = "count",
    level: float = 0.95,
    title: str | None = None,
    type_column: str = "femicide_type",
) -> Figure:
    """The estimate by year with its interval, between the lower and upper bounds.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`femstat.estimate` by ``year`` (withheld values missing).
    of : str, default ``"femicide"``
        The row drawn.
    value : {"count", "rate"}
        Numbers of victims (with the bounds), or rates per 100,000 women (the estimate's
        rate and interval only: the bounds have no rate in that table).
    level : float, default 0.95
    title : str, optional
    type_column : str

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    EmptyChartError
        When the chart would be empty (no row, every value zero or withheld).
    ChartError
        When the table lacks a column the chart needs.

    Notes
    -----
    A withheld year is a gap in every line and marked ``[c]``.
    """
    if value not in ("count", "rate"):
        raise ChartError(f"value must be 'count' or 'rate', not {value!r}. Pass one of them.")
    column = {"count": "estimate", "rate": "rate"}[value]
    limits = {"count": ("lower", "upper"), "rate": ("rate_lower", "rate_upper")}[value]
    bounds = ["bound_lower", "bound_upper"] if value == "count" else []
    _require_columns("estimate chart", table, ["year", type_column, column, *limits, *bounds])
    rows = table[table[type_column].astype(str) == of].sort_values("year")
    years = rows["year"].to_numpy(dtype=np.float64)

    def values(name: str) -> np.ndarray:
        return rows[name].to_numpy(dtype=np.float64, na_value=np.nan)

    estimate = values(column)
    low, high = values(limits[0]), values(limits[1])
    if not any(np.isfinite(values(c)).any() for c in [column, *bounds]):
        raise EmptyChartError(
            "estimate chart",
            _("the table has no year to draw")
            if rows.empty
            else _("every year's estimate is withheld for confidentiality"),
        )
    with _style() as plt:
        fig, ax = plt.subplots(figsize=(8, 4.8))
        if value == "count":
            for name, marker, text in (
                ("bound_upper", "^", _("Upper bound (identified + undetermined)")),
                ("bound_lower", "v", _("Lower bound (identified)")),
            ):
                ax.plot(
                    years,
                    values(name),
                    color=OKABE_ITO["vermillion"] if name == "bound_upper" else _GREY,
                    marker=marker,
                    linestyle="--",
                    linewidth=1.6,
                    markersize=6,
                    label=text,
                )
        ax.errorbar(
            years,
            estimate,
            yerr=np.vstack([np.clip(estimate - low, 0, None), np.clip(high - estimate, 0, None)]),
            fmt="o-",
            color=OKABE_ITO["blue"],
            linewidth=2.2,
            markersize=6,
            capsize=4,
            label=_("Estimate with {level} interval (multiple imputation)").format(
                level=_level_text(level)
            ),
        )
        for year in years[np.isnan(estimate)]:
            ax.annotate(_SUPPRESSED, (year, 0), ha="center", va="bottom", fontsize=10)
        ax.set_ylim(bottom=0)
        ax.set_ylim(0, max(ax.get_ylim()[1], 1.0) * 1.25)
        _year_axis(ax, years)
        if value == "count":
            _count_axis(ax.yaxis)
        ax.set_xlabel(_("Year of killing"))
        unit = _("Victims (number)") if value == "count" else _("Rate (per 100,000 women)")
        ax.set_ylabel(unit)
        ax.set_title(title or _("{type}: estimate by year").format(type=label(of)), loc="left")
        ax.legend(loc="upper left", frameon=False, fontsize=9)
        fig.tight_layout()
    return fig


def age_chart(
    table: pd.DataFrame,
    *,
    types: Sequence[str] = ("femicide", "female_homicide"),
    value: str = "rate",
    level: float = 0.95,
    title: str | None = None,
    type_column: str = "femicide_type",
) -> Figure:
    """Rates (or counts) by age group with confidence intervals as error bars.

    Parameters
    ----------
    table : pandas.DataFrame
        An indicator table by ``age_group`` (optionally suppressed). The ``unknown`` age
        group is left out: it has no population.
    types : sequence of str
        Rows to draw side by side; each gets its own marker and colour.
    value : {"rate", "count", "share"}
    level : float, default 0.95
    title : str, optional
    type_column : str

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    EmptyChartError
        When the chart would be empty (no row, every value zero or withheld).
    ChartError
        When the table lacks a column the chart needs.
    """
    if value not in ("rate", "count", "share"):
        raise ChartError(
            f"value must be 'rate', 'count' or 'share', not {value!r}. Pass one of them."
        )
    _require_columns("age chart", table, ["age_group", type_column, value])
    data = table[table["age_group"].astype(str) != "unknown"]
    groups = list(dict.fromkeys(data["age_group"].astype(str)))
    drawn = data[data[type_column].astype(str).isin([str(t) for t in types])]
    _check_drawable(
        "age chart",
        drawn[value].to_numpy(dtype=np.float64, na_value=np.nan),
        what={
            "rate": _("rate of a known age group"),
            "count": _("count of a known age group"),
            "share": _("share of a known age group"),
        }[value],
    )
    scale = 100.0 if value == "share" else 1.0
    markers = ["o", "s", "D", "^"]
    colours = [OKABE_ITO["blue"], OKABE_ITO["black"], OKABE_ITO["vermillion"], OKABE_ITO["orange"]]
    width = 0.38 if value == "count" else 0.18
    if value == "count":
        colours = [OKABE_ITO["blue"], _GREY, OKABE_ITO["vermillion"], OKABE_ITO["orange"]]
    with _style() as plt:
        fig, ax = plt.subplots(figsize=(8, 4.8))
        x = np.arange(len(groups), dtype=np.float64)
        offsets = (np.arange(len(types)) - (len(types) - 1) / 2) * width
        for i, name in enumerate(types):
            rows = _type_rows(data, name, "age_group", groups, type_column)
            y = rows[value].to_numpy(dtype=np.float64, na_value=np.nan) * scale
            lo_col, up_col = f"{value}_lower", f"{value}_upper"
            yerr = None
            if lo_col in rows.columns and up_col in rows.columns:
                lo = rows[lo_col].to_numpy(dtype=np.float64, na_value=np.nan) * scale
                up = rows[up_col].to_numpy(dtype=np.float64, na_value=np.nan) * scale
                yerr = np.vstack([np.clip(y - lo, 0, None), np.clip(up - y, 0, None)])
            colour = colours[i % len(colours)]
            if value == "count":
                # Counts start at zero: bars, hatched so that series differ in greyscale.
                ax.bar(
                    x + offsets[i],
                    np.nan_to_num(y),
                    width=width * 0.95,
                    color=colour,
                    hatch=["", "//", "..", "xx"][i % 4],
                    edgecolor="#222222",
                    linewidth=0.5,
                    label=label(name),
                )
            else:
                ax.errorbar(
                    x + offsets[i],
                    y,
                    yerr=yerr,
                    fmt=markers[i % len(markers)],
                    color=colour,
                    markersize=7,
                    capsize=4,
                    elinewidth=1.5,
                    label=label(name)
                    if yerr is None
                    else _("{type} ({level} CI)").format(
                        type=label(name), level=_level_text(level)
                    ),
                )
            for xi, yi in zip(x + offsets[i], y, strict=True):
                if np.isnan(yi):
                    ax.annotate(_SUPPRESSED, (xi, 0), ha="center", va="bottom", fontsize=9)
        ax.set_xticks(x, [_literal(_wrap(g, 14)) for g in groups])
        ax.set_ylim(bottom=0)
        ax.set_ylim(0, max(ax.get_ylim()[1], 1.0 if value == "count" else 0.0) * 1.12)
        if value == "count":
            _count_axis(ax.yaxis)
        ax.set_xlabel(_("Age group of the victim (years)"))
        ax.set_ylabel(
            {
                "rate": _("Rate (per 100,000 women in the age group)"),
                "count": _("Victims (number)"),
                "share": _("Share (% of female homicide victims)"),
            }[value]
        )
        default = {
            "rate": _("Rate by age group (per 100,000 women in the age group)"),
            "count": _("Victims by age group (number)"),
            "share": _("Share by age group (% of female homicide victims)"),
        }[value]
        ax.set_title(title or default, loc="left")
        ax.grid(axis="x", visible=False)
        ax.legend(loc="upper left", frameon=False)
        fig.tight_layout()
    return fig


def breakdown_chart(
    table: pd.DataFrame,
    column: str,
    *,
    title: str | None = None,
    type_column: str = "femicide_type",
) -> Figure:
    """Stacked bars of female homicide victims by a breakdown, split by femicide type.

    Parameters
    ----------
    table : pandas.DataFrame
        An indicator table by ``column`` (optionally suppressed).
    column : str
        The breakdown, e.g. ``"mechanism"``, ``"place"``, ``"relationship_group"``.
    title : str, optional
    type_column : str

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    EmptyChartError
        When the chart would be empty (no row, every value zero or withheld).
    ChartError
        When the table lacks a column the chart needs.

    Notes
    -----
    A suppressed segment is left out of its bar, and the category is marked ``[c]``; the
    label at the end of each bar is the category's number of female homicide victims,
    or ``[c]`` when a segment of the bar is withheld (with the total, the drawn segments
    would give the withheld one back).
    """
    if column not in table.columns:
        raise EmptyChartError(
            f"{column} chart", _("the table has no {column}").format(column=column)
        )
    _require_columns(f"{column} chart", table, [type_column, "count"])
    categories = list(dict.fromkeys(table[column].astype(str)))
    in_scope = table[table[type_column].astype(str).isin(IN_SCOPE_TYPES)]
    known = in_scope[in_scope[column].astype(str) != "unknown"]
    # With the column absent from the data every record is of unknown category: the bars
    # of the known categories would all be empty.
    _check_drawable(
        f"{column} chart",
        known["count"].to_numpy(dtype=np.float64, na_value=np.nan),
        what=_("count of a known {category}").format(category=label(column).lower()),
    )
    wide: dict[str, np.ndarray] = {}
    hidden = np.zeros(len(categories), dtype=bool)
    drawn = []
    for name in IN_SCOPE_TYPES:
        rows = _type_rows(table, name, column, categories, type_column)
        counts = rows["count"].to_numpy(dtype=np.float64, na_value=np.nan)
        if name == _OPTIONAL_TYPE and (
            not (table[type_column].astype(str) == name).any()
            or not np.any(np.isnan(counts) | (counts > 0))
        ):
            continue
        drawn.append(name)
        hidden |= np.isnan(counts)
        wide[name] = np.nan_to_num(counts)
    totals_rows = _type_rows(table, "female_homicide", column, categories, type_column)
    totals = totals_rows["count"].to_numpy(dtype=np.float64, na_value=np.nan)
    with _style() as plt:
        fig, ax = plt.subplots(figsize=(8, _bar_height(len(categories)) + 0.6))
        y = np.arange(len(categories))[::-1]
        left = np.zeros(len(categories))
        for name in drawn:
            colour, hatch = TYPE_STYLES[name]
            ax.barh(
                y,
                wide[name],
                left=left,
                color=colour,
                hatch=hatch,
                edgecolor="#222222",
                linewidth=0.5,
                label=label(name),
            )
            left += wide[name]
        top = float(np.nanmax(left)) if len(left) and np.nanmax(left) > 0 else 1.0
        for yi, end, total, gap in zip(y, left, totals, hidden, strict=True):
            # Beside a bar with a withheld segment, the total minus the drawn segments
            # would show what the tables withhold: the total is not written there.
            shown = np.isfinite(total) and not gap
            text = f"n = {_thousands(total)}" if shown else f"n = {_SUPPRESSED}"
            ax.text(end + top * 0.01, yi, text, va="center", fontsize=10)
        ticks = [
            _literal(_wrap(label(c))) + (f" {_SUPPRESSED}" if h else "")
            for c, h in zip(categories, hidden, strict=True)
        ]
        ax.set_yticks(y, ticks)
        ax.set_xlim(0, top * 1.22)
        _count_axis(ax.xaxis)
        ax.set_xlabel(_("Female homicide victims (number)"))
        # The legend sits between the title and the bars; the title's pad leaves it room.
        default = _("Female homicide victims by {category}").format(category=label(column).lower())
        ax.set_title(title or default, loc="left", pad=44)
        ax.grid(axis="y", visible=False)
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            ncols=3,
            frameon=False,
            fontsize=9,
        )
        if hidden.any():
            fig.text(
                0.01,
                0.0,
                _(
                    "{mark}: the category has a withheld cell, not drawn, and its total "
                    "is not written."
                ).format(mark=_SUPPRESSED),
                fontsize=9,
                ha="left",
                va="bottom",
            )
        fig.tight_layout()
    return fig


def linked_orphans_chart(linked: pd.DataFrame | None, orphans: pd.DataFrame | None) -> Figure:
    """Linked victims by age group and sex, and children left by femicide type.

    Parameters
    ----------
    linked : pandas.DataFrame or None
        ``victim_sex``, ``age_group`` and ``count`` (linked victims of events with a
        femicide; NA where withheld), as :func:`femstat.linked_victims` makes it.
    orphans : pandas.DataFrame or None
        ``femicide_type`` and ``orphans`` (children left; NA where withheld), as
        :func:`femstat.orphans` makes it; the total row ``femicide`` is left out.

    Returns
    -------
    matplotlib.figure.Figure
        One panel for each table given with a value to draw (a panel whose every value is
        zero or withheld is left out). A withheld value has no bar and is marked ``[c]``.

    Raises
    ------
    EmptyChartError
        When the chart would be empty (no row, every value zero or withheld).
    ChartError
        When the table lacks a column the chart needs.
    """
    if linked is None and orphans is None:
        raise ChartError("give the linked victims table, the orphans table or both")
    # A panel whose every value is zero or withheld would be blank: it is left out, and
    # the chart only when both are.
    reasons = []
    if linked is not None:
        _require_columns("linked victims chart", linked, ["victim_sex", "age_group", "count"])
        try:
            _check_drawable(
                "linked victims chart",
                linked["count"].to_numpy(dtype=np.float64, na_value=np.nan),
            )
        except EmptyChartError as exc:
            reasons.append(_("linked victims: {reason}").format(reason=exc.reason))
            linked = None
    if orphans is not None:
        _require_columns("orphans chart", orphans, ["femicide_type", "orphans"])
        kept = orphans[orphans["femicide_type"].astype(str) != "femicide"]
        try:
            _check_drawable(
                "orphans chart",
                kept["orphans"].to_numpy(dtype=np.float64, na_value=np.nan),
                what=_("number of children left"),
            )
        except EmptyChartError as exc:
            reasons.append(_("children left: {reason}").format(reason=exc.reason))
            orphans = None
    if linked is None and orphans is None:
        raise EmptyChartError("linked victims and orphans chart", "; ".join(reasons))
    with _style() as plt:
        ratios = [3] * (linked is not None) + [2] * (orphans is not None)
        fig, axes = plt.subplots(
            1,
            len(ratios),
            figsize=(4 + 3.5 * len(ratios), 4.6),
            squeeze=False,
            gridspec_kw={"width_ratios": ratios},
        )
        panels = list(axes[0])
        if linked is not None:
            _linked_panel(panels.pop(0), linked)
        if orphans is not None:
            _orphans_panel(panels.pop(0), orphans)
        fig.tight_layout()
    return fig


def _linked_panel(left: Any, linked: pd.DataFrame) -> None:
    """Bars of linked victims by age group, female and male side by side."""
    groups = list(dict.fromkeys(linked["age_group"].astype(str)))
    x = np.arange(len(groups), dtype=np.float64)
    sexes = [("female", OKABE_ITO["vermillion"], ""), ("male", OKABE_ITO["blue"], "//")]
    width = 0.4
    for i, (sex, colour, hatch) in enumerate(sexes):
        rows = linked[linked["victim_sex"].astype(str) == sex]
        values = (
            rows.set_index(rows["age_group"].astype(str))["count"]
            .reindex(groups)
            .to_numpy(dtype=np.float64, na_value=np.nan)
        )
        offset = (i - 0.5) * width
        left.bar(
            x + offset,
            np.nan_to_num(values),
            width=width * 0.95,
            color=colour,
            hatch=hatch,
            edgecolor="#222222",
            linewidth=0.5,
            label=label(sex),
        )
        for xi, yi in zip(x + offset, values, strict=True):
            if np.isnan(yi):
                left.annotate(_SUPPRESSED, (xi, 0), ha="center", va="bottom", fontsize=9)
    left.set_xticks(
        x, [_literal(_wrap(_("Unknown") if g == "unknown" else g, 14)) for g in groups], fontsize=9
    )
    left.set_ylim(0, max(left.get_ylim()[1], 1.0) * 1.12)
    _count_axis(left.yaxis)
    left.set_xlabel(_("Age group of the linked victim (years)"))
    left.set_ylabel(_("Linked victims (number)"))
    left.set_title(_("Linked victims of femicides"), loc="left")
    left.grid(axis="x", visible=False)
    left.legend(loc="upper right", frameon=False)


def _orphans_panel(right: Any, orphans: pd.DataFrame) -> None:
    """Horizontal bars of the children left, one per femicide type."""
    kinds = [str(k) for k in orphans["femicide_type"].astype(str) if k != "femicide"]
    table = orphans.set_index(orphans["femicide_type"].astype(str))
    values = table.loc[kinds, "orphans"].to_numpy(dtype=np.float64, na_value=np.nan)
    y = np.arange(len(kinds), dtype=np.float64)
    for yi, kind, value in zip(y, kinds, values, strict=True):
        colour, hatch = TYPE_STYLES.get(kind, (_GREY, ""))
        right.barh(
            yi,
            0.0 if np.isnan(value) else value,
            color=colour,
            hatch=hatch,
            edgecolor="#222222",
            linewidth=0.5,
        )
        if np.isnan(value):
            right.annotate(_SUPPRESSED, (0, yi), ha="left", va="center", fontsize=9)
    right.set_yticks(y, [_literal(_wrap(label(k), 24)) for k in kinds])
    right.invert_yaxis()
    right.set_xlim(0, max(right.get_xlim()[1], 1.0) * 1.1)
    _count_axis(right.xaxis)
    right.set_xlabel(_("Children under 18 left (number)"))
    right.set_title(_("Orphans of femicide victims"), loc="left")
    right.grid(axis="y", visible=False)


_RULE_SET_BARS: tuple[tuple[str, str, str, str], ...] = (
    *((kind, TYPE_LABELS[kind], *TYPE_STYLES[kind]) for kind in _FEMICIDE_KINDS),
    ("linked_victims", N_("Linked victims (national class)"), OKABE_ITO["bluish_green"], "++"),
    ("undetermined", TYPE_LABELS["undetermined"], *TYPE_STYLES["undetermined"]),
)
"""The bars of the rule-set chart: column, English legend (translated when drawn), style."""


def rule_set_chart(
    table: pd.DataFrame,
    *,
    title: str | None = None,
) -> Figure:
    """Grouped horizontal bars: for each rule set, its victims of each type.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`femstat.compare_rule_sets` without a breakdown (or the report's
        protected one, whose withheld numbers are missing).
    title : str, optional
        Default: "Victims by type under the UN rule and national rule sets", translated.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    EmptyChartError
        When the chart would be empty (no row, every value zero or withheld).
    ChartError
        When the table lacks a column the chart needs.

    Notes
    -----
    A withheld number is not drawn; its bar is labelled ``[c]``.
    """
    _require_columns("rule-set chart", table, ["rule_set", *(key for key, *_ in _RULE_SET_BARS)])
    _check_drawable(
        "rule-set chart",
        table[[key for key, *_ in _RULE_SET_BARS]].to_numpy(dtype=np.float64, na_value=np.nan),
    )
    names = [str(n) for n in table["rule_set"]]
    n_bars = len(_RULE_SET_BARS)
    height = 0.8 / n_bars
    with _style() as plt:
        fig, ax = plt.subplots(figsize=(8, 1.2 + 0.32 * n_bars * max(len(names), 1)))
        centres = np.arange(len(names))[::-1].astype(float)
        values = {
            key: table[key].to_numpy(dtype=np.float64, na_value=np.nan)
            for key, *_ in _RULE_SET_BARS
        }
        finite = [v for vals in values.values() for v in vals if np.isfinite(v)]
        top = max(finite) if finite and max(finite) > 0 else 1.0
        for i, (key, text, colour, hatch) in enumerate(_RULE_SET_BARS):
            y = centres + 0.4 - height * (i + 0.5)
            shown = np.nan_to_num(values[key])
            ax.barh(
                y,
                shown,
                height=height * 0.92,
                color=colour,
                hatch=hatch,
                edgecolor="#222222",
                linewidth=0.5,
                label=_(text),
            )
            for yi, v in zip(y, values[key], strict=True):
                label_text = _SUPPRESSED if not np.isfinite(v) else _thousands(v)
                ax.text(
                    (v if np.isfinite(v) else 0) + top * 0.01,
                    yi,
                    label_text,
                    va="center",
                    fontsize=8,
                )
        ax.set_yticks(centres, [_literal(_wrap(n)) for n in names])
        ax.set_xlim(0, top * 1.2)
        _count_axis(ax.xaxis)
        ax.set_xlabel(_("Victims (number)"))
        ax.set_title(
            title or _("Victims by type under the UN rule and national rule sets"),
            loc="left",
            pad=44,
        )
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=3, frameon=False, fontsize=9)
        fig.tight_layout()
    return fig
