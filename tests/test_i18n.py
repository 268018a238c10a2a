"""The language layer: tags, locale formats, the language in use, compiled catalogues."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from femstat import i18n


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("es", "es"),
        ("es-MX", "es_MX"),
        ("es_mx", "es_MX"),
        ("pt-BR", "pt_BR"),
        ("fr-CA", "fr_CA"),
        (" fr ", "fr"),
    ],
)
def test_tags_are_normalised(tag: str, expected: str) -> None:
    assert i18n.normalise(tag) == expected


@pytest.mark.parametrize("tag", ["de", "zh-CN", "xx-zz", "", "  ", "español"])
def test_a_language_without_catalogue_is_refused_with_the_list(tag: str) -> None:
    with pytest.raises(i18n.LanguageError) as info:
        i18n.normalise(tag)
    assert isinstance(info.value, ValueError)
    assert (
        "'es'" in str(info.value) or "es (Español)" in str(info.value) or "es," in str(info.value)
    )


# Expected strings follow CLDR's conventions for each locale (Unicode CLDR, numbers and
# dates charts): Spain and Brazil group with "." and mark decimals with ","; Mexico the
# other way round; French groups with a narrow no-break space.
FORMATS = [
    ("en", "1,234,567", "12,345.68", "12.3%", "December 1, 2026"),
    ("es", "1.234.567", "12.345,68", "12,3\u00a0%", "1 de diciembre de 2026"),
    ("es-MX", "1,234,567", "12,345.68", "12.3%", "1 de diciembre de 2026"),
    ("fr", "1\u202f234\u202f567", "12\u202f345,68", "12,3\u00a0%", "1 décembre 2026"),
    ("pt", "1.234.567", "12.345,68", "12,3%", "1 de dezembro de 2026"),
]


@pytest.mark.parametrize(("tag", "integer", "decimal", "percent", "day"), FORMATS)
def test_locale_formats(tag: str, integer: str, decimal: str, percent: str, day: str) -> None:
    with i18n.language(tag):
        assert i18n.format_integer(1234567) == integer
        assert i18n.format_decimal(12345.678, 2) == decimal
        assert i18n.format_percent(0.1234) == percent
        assert i18n.format_date(date(2026, 12, 1)) == day


def test_rounding_is_the_same_in_every_language() -> None:
    values = [0.05, 0.15, 0.25, 2.675, 1e-7, 123456.789]
    english = [i18n.format_decimal(v, 2) for v in values]
    with i18n.language("es-MX"):  # same separators as English, Babel's arithmetic
        assert [i18n.format_decimal(v, 2) for v in values] == english


def test_language_is_scoped_to_the_block_and_restored_on_error() -> None:
    assert i18n.current_language() == "en"
    with pytest.raises(RuntimeError), i18n.language("fr"):
        assert i18n.current_language() == "fr"
        with i18n.language(None):
            assert i18n.current_language() == "fr"
        raise RuntimeError
    assert i18n.current_language() == "en"


def test_threads_do_not_share_the_language() -> None:
    seen: dict[str, list[str]] = {}
    barrier = threading.Barrier(2)

    def work(tag: str) -> None:
        with i18n.language(tag):
            barrier.wait()
            seen[tag] = [i18n.current_language(), i18n.format_integer(1234)]

    threads = [threading.Thread(target=work, args=(t,)) for t in ("es", "en")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"es": ["es", "1.234"], "en": ["en", "1,234"]}


def test_english_messages_are_returned_unchanged() -> None:
    assert i18n.gettext("report", "no such message") == "no such message"
    assert i18n.ngettext("report", "{n} record", "{n} records", 1) == "{n} record"
    assert i18n.ngettext("report", "{n} record", "{n} records", 2) == "{n} records"


def test_a_message_missing_from_a_catalogue_falls_back_to_english() -> None:
    with i18n.language("pt"):
        assert i18n.gettext("cli", "a message no catalogue has") == "a message no catalogue has"


def test_an_unknown_domain_is_refused() -> None:
    with pytest.raises(i18n.LanguageError, match="domain"):
        i18n.translations("es", "nonsense")


def test_catalogues_compile_and_fuzzy_entries_are_not_shown(tmp_path, monkeypatch) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(locale="es", domain="report")
    catalog.add("Victims", "Víctimas")
    catalog.add("Rate", "Tasa", flags=["fuzzy"])
    root = tmp_path / "femstat"
    (root / "locale" / "es" / "LC_MESSAGES").mkdir(parents=True)
    with (root / "locale" / "es" / "LC_MESSAGES" / "report.po").open("wb") as fh:
        write_po(fh, catalog)

    monkeypatch.setattr(i18n.resources, "files", lambda package: root)
    i18n.translations.cache_clear()
    try:
        with i18n.language("es-AR"):
            assert i18n.gettext("report", "Victims") == "Víctimas"
            assert i18n.gettext("report", "Rate") == "Rate"
    finally:
        i18n.translations.cache_clear()
