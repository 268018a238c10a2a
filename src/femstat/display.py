"""femstat's result tables and report in Jupyter.

femstat's results are plain pandas DataFrames whose ``attrs`` say how they were made
(``attrs["femstat"]``: interval methods, confidence levels, rule set; ``"suppression"`` and
``"protection"``: the disclosure control; ``"femstat_estimate"``: the imputation). In a
notebook, pandas shows such a table as bare floats, with ``NaN`` where a count is
withheld. :func:`style` shows it as femstat publishes it: units in the header, counts as
whole numbers with thousands separators, shares in % and rates per 100,000 women to the
decimals of the report, ``[c]`` where the suppression withholds a value, and a note under
the table naming the methods.

When femstat is imported inside IPython (Jupyter, the IPython shell), :func:`register`
adds an HTML formatter for DataFrames that acts only on tables carrying femstat's attrs;
every other frame keeps pandas' own display. Nothing here imports IPython or pandas until
it is used, so ``import femstat`` stays fast.
"""

from __future__ import annotations

import contextlib
import html
import re
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler
    from pandas.io.formats.style_render import CSSDict

    from femstat.report import ReportFiles

__all__ = [
    "MARK",
    "is_result_table",
    "rate_text",
    "register",
    "report_html",
    "style",
    "to_html",
    "unregister",
]

MARK = "[c]"
"""The mark of a value withheld for confidentiality, as in femstat's reports."""

_DASH = "–"
_ATTRS = ("femstat", "femstat_cube", "suppression", "protection", "femstat_estimate")
_HIDDEN_COLUMNS = ("suppressed",)  # shown by the [c] marks themselves
_COUNTS = frozenset(
    {
        "count",
        "count_unknown_age",
        "reference_count",
        "female_homicide",
        "observed",
        "bound_lower",
        "bound_upper",
        "undetermined",
        "share_denominator",
    }
)
_POPULATIONS = frozenset({"population", "reference_population"})
_TITLES: Mapping[str, str] = {
    "indicators": "Femicide indicators",
    "bounds": "Bounds of the number of femicides",
    "standardised": "Age-standardised femicide rates",
    "trend": "Trend in femicides",
    "completeness": "Completeness of the information",
    "comparisons": "Comparison of rates and shares",
    "counts": "Victim counts",
}


def is_result_table(obj: object) -> bool:
    """Whether ``obj`` is a DataFrame made by femstat (it carries femstat's ``attrs``)."""
    pd = sys.modules.get("pandas")
    if pd is None or not isinstance(obj, pd.DataFrame):
        return False
    return any(key in obj.attrs for key in _ATTRS)


# --------------------------------------------------------------------------- columns


def _kind(table: pd.DataFrame) -> str:
    from femstat.disclosure import table_kind

    if "femstat_estimate" in table.attrs:
        return "estimate"
    try:
        return str(table_kind(table))
    except ValueError:
        return "table"


def _per(table: pd.DataFrame) -> float:
    for key in ("femstat", "femstat_estimate"):
        per = table.attrs.get(key, {}).get("per")
        if per:
            return float(per)
    return 100_000.0


def _unit(column: str, kind: str, per: float) -> tuple[str, str]:
    """(unit shown in the header, how the values are written) of a result column."""
    per_text = f"per {per:,.0f} women"
    if kind == "completeness" and (column.endswith("_unknown") or column == "undetermined"):
        return "%", "share"  # fs.completeness gives shares of female homicide
    if column in _COUNTS or (kind == "bounds" and column in ("lower", "upper")):
        return "", "count"
    if column in _POPULATIONS:
        return "women", "count"
    if kind == "estimate" and column in ("estimate", "lower", "upper"):
        return "estimated victims", "estimate"
    if column.startswith(("rate_ratio", "ratio")):
        return "", "ratio"
    if column.startswith("percent_change") or column.startswith(("apc", "aapc")):
        return "%" if column.startswith("percent") else "% a year", "percent"
    if column.startswith("share_difference"):
        return "percentage points", "points"
    if column.startswith(("share", "reference_share", "lower_share", "upper_share")):
        return "%", "share"
    if column.startswith(("rate", "crude_rate", "reference_rate", "lower_rate", "upper_rate")):
        return f"{per_text}, a year", "rate"
    if column == "p_value":
        return "", "p"
    if column == "reliable":
        return "", "bool"
    if column in ("fmi", "dispersion", "theta", "df"):
        return "", "decimal"
    return "", "text"


def rate_text(value: float) -> str:
    """A rate as femstat publishes it: two decimals, three below 0.1 (so that a small rate
    does not read 0.00), in the language in use."""
    from femstat import i18n

    return i18n.format_decimal(value, 2 if abs(value) >= 0.1 or value == 0 else 3)


