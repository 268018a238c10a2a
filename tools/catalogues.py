"""Extract, update and check femstat's translation catalogues with Babel.

Usage (from the repository root)::

    python tools/catalogues.py update   # add new messages to every .po, mark changed ones fuzzy
    python tools/catalogues.py check    # fail if a catalogue is stale, untranslated or broken
    python tools/catalogues.py stats    # translated / fuzzy / missing per catalogue

The message template is extracted in memory from the sources of each domain (listed in
``DOMAIN_SOURCES``) and never written to the tree: the ``.po`` files under
``src/femstat/locale/<language>/LC_MESSAGES/`` are the only committed catalogues.
See docs/translating.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "femstat"
LOCALE = PACKAGE / "locale"

KEYWORDS = {
    "_": None,  # gettext of the module's domain
    "N_": None,  # marks a message translated later (module-level tables of labels)
    "_n": (1, 2),  # ngettext: singular, plural, count
    "gettext": None,
    "ngettext": (1, 2),
}

DOMAIN_SOURCES: dict[str, tuple[str, ...]] = {
    "report": ("report.py", "plots.py", "display.py", "templates/*.j2"),
    "cli": ("cli.py",),
}
"""Source files of each domain, relative to the package, as glob patterns."""

FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[:!][^}]*)?\}(?!\})")


def _sources(domain: str) -> Iterator[Path]:
    for pattern in DOMAIN_SOURCES[domain]:
        yield from sorted(PACKAGE.glob(pattern))


def extract(domain: str) -> Catalog:
    """The message template of ``domain``, extracted from its sources."""
    template = Catalog(project="femstat", domain=domain, fuzzy=False, version=None)
    for path in _sources(domain):
        method = "jinja2" if path.suffix == ".j2" else "python"
        options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"} if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            template.add(
                message,
                locations=[(str(path.relative_to(ROOT)), lineno)],
                auto_comments=comments,
                context=context,
            )
    for message in _code_labels(domain):
        template.add(message, auto_comments=["readable name of a code"])
    return template


def _code_labels(domain: str) -> Iterable[str]:
    """Readable names of every code, which the report and charts show (codes stay English)."""
    if domain != "report":
        return ()
    sys.path.insert(0, str(ROOT / "src"))
    from femstat import codes
    from femstat.plots import TYPE_LABELS, label

    names: dict[str, None] = dict.fromkeys(TYPE_LABELS.values())
    for value in vars(codes).values():
        if isinstance(value, codes.CodeList):
            names.update(dict.fromkeys(label(code) for code in value.codes))
    return list(names)


def _languages() -> list[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from femstat.i18n import LANGUAGES, SOURCE_LANGUAGE

    return [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]


def po_path(lang: str, domain: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"


def read(lang: str, domain: str) -> Catalog:
    path = po_path(lang, domain)
    if not path.exists():
        return Catalog(locale=lang, domain=domain, project="femstat")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=domain)


def update() -> None:
    """Bring every catalogue up to date with the sources (Babel's ``update``)."""
    for domain in DOMAIN_SOURCES:
        template = extract(domain)
        for lang in _languages():
            catalog = read(lang, domain)
            catalog.update(template, no_fuzzy_matching=False)
            catalog.copyright_holder = "femstat contributors"
            catalog.language_team = f"femstat {lang}"
            catalog.last_translator = "femstat contributors"
            catalog.fuzzy = False
            path = po_path(lang, domain)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                write_po(fh, catalog, width=100, sort_output=False, omit_header=False)
            print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")


def _fields(text: str) -> set[str]:
    return set(FIELD.findall(text))


def problems(lang: str, domain: str) -> list[str]:
    """What is wrong with one catalogue: stale, missing, fuzzy, or fields that differ."""
    template = extract(domain)
    catalog = read(lang, domain)
    found: list[str] = []
    wanted = {m.id for m in template if m.id}
    present = {m.id for m in catalog if m.id}
    for msgid in sorted(map(str, wanted - present)):
        found.append(f"not in the catalogue (run `python tools/catalogues.py update`): {msgid!r}")
    for msgid in sorted(map(str, present - wanted)):
        found.append(f"no longer in the sources (run update): {msgid!r}")
    for message in catalog:
        if not message.id or message.id not in wanted:
            continue
        found.extend(_message_problems(message))
    return found


def _message_problems(message: Message) -> list[str]:
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    if message.fuzzy:
        return [f"fuzzy (review the translation): {ids[0]!r}"]
    if not all(strings):
        return [f"untranslated: {ids[0]!r}"]
    fields = _fields(str(ids[-1])) | _fields(str(ids[0]))
    return [
        f"fields {sorted(_fields(str(s)))} differ from {sorted(fields)} in {ids[0]!r}"
        for s in strings
        if _fields(str(s)) - fields or (_fields(str(ids[0])) - _fields(str(s)))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("update", "check", "stats"))
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
        return 0
    status = 0
    for domain in DOMAIN_SOURCES:
        for lang in _languages():
            found = problems(lang, domain)
            if args.command == "stats":
                catalog = read(lang, domain)
                done = sum(1 for m in catalog if m.id and m.string and not m.fuzzy)
                print(
                    f"{lang}/{domain}: {done} of {len(catalog)} translated, {len(found)} problems"
                )
            for line in found if args.command == "check" else ():
                print(f"{lang}/{domain}: {line}")
            status |= bool(found)
    return status if args.command == "check" else 0


if __name__ == "__main__":
    sys.exit(main())
