"""The command line speaks Spanish, French and Portuguese: ``--lang`` and ``FEMSTAT_LANG``.

The command line's own words (summaries, framing of errors, hints, table titles, help)
come from the ``cli`` catalogue; numbers take the locale's digit grouping; the library's
own messages stay English; English output is what it was.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import femstat as fs
from femstat import i18n
from femstat.cli import _HINTS, _command_line_hint, _in_language, _summary, app

runner = CliRunner()

GOOD = {"victim_sex": "female", "victim_age": "30", "relationship": "stranger", "year": "2020"}


@pytest.fixture(autouse=True)
def _no_language_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A FEMSTAT_LANG of the machine running the tests would change every message.
    monkeypatch.delenv("FEMSTAT_LANG", raising=False)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "victims.csv"
    pd.DataFrame([{**GOOD, "relationship": "martian"}, GOOD]).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def example_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "victims.csv"
    fs.datasets.example_victims().to_csv(path, index=False)
    return path


@pytest.mark.parametrize("where", ["before", "after"])
def test_validate_in_spanish_frames_the_errors_and_gives_a_spanish_hint(
    bad_file: Path, where: str
) -> None:
    argv = ["--lang", "es", "validate", str(bad_file)]
    if where == "after":
        argv = ["validate", str(bad_file), "--lang", "es"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 1
    text = _one_line(result.output)
    assert "femstat no puede usar esta tabla de víctimas (2 filas): 1 problema(s)" in text
    assert "Problemas encontrados" in text
    assert "Qué hacer: recodifique estos valores" in text
    # The TOML the hint suggests is the contract: it stays as femstat reads it.
    assert "[columns.relationship] unknown = ['martian']" in text
    assert "What to do" not in text and "Problems found" not in text


def test_a_file_that_can_be_used_is_said_so_in_french(tmp_path: Path) -> None:
    path = tmp_path / "victims.csv"
    pd.DataFrame([GOOD, GOOD]).to_csv(path, index=False)
    result = runner.invoke(app, ["--lang", "fr", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "validation femstat : 2 lignes" in result.output
    assert "femstat : le fichier est utilisable." in result.output


def test_a_user_error_is_framed_in_the_language(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--lang", "pt", "validate", str(tmp_path / "absent.csv")])
    assert result.exit_code == 2
    assert _one_line(result.output).startswith("femstat: erro: arquivo inexistente:")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["valdate"], "No existe el comando 'valdate'. ¿Quiso decir 'validate'?"),
        (["validate"], "Falta el argumento 'FILE'."),
        (["validate", "a", "b"], "Argumento(s) adicional(es) inesperado(s): b"),
        (["validate", "--mappin", "x"], "No existe la opción --mappin"),
        (["indicators", "x", "--min-count"], "La opción '--min-count' necesita un valor."),
    ],
)
def test_click_s_usage_errors_are_translated(argv: list[str], expected: str) -> None:
    result = runner.invoke(app, ["--lang", "es", *argv])
    assert result.exit_code == 2
    text = _one_line(result.output)
    assert text.startswith("femstat: error: " + expected), text
    assert "(vea 'femstat" in text


def test_the_language_alone_prints_the_help_in_that_language() -> None:
    result = runner.invoke(app, ["--lang", "pt"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Uso: femstat [OPÇÕES] COMANDO [ARGUMENTOS]..." in result.output


def test_femstat_lang_gives_french_help() -> None:
    result = runner.invoke(app, ["--help"], env={"FEMSTAT_LANG": "fr", "COLUMNS": "120"})
    assert result.exit_code == 0
    text = _one_line(result.output)
    assert "Statistiques des féminicides selon le cadre statistique des Nations Unies" in text
    assert "Commandes" in text and "Affiche ce message et quitte." in text
    assert "Show this message and exit." not in text


def test_the_command_line_overrides_femstat_lang() -> None:
    result = runner.invoke(
        app, ["--lang", "pt", "schema", "--help"], env={"FEMSTAT_LANG": "fr", "COLUMNS": "120"}
    )
    assert result.exit_code == 0
    assert "Mostra o esquema da tabela de vítimas" in _one_line(result.output)


@pytest.mark.parametrize("command", ["validate", "indicators", "report"])
def test_a_command_s_help_is_translated(command: str) -> None:
    english = runner.invoke(app, [command, "--help"], env={"COLUMNS": "120"}).output
    spanish = runner.invoke(app, ["--lang", "es", command, "--help"], env={"COLUMNS": "120"})
    assert spanish.exit_code == 0
    text = _one_line(spanish.output)
    assert "Muestra este mensaje y termina." in text and "Opciones" in text
    assert "[por defecto:" in text or command == "validate"
    # The options and their metavars are the same in every language.
    for option in ("--mapping", "--encoding", "--delimiter", "FILE"):
        assert option in english and option in text


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--lang", "xx", "schema"], {}),
        (["schema", "--lang", "de"], {}),
        (["schema"], {"FEMSTAT_LANG": "klingon"}),
    ],
)
def test_an_unknown_language_is_a_usage_error_listing_the_languages(
    argv: list[str], env: dict[str, str]
) -> None:
    result = runner.invoke(app, argv, env=env)
    assert result.exit_code == 2
    text = _one_line(result.output)
    assert text.startswith("femstat: error:") and "--lang" in text
    assert "en (English), es (Español), fr (Français), pt (Português)" in text
    assert "Traceback" not in result.output


def test_spanish_numbers_are_grouped_with_a_dot(example_file: Path, tmp_path: Path) -> None:
    typed = fs.classify(fs.validate(fs.datasets.example_victims()))
    counts = _summary(typed, 5).set_index("femicide_type")["count"]
    femicides = int(counts["femicide"])
    assert femicides >= 1000  # else the test would not see any grouping
    result = runner.invoke(
        app,
        ["--lang", "es", "classify", str(example_file), "-o", str(tmp_path / "out.csv")],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert f"{femicides:,}".replace(",", ".") in result.output
    assert f"{femicides:,}" not in result.output
    assert "tipo de femicidio/feminicidio" in result.output
    assert "Se escribió" in result.output


def test_a_region_gives_its_number_format(example_file: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--lang", "es-MX", "classify", str(example_file), "-o", str(tmp_path / "out.csv")]
    )
    assert result.exit_code == 0, result.output
    typed = fs.classify(fs.validate(fs.datasets.example_victims()))
    femicides = int(_summary(typed, 5).set_index("femicide_type")["count"]["femicide"])
    assert f"{femicides:,}" in result.output  # Mexico groups with a comma
    assert "Se escribió" in result.output


def test_an_indicator_table_in_french(example_file: Path) -> None:
    result = runner.invoke(
        app,
        ["--lang", "fr", "indicators", str(example_file), "--by", ""],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    typed = fs.classify(fs.validate(fs.datasets.example_victims()))
    table = fs.indicators(typed)
    homicides = int(table.set_index("femicide_type")["count"]["female_homicide"])
    share = float(table.set_index("femicide_type")["share"]["femicide"])
    # A narrow no-break space groups the digits; the share has a decimal comma.
    assert f"{homicides:,}".replace(",", "\u202f") in result.output
    assert f"{100 * share:.1f}".replace(".", ",") + "\u00a0%" in result.output
    assert "Effectifs de 1 à 4 supprimés" in _one_line(result.output)


def test_english_is_unchanged_with_or_without_lang(bad_file: Path) -> None:
    plain = runner.invoke(app, ["validate", str(bad_file)])
    english = runner.invoke(app, ["--lang", "en", "validate", str(bad_file)])
    assert plain.output == english.output
    assert "femstat cannot use this victim table (2 rows): 1 problem(s)" in plain.output
    assert "Problems found" in plain.output


@pytest.mark.parametrize(
    "bad",
    [
        {"relationship": "martian"},
        {"victim_age": "999"},
        {"year": "twenty"},
        {"iccs_code": "101"},
        {"date": "31/12/2020"},
        {"orphans": "99"},
        {"victim_sex": None},
    ],
    ids=lambda bad: next(iter(bad)),
)
def test_every_library_hint_is_known_to_the_command_line(bad: dict[str, Any]) -> None:
    # The command line translates a library hint it recognises whole; if the library
    # rewords a hint, this fails instead of the hint silently staying English.
    row = {**GOOD, **bad}
    frame = pd.DataFrame([{k: v for k, v in row.items() if v is not None}, GOOD])
    if bad.get("victim_sex", "") is None:
        frame = frame.drop(columns="victim_sex")
    with pytest.raises(fs.ValidationError) as info:
        fs.validate(frame)
    hint = str(info.value).strip().splitlines()[-1]
    english = _command_line_hint(hint)
    with i18n.language("es"):
        spanish = _command_line_hint(hint)
    assert spanish.startswith("Qué hacer:"), spanish
    assert english.startswith("What to do:")


def test_an_unknown_library_sentence_stays_english() -> None:
    with i18n.language("fr"):
        assert _in_language("What to do: something new.", _HINTS) == "What to do: something new."


def test_counts_in_a_library_sentence_take_the_locale_s_digits() -> None:
    from femstat.cli import _VALIDATION_HEADLINES

    line = "femstat cannot use this victim table (12,345 rows): 3 problem(s)"
    with i18n.language("fr"):
        assert _in_language(line, _VALIDATION_HEADLINES) == (
            "femstat ne peut pas utiliser cette table des victimes (12\u202f345 lignes) : "
            "3 problème(s)"
        )


class _Recorder:
    """Stands in for femstat.report.build_report and records what it was given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, data: pd.DataFrame, population: Any = None, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        out = Path(kwargs["out_dir"])
        out.mkdir(parents=True, exist_ok=True)
        return SimpleNamespace(
            html=out / "report.html",
            markdown=out / "report.md",
            charts=(),
            tables=(),
            summary=_summary(fs.classify(data), kwargs["min_count"]),
        )


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["report"], {}, "en"),
        (["report", "--lang", "es-MX"], {}, "es_MX"),
        (["--lang", "fr", "report"], {}, "fr"),
        (["report"], {"FEMSTAT_LANG": "pt"}, "pt"),
        (["--lang", "es", "report"], {"FEMSTAT_LANG": "pt"}, "es"),
        (["--lang", "fr", "report", "--lang", "pt-BR"], {}, "pt_BR"),
    ],
)
def test_report_passes_the_language_to_build_report(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    env: dict[str, str],
    expected: str,
) -> None:
    recorder = _Recorder()
    monkeypatch.setattr("femstat.report.build_report", recorder)
    victims = tmp_path / "victims.csv"
    fs.datasets.example_victims().head(300).to_csv(victims, index=False)
    result = runner.invoke(app, [*argv, str(victims), "-o", str(tmp_path / "out")], env=env)
    assert result.exit_code == 0, result.output
    (call,) = recorder.calls
    assert call["lang"] == expected
    if expected == "en":
        assert call["title"] == "Femicide statistics report"
        assert "Wrote " in result.output
    else:
        assert call["title"] != "Femicide statistics report"  # the default title translated