_WRITERS: Mapping[str, Callable[[float], str]] = {
    "count": lambda v: f"{round(v):,}",
    "estimate": lambda v: f"{v:,.1f}",
    "share": lambda v: f"{v * 100:.1f}",
    "points": lambda v: f"{v * 100:.1f}",
    "rate": rate_text,
    "ratio": lambda v: f"{v:.2f}",
    "percent": lambda v: f"{v:.1f}",
    "p": lambda v: "<0.001" if v < 0.001 else f"{v:.3f}",
    "decimal": lambda v: f"{v:.2f}",
}


def _cells(table: pd.DataFrame, column: str, how: str, withheld: Any) -> list[str]:
    """The column's values as text; ``[c]`` where ``withheld`` is True."""
    import pandas as pd

    out: list[str] = []
    for value, hidden in zip(table[column].tolist(), withheld, strict=True):
        if hidden:
            out.append(MARK)
        elif value is None or (not isinstance(value, str) and bool(pd.isna(value))):
            out.append(_DASH)
        elif how == "bool":
            out.append("yes" if bool(value) else "no")
        elif how in _WRITERS and not isinstance(value, str):
            out.append(_WRITERS[how](float(value)))
        else:
            out.append(str(value))
    return out


def _withheld(table: pd.DataFrame, columns: list[str], keys: set[str], kind: str) -> dict[str, Any]:
    """Column -> rows whose value the table's disclosure control withholds.

    A row marked ``suppressed`` has its missing values withheld. In an indicator table a
    row is marked exactly when its count is withheld, so its count is never shown, even
    when one was written back into it. (Other tables withhold cell by cell: a marked row
    of a standardised table may publish its count and withhold its unknown-age count.) A
    table suppressed without a ``suppressed`` column withholds its missing statistics.
    """
    import numpy as np

    controlled = "suppression" in table.attrs or "protection" in table.attrs
    if "suppressed" in table.columns:
        rows = np.asarray(table["suppressed"].fillna(False), dtype=bool)
    elif controlled:
        rows = np.ones(len(table), dtype=bool)
    else:
        rows = np.zeros(len(table), dtype=bool)
    # out_of_scope has no share or rate by nature (fs.indicators): never withheld.
    no_share = (
        table["femicide_type"].astype(str).eq("out_of_scope").to_numpy(dtype=bool)
        if "femicide_type" in table.columns
        else np.zeros(len(table), dtype=bool)
    )
    out: dict[str, Any] = {}
    for column in columns:
        if column in keys or column in _POPULATIONS or column == "suppression":
            # Populations are published whole; a missing one is no withheld value.
            out[column] = np.zeros(len(table), dtype=bool)
            continue
        missing = table[column].isna().to_numpy(dtype=bool)
        if column.startswith(("share", "rate")) and column != "share_denominator":
            missing = missing & ~no_share
        always = kind == "indicators" and column == "count" and "suppressed" in table
        out[column] = rows & (missing | always)
    return out


def _keys(table: pd.DataFrame) -> set[str]:
    keys: set[str] = set()
    for key in ("femstat_cube", "femstat", "femstat_estimate"):
        meta = table.attrs.get(key, {})
        for name in ("breakdown", "by"):
            value = meta.get(name)
            if isinstance(value, str):
                keys.add(value)
            elif isinstance(value, list | tuple):
                keys.update(map(str, value))
    keys.update({"femicide_type", "reference", "first_year", "last_year", "year", "area"})
    return keys


# --------------------------------------------------------------------------- notes


