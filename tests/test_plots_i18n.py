"""Charts in the language in use: titles, axes, legends, labels and numbers.

A chart drawn inside ``femstat.i18n.language("es")`` speaks Spanish (words from the
report catalogue, numbers in the locale's format); in English it is what it always was.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from femstat import i18n, plots

pytest.importorskip("matplotlib")


def _typology(counts: dict[str, float]) -> pd.DataFrame:
    total = sum(v for v in counts.values() if np.isfinite(v))
    return pd.DataFrame(
        {
            "femicide_type": list(counts),
            "count": list(counts.values()),
            "share": [v / total if total else np.nan for v in counts.values()],
        }
    )


_COUNTS = {
    "intimate_partner": 12000.0,
    "family_member": 3000.0,
    "other_perpetrator": 1500.0,
    "undetermined": 2500.0,
    "not_femicide": 6000.0,
}


def _texts(fig: Any) -> list[str]:
    flat: list[str] = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        flat += [ax.get_title(loc="left"), ax.get_xlabel(), ax.get_ylabel()]
        flat += [t.get_text() for t in [*ax.texts, *ax.get_xticklabels(), *ax.get_yticklabels()]]
        legend = ax.get_legend()
        if legend is not None:
            flat += [t.get_text() for t in legend.get_texts()]
    assert fig.axes  # the figure has axes to read
    return flat


def _close(fig: Any) -> None:
    plots._pyplot().close(fig)


def test_a_spanish_typology_chart_has_spanish_axes_labels_and_numbers() -> None:
    with i18n.language("es"):
        fig = plots.typology_chart(_typology(_COUNTS))
    ax = fig.axes[0]
    assert ax.get_xlabel() == (
        "Víctimas (número); entre paréntesis, porcentaje de las víctimas de homicidio de mujeres"
    )
    assert ax.get_title(loc="left") == (
        "Víctimas de homicidio de mujeres por tipo de femicidio/feminicidio"
    )
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[0] == "Pareja íntima" and "Miembro de la familia" in rows
    # Direct labels in Spain's notation: 12.000, and 48,0 % for the share.
    labels = [t.get_text() for t in ax.texts]
    assert "12.000  (48,0\u00a0%)" in labels
    # Drawn (and its ticks written) after the language block has ended.
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert any("." in t for t in ticks) and not any("," in t for t in ticks), ticks
    _close(fig)


def test_the_english_chart_is_unchanged() -> None:
    fig = plots.typology_chart(_typology(_COUNTS))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Victims (number); share of female homicide victims in brackets"
    assert ax.get_title(loc="left") == "Female homicide victims by femicide type"
    assert "12,000  (48.0 %)" in [t.get_text() for t in ax.texts]
    assert next(t.get_text() for t in ax.get_yticklabels()) == "Intimate partner"
    _close(fig)


@pytest.mark.parametrize(
    ("tag", "ylabel", "band"),
    [
        ("es", "Tasa (por 100\u00a0000 mujeres)", "Intervalo de confianza del 95\u00a0%"),
        ("fr", "Taux (pour 100\u00a0000 femmes)", "Intervalle de confiance à 95\u00a0%"),
        ("pt", "Taxa (por 100 mil mulheres)", "Intervalo de confiança de 95%"),
    ],
)
def test_trend_chart_in_each_language(tag: str, ylabel: str, band: str) -> None:
    years = [2020, 2021, 2022]
    table = pd.DataFrame(
        {
            "year": years * 2,
            "femicide_type": ["femicide"] * 3 + ["female_homicide"] * 3,
            "rate": [1.2, 1.4, 1.1, 2.5, 2.6, 2.4],
            "rate_lower": [1.0, 1.2, 0.9, 2.2, 2.3, 2.1],
            "rate_upper": [1.4, 1.6, 1.3, 2.8, 2.9, 2.7],
        }
    )
    with i18n.language(tag):
        fig = plots.trend_chart(table, apc=(-1.25, -3.5, 1.0))
        femicide = plots.label("femicide")
    ax = fig.axes[0]
    assert ax.get_ylabel() == ylabel
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert band in legend
    assert any(femicide in t for t in legend)
    apc = next(t.get_text() for t in ax.texts if "%" in t.get_text())
    assert "-1,2" in apc and "+1,0" in apc  # the decimal comma of es, fr and pt
    assert "Annual" not in apc and "per year" not in apc
    _close(fig)


def test_breakdown_chart_in_french_names_the_breakdown_and_categories() -> None:
    rows = []
    for place, n in (("dwelling", 40.0), ("public_space", 25.0)):
        for kind in plots.IN_SCOPE_TYPES:
            if kind != "partner_or_family_unspecified":
                rows.append({"place": place, "femicide_type": kind, "count": n})
        rows.append({"place": place, "femicide_type": "female_homicide", "count": n * 5})
    with i18n.language("fr"):
        fig = plots.breakdown_chart(pd.DataFrame(rows), "place")
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Victimes d’homicide de femmes par lieu"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Logement", "Espace public"]
    assert ax.get_xlabel() == "Victimes d’homicide de femmes (nombre)"
    assert "Partenaire intime" in [t.get_text() for t in ax.get_legend().get_texts()]
    _close(fig)


def test_an_empty_chart_says_why_in_the_language_in_use() -> None:
    withheld = dict.fromkeys(_COUNTS, np.nan)
    with i18n.language("pt"), pytest.raises(plots.EmptyChartError) as caught:
        plots.typology_chart(_typology(withheld))
    assert caught.value.reason == (
        "todos os valores estão omitidos por confidencialidade (contagem)"
    )
    with pytest.raises(plots.EmptyChartError) as english:
        plots.typology_chart(_typology(withheld))
    assert english.value.reason == "every count is withheld for confidentiality"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", ["Intimate partner", "Open area", "Firearm", "Zz top"]),
        ("es", ["Pareja íntima", "Área abierta", "Arma de fuego", "Zz top"]),
        ("fr", ["Partenaire intime", "Espace ouvert", "Arme à feu", "Zz top"]),
        ("pt-BR", ["Parceiro íntimo", "Área aberta", "Arma de fogo", "Zz top"]),
    ],
)
def test_label_translates_the_readable_name_and_keeps_unknown_codes(
    tag: str, expected: list[str]
) -> None:
    with i18n.language(tag):
        # A code no catalogue knows (a national code list's) is shown readable, in English.
        got = [plots.label(c) for c in ("intimate_partner", "open_area", "firearm", "zz_top")]
    assert got == expected


def test_every_chart_text_is_translated_in_spanish() -> None:
    """No English word of the chart's own is left in a Spanish chart (codes aside)."""
    with i18n.language("es"):
        figs = [
            plots.typology_chart(_typology(_COUNTS)),
            plots.completeness_chart(
                pd.Series({"relationship_unknown": 0.2, "age_unknown": np.nan, "undetermined": 0.1})
            ),
        ]
    english = {"Victims", "victims", "suppressed", "Information", "unknown", "Classified", "share"}
    for fig in figs:
        for text in _texts(fig):
            assert not english & set(text.replace("(", " ").split()), text
        _close(fig)