def test_report_keeps_a_title_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    recorder = _Recorder()
    monkeypatch.setattr("femstat.report.build_report", recorder)
    victims = tmp_path / "victims.csv"
    fs.datasets.example_victims().head(300).to_csv(victims, index=False)
    result = runner.invoke(
        app,
        ["--lang", "es", "report", str(victims), "-o", str(tmp_path / "o"), "--title", "Informe"],
    )
    assert result.exit_code == 0, result.output
    assert recorder.calls[0]["title"] == "Informe"
    assert "Se escribió" in result.output


def _modules_after(argv: list[str], env: dict[str, str]) -> dict[str, bool]:
    code = (
        "import sys, json\nfrom femstat.cli import main\n"
        f"sys.argv = ['femstat', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps({m: m in sys.modules for m in ('babel', 'pandas')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**_environment(), **env},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _environment() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "FEMSTAT_LANG"}


def test_english_help_does_not_load_babel() -> None:
    assert _modules_after(["--help"], {}) == {"babel": False, "pandas": False}
    assert _modules_after(["--lang", "en", "--help"], {}) == {"babel": False, "pandas": False}


def test_a_requested_language_loads_babel_but_not_pandas_for_help() -> None:
    assert _modules_after(["--help"], {"FEMSTAT_LANG": "es"}) == {"babel": True, "pandas": False}
