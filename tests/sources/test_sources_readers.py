"""femstat.sources.read: every file format, with a mapping, validated."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from shr_fixtures import O, V, record, shr_file

import femstat as fs
from femstat import codes as C
from femstat.errors import MissingDependencyError, ValidationError
from femstat.sources import read, read_raw
from femstat.sources import readers as readers_module

MAPPING = {
    "columns": {
        "sexo": {"to": "victim_sex", "codes": {"1": "male", "2": "female"}, "unknown": ["9"]},
        "edad": {"to": "victim_age", "unknown": ["999"]},
        "vinculo": {
            "to": "relationship",
            "codes": {"01": "current_partner", "02": "parent", "03": "stranger"},
            "unknown": ["99"],
        },
        "anio": {"to": "year"},
    }
}
EXPECTED_SEX = ["female", "male", "female", "unknown"]
EXPECTED_RELATIONSHIP = ["current_partner", "parent", "unknown", "stranger"]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "sexo": ["2", "1", "2", "9"],
            "edad": ["31", "999", "0", "45"],
            "vinculo": ["01", "02", "99", "03"],
            "anio": ["2020", "2020", "2021", "2021"],
        }
    )


def check(out: pd.DataFrame) -> None:
    assert out["victim_sex"].dtype == C.SEX.dtype
    assert out["victim_sex"].tolist() == EXPECTED_SEX
    assert out["relationship"].tolist() == EXPECTED_RELATIONSHIP
    assert out["victim_age"].tolist() == [31, pd.NA, 0, 45]
    assert out["year"].tolist() == [2020, 2020, 2021, 2021]


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


WRITERS: dict[str, Callable[[pd.DataFrame, Path], Path]] = {
    "x.csv": write_csv,
    "x.csv.gz": write_csv,
    "x.tsv": lambda df, p: (df.to_csv(p, index=False, sep="\t"), p)[1],
    "x.parquet": lambda df, p: (df.to_parquet(p), p)[1],
    "x.xlsx": lambda df, p: (df.to_excel(p, index=False), p)[1],
}


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_text_and_columnar_formats(name: str, tmp_path: Path) -> None:
    path = WRITERS[name](frame(), tmp_path / name)
    check(read(path, MAPPING))


def test_csv_keeps_leading_zeros(tmp_path: Path) -> None:
    path = write_csv(frame(), tmp_path / "x.csv")
    assert read_raw(path)["vinculo"].tolist() == ["01", "02", "99", "03"]


def test_numeric_excel_codes_still_map(tmp_path: Path) -> None:
    df = frame().assign(sexo=[2, 1, 2, 9], edad=[31, 999, 0, 45], anio=[2020, 2020, 2021, 2021])
    path = tmp_path / "x.xlsx"
    df.to_excel(path, index=False)
    check(read(path, MAPPING))


def labelled_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sexo": [2.0, 1.0, 2.0, 9.0],
            "edad": [31.0, 999.0, 0.0, 45.0],
            "vinculo": [1.0, 2.0, 99.0, 3.0],
            "anio": [2020.0, 2020.0, 2021.0, 2021.0],
        }
    )


LABELS = {
    "sexo": {1.0: "Hombre", 2.0: "Mujer", 9.0: "No especificado"},
    "vinculo": {1.0: "Pareja", 2.0: "Padre o madre", 3.0: "Desconocido por la víctima",
                99.0: "Sin dato"},
}  # fmt: skip
BY_LABEL = {
    "columns": {
        "sexo": {"to": "victim_sex", "codes": {"Mujer": "female", "Hombre": "male"},
                 "unknown": ["No especificado"]},
        "edad": {"to": "victim_age", "unknown": ["999"]},
        "vinculo": {"to": "relationship", "codes": {"Pareja": "current_partner",
                    "Padre o madre": "parent", "Desconocido por la víctima": "stranger"},
                    "unknown": ["Sin dato"]},
        "anio": {"to": "year"},
    }
}  # fmt: skip


@pytest.mark.parametrize("ext", ["sav", "dta"])
@pytest.mark.parametrize("mapping", [MAPPING, BY_LABEL], ids=["by code", "by label"])
def test_spss_and_stata_labels_follow_the_mapping(
    ext: str, mapping: dict[str, object], tmp_path: Path
) -> None:
    path = tmp_path / f"x.{ext}"
    writer = pyreadstat.write_sav if ext == "sav" else pyreadstat.write_dta
    writer(labelled_frame(), str(path), variable_value_labels=LABELS)
    check(read(path, mapping))


def test_value_labels_can_be_forced(tmp_path: Path) -> None:
    path = tmp_path / "x.sav"
    pyreadstat.write_sav(labelled_frame(), str(path), variable_value_labels=LABELS)
    assert read_raw(path, value_labels="labels")["sexo"].tolist()[0] == "Mujer"
    assert read_raw(path, value_labels="codes")["sexo"].tolist()[0] == 2.0
    # without a mapping, a fully labelled column gets its labels, others keep numbers
    auto = read_raw(path)
    assert auto["sexo"].tolist()[0] == "Mujer"
    assert auto["edad"].tolist()[0] == 31.0
    with pytest.raises(ValueError, match="value_labels"):
        read_raw(path, value_labels="both")  # type: ignore[arg-type]


def test_partly_labelled_column_keeps_its_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.sav"
    pyreadstat.write_sav(
        labelled_frame(), str(path), variable_value_labels={"edad": {999.0: "No especificado"}}
    )
    assert read_raw(path)["edad"].tolist() == [31.0, 999.0, 0.0, 45.0]


def test_spss_user_missing_values_become_unknown(tmp_path: Path) -> None:
    path = tmp_path / "x.sav"
    pyreadstat.write_sav(
        labelled_frame(),
        str(path),
        variable_value_labels=LABELS,
        missing_ranges={"sexo": [9.0], "edad": [{"lo": 900.0, "hi": 999.0}], "vinculo": [99.0]},
    )
    raw = read_raw(path)
    assert raw["edad"].isna().tolist() == [False, True, False, False]
    # The mapping no longer needs the missing codes: the file declares them missing.
    mapping = {
        "columns": {
            "sexo": {"to": "victim_sex", "codes": {"1": "male", "2": "female"}},
            "edad": {"to": "victim_age"},
            "vinculo": {"to": "relationship",
                        "codes": {"1": "current_partner", "2": "parent", "3": "stranger"}},
            "anio": {"to": "year"},
        }
    }  # fmt: skip
    check(read(path, mapping))


def test_stata_missing_values_become_unknown(tmp_path: Path) -> None:
    path = tmp_path / "x.dta"
    df = labelled_frame().assign(edad=[31.0, None, 0.0, 45.0])
    pyreadstat.write_dta(df, str(path))
    out = read(path, {"columns": {**MAPPING["columns"], "sexo": {  # type: ignore[dict-item]
        "to": "victim_sex", "codes": {"1": "male", "2": "female"}, "unknown": ["9"]},
        "vinculo": {"to": "relationship",
                    "codes": {"1": "current_partner", "2": "parent", "3": "stranger"},
                    "unknown": ["99"]}}})  # fmt: skip
    check(out)


def test_unmapped_values_in_a_file_raise(tmp_path: Path) -> None:
    path = write_csv(frame().assign(vinculo=["01", "07", "07", "03"]), tmp_path / "x.csv")
    with pytest.raises(ValidationError, match=r"'07' in 2 row\(s\) \(rows 1, 2\)"):
        read(path, MAPPING)


def test_without_a_mapping_validation_still_runs(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"victim_sex": ["F", "M"], "victim_age": ["3", "40"], "relationship": ["parent", "x"],
         "year": ["2020", "2020"]}
    )  # fmt: skip
    path = write_csv(df, tmp_path / "x.csv")
    with pytest.raises(ValidationError, match="'x'"):
        read(path)


def test_perpetrators_file_is_read_mapped_and_folded(tmp_path: Path) -> None:
    victims = write_csv(frame().rename(columns={"id": "victim_id"}), tmp_path / "v.csv")
    perps = write_csv(
        pd.DataFrame({"victim_id": ["a", "a", "c"], "vinculo": ["03", "01", "02"]}),
        tmp_path / "p.csv",
    )
    out = read(victims, MAPPING, perpetrators=perps)
    assert out["relationship"].tolist() == ["current_partner", "parent", "parent", "stranger"]


def test_format_dispatch(tmp_path: Path) -> None:
    path = write_csv(frame(), tmp_path / "x.data")
    with pytest.raises(ValueError, match="format"):
        read(path, MAPPING)
    check(read(path, MAPPING, format="csv"))
    with pytest.raises(ValueError, match="format must be"):
        read(path, MAPPING, format="json")  # type: ignore[arg-type]


def test_shr_through_read(tmp_path: Path) -> None:
    path = tmp_path / "shr.txt"
    path.write_bytes(shr_file(record([V(sex="F")], [O(relationship="WI")])))
    out = read(path, format="shr")
    assert out["relationship"].tolist() == ["current_partner"]
    assert out["victim_sex"].dtype == C.SEX.dtype


def test_optional_dependencies_are_required_lazily_with_the_io_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, str]] = []

    def missing(module: str, extra: str) -> object:
        asked.append((module, extra))
        raise MissingDependencyError(f"pip install 'femstat[{extra}]'")

    monkeypatch.setattr(readers_module, "require", missing)
    for name, module in (("x.parquet", "pyarrow"), ("x.xlsx", "openpyxl"), ("x.sav", "pyreadstat"),
                         ("x.dta", "pyreadstat")):  # fmt: skip
        with pytest.raises(MissingDependencyError, match=r"femstat\[io\]"):
            read(tmp_path / name, MAPPING)
        assert asked[-1] == (module, "io")


def test_top_level_validate_accepts_the_same_mapping_file(tmp_path: Path) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text(
        '[columns.sexo]\nto = "victim_sex"\ncodes = { "1" = "male", "2" = "female" }\n'
        'unknown = ["9"]\n[columns.edad]\nto = "victim_age"\nunknown = ["999"]\n'
        '[columns.vinculo]\nto = "relationship"\n'
        'codes = { "01" = "current_partner", "02" = "parent", "03" = "stranger" }\n'
        'unknown = ["99"]\n[columns.anio]\nto = "year"\n'
    )
    check(fs.validate(frame(), mapping=toml))
    check(read(write_csv(frame(), tmp_path / "x.csv"), toml))


def test_shr_through_read_takes_no_reader_options(tmp_path: Path) -> None:
    path = tmp_path / "shr.txt"
    path.write_bytes(shr_file(record()))
    with pytest.raises(TypeError, match="no reader options"):
        read(path, format="shr", return_report=True)


@pytest.mark.parametrize("preamble", ["\t\n", "\n \t \n", "\t\t\n\n"])
@pytest.mark.parametrize("sep", [";", ","])
def test_blank_lines_before_the_header_do_not_choose_the_delimiter(
    tmp_path: Path, preamble: str, sep: str
) -> None:
    # pandas skips blank lines before the header; a stray tab on one of them used to be
    # taken for the delimiter, so the real header read as one column.
    source = fs.synth.generate(12, seed=5)
    path = tmp_path / "victims.csv"
    path.write_text(preamble + source.to_csv(index=False, sep=sep), encoding="utf-8")
    expected = read(_written(tmp_path / "plain.csv", source.to_csv(index=False, sep=sep)))
    pd.testing.assert_frame_equal(read(path), expected)


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