def _note(table: pd.DataFrame, kind: str) -> str:
    """One paragraph naming how the table was made and what it withholds."""
    from femstat.exports import describe_methods

    meta: dict[str, Any] = dict(table.attrs.get("femstat", {}))
    parts: list[str] = []
    levels = meta.get("levels", meta.get("level"))
    if isinstance(levels, int | float):
        levels = [levels]
    if levels:
        parts.append("Confidence level " + ", ".join(f"{float(x) * 100:g} %" for x in levels))
    methods = describe_methods(meta)
    if "share_interval" in methods:
        parts.append(
            "shares: % of female homicide victims (male_partner_or_family: of male "
            f"homicide victims), {methods['share_interval']}"
        )
    if "rate_interval" in methods:
        parts.append(f"rates: {methods['rate_interval']}")
    if kind == "standardised" and "standardised_rate_interval" in methods:
        standard = meta.get("standard", "")
        parts.append(
            f"direct standardisation to the {standard} standard, "
            f"{methods['standardised_rate_interval']}"
        )
    if kind == "trend" and meta.get("model"):
        parts.append(f"trend model: {meta['model']}")
    if meta.get("min_reliable"):
        parts.append(f"rates from fewer than {meta['min_reliable']} victims are flagged unreliable")
    estimate = table.attrs.get("femstat_estimate")
    if estimate:
        assumption = str(estimate.get("assumption", "missing at random")).rstrip(". ")
        parts.append(
            f"multiple imputation ({estimate.get('method', '')}, m = {estimate.get('m', '')}); "
            f"assumption: {assumption}"
        )
    rule_set = meta.get("rule_set") or (estimate or {}).get("rule_set")
    if rule_set is None:
        rule_set = table.attrs.get("femstat_cube", {}).get("rules", {}).get("name")
    if rule_set:
        parts.append(f"rule set {rule_set}")
    suppression = table.attrs.get("suppression", {})
    protection = table.attrs.get("protection", {})
    min_count = suppression.get("min_count", protection.get("audit", {}).get("min_count"))
    if min_count == 1:
        parts.append("min_count 1: every count is published, without disclosure control")
    elif min_count:
        text = (
            f"{MARK} withheld for confidentiality: counts from 1 to {int(min_count) - 1} and "
            "the values derived from them"
        )
        if protection.get("n_secondary"):
            text += (
                f", and {protection['n_secondary']} more cells so that none can be worked out "
                "from the others"
            )
        parts.append(text)
    elif "suppressed" in table.columns:
        parts.append(f"{MARK} withheld for confidentiality")
    if not parts:
        return ""
    return "; ".join(parts) + "."


def _caption(table: pd.DataFrame, kind: str, per: float) -> str:
    title = _TITLES.get(kind, "Femicide estimates" if kind == "estimate" else "femstat table")
    of = table.attrs.get("femstat", {}).get("of")
    if of:
        title += f" ({of})"
    units = ["Counts: number of victims"]
    columns = set(map(str, table.columns))
    if any(c.startswith(("rate", "crude_rate")) for c in columns) and kind != "trend":
        units.append(f"rates: per {per:,.0f} women a year")
    if any(c.startswith("share") for c in columns):
        units.append("shares: %")
    return f"{title}. " + "; ".join(units) + "."


# --------------------------------------------------------------------------- public


def _frame(table: pd.DataFrame) -> tuple[pd.DataFrame, str, str]:
    """The table as text cells with units in the header, its caption and its note."""
    import pandas as pd

    from femstat.schemas import is_sensitive

    kind = _kind(table)
    per = _per(table)
    # Identifiers are never shown, even in a table that carries one by mistake.
    columns = [
        str(c) for c in table.columns if str(c) not in _HIDDEN_COLUMNS and not is_sensitive(c)
    ]
    keys = _keys(table)
    withheld = _withheld(table, columns, keys, kind)
    data: dict[str, list[str]] = {}
    for column in columns:
        unit, how = _unit(column, kind, per) if column not in keys else ("", "text")
        header = f"{column} ({unit})" if unit else column
        data[header] = _cells(table, column, how, withheld[column])
    frame = pd.DataFrame(data, index=table.index)
    return frame, _caption(table, kind, per), _note(table, kind)


_STYLES: list[CSSDict] = [
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold;"},
    {"selector": "td", "props": "text-align: right; font-variant-numeric: tabular-nums;"},
]


def style(table: pd.DataFrame, *, note: bool = True) -> Styler:
    """A femstat result table as a pandas ``Styler``, as femstat publishes it.

    Parameters
    ----------
    table : pandas.DataFrame
        A table made by femstat (``fs.indicators``, ``fs.suppress``, ``fs.protect``,
        ``fs.bounds``, ``fs.age_standardised_rates``, ``fs.estimate``, ...). Its values are
        not changed: the Styler shows text made from them.
    note : bool, default True
        Put the method note in the caption, under the title (``to_html`` writes it under
        the table instead).

    Returns
    -------
    pandas.io.formats.style.Styler
        Units in the header (``rate (per 100,000 women, a year)``, ``share (%)``),
        counts with thousands separators, shares in % to one decimal, rates to two
        decimals (three below 0.1), ``[c]`` where the table's suppression withholds a value
        (the value itself is never written), ``–`` where there is none, cell text escaped
        as HTML, identifiers left out. ``Styler.to_html()`` exports it.

    Examples
    --------
    >>> import femstat as fs
    >>> from femstat.display import style
    >>> typed = fs.classify(fs.validate(fs.datasets.example_victims()))
    >>> html = style(fs.suppress(fs.indicators(typed, by="year"), 5)).to_html()
    """
    frame, caption, text = _frame(table)
    caption_html = html.escape(caption)
    if note and text:
        caption_html += f'<br><span style="font-weight: normal">{html.escape(text)}</span>'
    styler = frame.style.format(escape="html").format_index(escape="html", axis=1)
    return styler.hide(axis="index").set_caption(caption_html).set_table_styles(_STYLES)


