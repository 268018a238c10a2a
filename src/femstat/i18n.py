"""Languages of the report and the command line: gettext catalogues and locale formats.

femstat speaks English, Spanish, French and Portuguese. What translates is what people
read (labels, sentences, headings, chart titles, command-line messages); what stays the
English contract is what programs read (codes, column names, file formats).

The catalogues are gettext ``.po`` files under ``femstat/locale/<language>/LC_MESSAGES/``,
one per *domain* (``report``: the report and its charts; ``cli``: the command line),
extracted and updated with Babel (``python tools/catalogues.py``, see
``docs/translating.md``). They are read with Babel at first use and compiled in memory,
so that the source tree holds no compiled ``.mo`` files (build outputs) and an edited
catalogue takes effect without a build step.

Numbers and dates are formatted with Babel from the Unicode CLDR data for the full locale
that was asked for: ``es`` (Spain) writes 12.345,7, ``es-MX`` writes 12,345.7, ``fr``
writes 12 345,7 with a narrow no-break space. The catalogue is chosen by the language part
of the tag, so ``es-MX`` and ``es-AR`` read the Spanish catalogue.

Which language is in use is held in a :class:`contextvars.ContextVar`: :func:`language`
sets it for a block, so that the report's many functions need no extra argument and two
reports built at the same time in different threads or tasks do not mix languages.

References
----------
GNU gettext manual, https://www.gnu.org/software/gettext/manual/ (catalogue format).
Babel documentation, https://babel.pocoo.org/ (CLDR number and date formats).
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from femstat.errors import FemstatError

if TYPE_CHECKING:
    from babel import Locale

__all__ = [
    "DOMAINS",
    "LANGUAGES",
    "LanguageError",
    "current_language",
    "format_date",
    "format_decimal",
    "format_integer",
    "format_percent",
    "gettext",
    "language",
    "ngettext",
    "translations",
]

LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "pt": "Português",
}
"""The languages femstat's catalogues cover, by ISO 639-1 code, in their own names."""

SOURCE_LANGUAGE = "en"
"""The language of the messages in the source code (the catalogues' ``msgid``)."""

DOMAINS: tuple[str, ...] = ("report", "cli")
"""The catalogues: ``report`` (report pages and charts), ``cli`` (command-line messages)."""

_current: ContextVar[str] = ContextVar("femstat_language", default=SOURCE_LANGUAGE)


class LanguageError(FemstatError, ValueError):
    """A language tag femstat cannot read or has no catalogue for."""


