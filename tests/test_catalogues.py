"""Every catalogue is complete, current and safe to format.

The same checks as ``python tools/catalogues.py check``: a message of the sources missing
from a catalogue would show in English inside a translated report; a stale one hides a
change of meaning; a fuzzy one is a guess nobody reviewed; a translation whose ``{fields}``
differ from the English would raise KeyError when filled, or drop a number.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from femstat import i18n

TOOL = Path(__file__).resolve().parents[1] / "tools" / "catalogues.py"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("femstat_catalogues_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


LANGS = [lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE_LANGUAGE]


@pytest.mark.parametrize("domain", i18n.DOMAINS)
@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_is_complete_and_current(tool: ModuleType, lang: str, domain: str) -> None:
    assert tool.problems(lang, domain) == []


@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_the_sources_have_messages_and_none_is_a_domain_name(tool: ModuleType, domain: str) -> None:
    ids = {str(m.id) for m in tool.extract(domain) if m.id}
    assert len(ids) > 20
    assert not ids & set(i18n.DOMAINS)


def test_the_field_check_finds_a_dropped_or_renamed_field(tool: ModuleType) -> None:
    from babel.messages.catalog import Message

    fine = Message("{n} victims in {year}", "{year}: {n} víctimas")
    dropped = Message("{n} victims in {year}", "víctimas en {year}")
    renamed = Message("{n} victims", "{count} víctimas")
    fuzzy = Message("Rate", "Tasa", flags=["fuzzy"])
    empty = Message("Rate", "")
    assert tool._message_problems(fine) == []
    assert tool._message_problems(dropped)
    assert tool._message_problems(renamed)
    assert tool._message_problems(fuzzy)
    assert tool._message_problems(empty)


@pytest.mark.parametrize("lang", LANGS)
def test_every_translation_formats_with_the_english_fields(lang: str) -> None:
    # What the report does at run time: translate, then fill the named fields.
    import re

    from babel.messages.pofile import read_po

    for domain in i18n.DOMAINS:
        path = Path(i18n.__file__).parent / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"
        with path.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            fields = set(re.findall(r"(?<!\{)\{([A-Za-z_]\w*)", " ".join(ids)))
            values = dict.fromkeys(fields, 7)
            for text in strings:
                # Raises on a named field the English does not give; typer's own templates
                # ("[default: {}]") take positional values.
                text.format(*[7] * text.count("{}"), **values)