def to_html(table: pd.DataFrame) -> str:
    """The HTML Jupyter shows for a femstat table: :func:`style` with the note under it."""
    _, _, text = _frame(table)
    out = style(table, note=False).to_html()
    if text:
        out += f'<p class="femstat-note" style="font-size: smaller">{html.escape(text)}</p>'
    return f'<div class="femstat-table">{out}</div>'


def _formatter(obj: Any) -> str | None:
    """IPython's HTML formatter for DataFrames: femstat's tables styled, others as pandas."""
    if is_result_table(obj):
        # No try/except: IPython shows a formatter's error and falls back to plain text,
        # where a silent fallback would hide a defect.
        return to_html(obj)
    method = getattr(obj, "_repr_html_", None)
    return method() if callable(method) else None


_DATAFRAME_MODULES = ("pandas", "pandas.core.frame")


def register(shell: Any = None) -> bool:
    """Show femstat's result tables styled in IPython / Jupyter.

    ``import femstat`` calls this when IPython is running, so there is no need to call it
    yourself unless femstat was imported before IPython started.

    Parameters
    ----------
    shell : IPython InteractiveShell, optional
        The running shell by default.

    Returns
    -------
    bool
        Whether a formatter was registered (False outside IPython).
    """
    if shell is None:
        ipython = sys.modules.get("IPython")
        get = getattr(ipython, "get_ipython", None)
        shell = get() if callable(get) else None
    formatter = getattr(getattr(shell, "display_formatter", None), "formatters", {})
    html_formatter = formatter.get("text/html") if isinstance(formatter, dict) else None
    if html_formatter is None:
        return False
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        html_formatter.for_type(pandas.DataFrame, _formatter)
    else:
        # By name, so that pandas is not imported until a DataFrame is shown. pandas 2.x
        # and later name the class "pandas.DataFrame", older versions by its module.
        for module in _DATAFRAME_MODULES:
            html_formatter.for_type_by_name(module, "DataFrame", _formatter)
    return True


def unregister(shell: Any = None) -> None:
    """Give DataFrames back pandas' own display (undoes :func:`register`)."""
    if shell is None:
        ipython = sys.modules.get("IPython")
        get = getattr(ipython, "get_ipython", None)
        shell = get() if callable(get) else None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", {})
    html_formatter = formatters.get("text/html") if isinstance(formatters, dict) else None
    if html_formatter is None:
        return
    for module in _DATAFRAME_MODULES:
        with contextlib.suppress(KeyError):
            html_formatter.pop(f"{module}.DataFrame")
    if "pandas" in sys.modules:
        with contextlib.suppress(KeyError):
            html_formatter.pop(sys.modules["pandas"].DataFrame)


_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def report_html(files: ReportFiles, *, height: int = 720) -> str:
    """The HTML report of :func:`femstat.build_report`, to show inline in a notebook.

    The report is a whole page with its own style sheet and Content-Security-Policy: it
    is embedded in a sandboxed ``<iframe srcdoc=...>`` (escaped), so that its style does
    not leak into the notebook and nothing in it can run.

    Parameters
    ----------
    files : femstat.report.ReportFiles
        What :func:`femstat.build_report` returned.
    height : int, default 720
        Height of the frame, in pixels.

    Returns
    -------
    str
        The HTML: the report's title, then the frame; when no HTML report was written,
        a list of the files that were.
    """
    if files.html is None or not files.html.exists():
        names = "".join(f"<li>{html.escape(p.name)}</li>" for p in files.paths)
        return f"<p>femstat report (no HTML report written): files</p><ul>{names}</ul>"
    page = files.html.read_text(encoding="utf-8")
    found = _TITLE.search(page)
    # The <title> is already escaped in the page; unescape, then escape once for here.
    title = html.unescape(found[1]).strip() if found else "femstat report"
    return (
        f'<div class="femstat-report"><p><strong>{html.escape(title)}</strong> '
        f"({html.escape(files.html.name)}, {len(files.tables)} table files)</p>"
        f'<iframe title="{html.escape(title)}" sandbox="" srcdoc="{html.escape(page)}" '
        f'style="width: 100%; height: {int(height)}px; border: 1px solid #ccc"></iframe></div>'
    )