def _babel_locale(tag: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise LanguageError(
            f"language {tag!r} is not a language tag femstat can read ({exc}). Give one of "
            f"{', '.join(LANGUAGES)}, optionally with a region for number formats (es-MX, "
            "pt-BR, fr-CA)."
        ) from None


def normalise(tag: str) -> str:
    """Return the canonical form of a language tag (``es-mx`` -> ``es_MX``).

    Parameters
    ----------
    tag : str
        A BCP 47 or POSIX tag: ``es``, ``es-MX``, ``pt_BR``.

    Raises
    ------
    LanguageError
        The tag is not a locale CLDR knows, or its language has no femstat catalogue.
    """
    if not isinstance(tag, str) or not tag.strip():
        raise LanguageError(
            f"language must be a tag such as {', '.join(repr(k) for k in LANGUAGES)}; got {tag!r}."
        )
    locale = _babel_locale(tag.strip())
    if locale.language not in LANGUAGES:
        raise LanguageError(
            f"femstat has no translation into {locale.english_name} ({tag!r}). Available: "
            + ", ".join(f"{code} ({name})" for code, name in LANGUAGES.items())
            + ". Translations are welcome: see docs/translating.md."
        )
    return str(locale)


@contextmanager
def language(tag: str | None) -> Iterator[str]:
    """Use ``tag``'s language and formats for the duration of a ``with`` block.

    Parameters
    ----------
    tag : str or None
        A language tag (``"es"``, ``"es-MX"``, ``"fr"``, ``"pt-BR"``, ``"en"``). None keeps
        the language already in use.

    Yields
    ------
    str
        The normalised tag in use inside the block.

    Examples
    --------
    >>> from femstat import i18n
    >>> with i18n.language("es-MX"):
    ...     i18n.format_integer(12345)
    '12,345'
    """
    if tag is None:
        yield _current.get()
        return
    token = _current.set(normalise(tag))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current_language() -> str:
    """The normalised tag in use (``"en"`` unless :func:`language` set another)."""
    return _current.get()


def _catalogue_language(tag: str) -> str:
    return tag.split("_", 1)[0]


@cache
def translations(lang: str, domain: str) -> _gettext.NullTranslations:
    """Return the compiled catalogue of ``domain`` in language ``lang``.

    The ``.po`` file is read with Babel and compiled in memory once per process; fuzzy
    entries (machine guesses awaiting review) are left out, so an unreviewed translation
    falls back to English rather than being shown.

    Parameters
    ----------
    lang : str
        A language code of :data:`LANGUAGES` (the region, if any, is ignored).
    domain : str
        One of :data:`DOMAINS`.
    """
    if domain not in DOMAINS:
        raise LanguageError(f"no message domain {domain!r}; the domains are {DOMAINS}.")
    lang = _catalogue_language(normalise(lang))
    if lang == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    source = resources.files("femstat") / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"
    if not source.is_file():
        return _gettext.NullTranslations()
    with source.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=domain)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def gettext(domain: str, message: str) -> str:
    """Translate ``message`` into the language in use.

    Modules bind this to ``_`` for their own domain, which is the keyword Babel extracts::

        def _(message: str) -> str:
            return i18n.gettext("report", message)

    Messages with fields use named ``str.format`` fields, filled *after* translation
    (``_("{n} records").format(n=...)``), so that a translation may reorder them.
    """
    lang = _current.get()
    if lang == SOURCE_LANGUAGE:
        return message
    return translations(lang, domain).gettext(message)


def ngettext(domain: str, singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on a count, with the language's plural rule."""
    lang = _current.get()
    if lang == SOURCE_LANGUAGE:
        return singular if n == 1 else plural
    return translations(lang, domain).ngettext(singular, plural, n)


def _locale() -> Locale:
    return _babel_locale(_current.get())


def _rounded(value: float, decimals: int) -> Decimal:
    # Python rounds the binary float (2.675 -> 2.67), Babel the decimal string (2.68):
    # round once, the English way, so that every language shows the same digits.
    return Decimal(f"{value:.{decimals}f}")


def format_integer(value: Any) -> str:
    """A whole number with the locale's digit grouping (1,234 / 1.234 / 1 234)."""
    if _current.get() == SOURCE_LANGUAGE:
        return f"{int(value):,}"
    from babel.numbers import format_decimal as babel_decimal

    return babel_decimal(int(value), format="#,##0", locale=_locale())


def format_decimal(value: Any, decimals: int = 1) -> str:
    """A number with ``decimals`` fixed decimal places in the locale's notation."""
    if _current.get() == SOURCE_LANGUAGE:
        return f"{float(value):,.{decimals}f}"
    from babel.numbers import format_decimal as babel_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return babel_decimal(_rounded(float(value), decimals), format=pattern, locale=_locale())


def format_percent(share: Any, decimals: int = 1) -> str:
    """A share (0.123) as a percentage with the locale's own sign placement (12.3%, 12,3 %)."""
    if _current.get() == SOURCE_LANGUAGE:
        return f"{100 * float(share):.{decimals}f}%"
    from babel.numbers import format_percent as babel_percent

    locale = _locale()
    pattern = str(locale.percent_formats[None].pattern)
    if decimals > 0:
        pattern = pattern.replace("0%", "0." + "0" * decimals + "%", 1).replace(
            "0\u00a0%", "0." + "0" * decimals + "\u00a0%", 1
        )
    return babel_percent(
        _rounded(100 * float(share), decimals) / 100, format=pattern, locale=locale
    )


def format_date(value: date | datetime, style: str = "long") -> str:
    """A date in the locale's words (1 December 2026, 1 de diciembre de 2026)."""
    from babel.dates import format_date as babel_date

    day = value.date() if isinstance(value, datetime) else value
    return babel_date(day, format=style, locale=_locale())
