"""The national rule sets shipped as TOML: loading, each law case by case, side by side.

Every case table below gives a record, what the law's text says it must be, and the
sentence of the law that decides it. The frames are built by hand; nothing is read from
the classifier to make an expectation.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import femstat as fs
from femstat import codes as C
from femstat import rulesets as fs_rulesets
from femstat.classify import rule_fingerprint

SHIPPED = ("MEX_CPF_325", "ARG_CP_80", "ESP_DGVG_2022", "BRA_CP_121A", "ECU_COIP_141")
F, T, N = False, True, None


def frame(cases: list[dict]) -> pd.DataFrame:
    """A validated frame, one row per case; criteria default to false (known)."""
    rows = []
    for i, case in enumerate(cases):
        row = {
            "victim_id": i,
            "year": 2022,
            "victim_sex": case.get("sex", "female"),
            "victim_age": 30,
            "relationship": case.get("rel", "stranger"),
            "perpetrator_sex": case.get("perp", "male"),
        }
        for criterion in C.CRITERIA:
            row[criterion] = case.get(criterion, False)
        rows.append(row)
    df = pd.DataFrame(rows)
    for criterion in C.CRITERIA:
        df[criterion] = df[criterion].astype("boolean")
    clean = fs.validate(df)
    # The extension columns are read leniently (present -> used); they are set after
    # validation so the test does not depend on their schema entries.
    if any("identity" in c for c in cases):
        clean["victim_gender_identity"] = pd.array(
            [c.get("identity") for c in cases], dtype="string"
        )
    if any("linked" in c for c in cases):
        clean["linked_victim"] = pd.array([c.get("linked", False) for c in cases], "boolean")
    return clean


def check(name: str, cases: list[tuple[dict, str, str]]) -> None:
    rules = fs.rule_set(name)
    typed = fs.classify(frame([c for c, _, _ in cases]), rules=rules)
    got = typed[rules.type_column].tolist()
    wrong = [
        (law, case, expected, g)
        for (case, expected, law), g in zip(cases, got, strict=True)
        if g != expected
    ]
    assert not wrong, wrong


# --------------------------------------------------------------------------------------
# Loading


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_file_loads_with_its_legal_reference(name):
    rules = fs.rule_set(name)
    assert rules.name == name
    assert len(rules.country) == 3 and rules.title
    for key in ("law", "article", "text_date", "url"):
        assert rules.legal[key]
    assert rules.type_column != "femicide_type"
    circumstances = fs_rulesets.circumstances(name)
    assert circumstances and all(c["text"] and "gap" in c for c in circumstances)


@pytest.mark.parametrize("name", SHIPPED)
def test_fingerprint_is_stable_across_loads_and_pickling(name):
    rules = fs.rule_set(name)
    path = Path(fs.__file__).parent / "rulesets" / f"{name}.toml"
    again = fs.RuleSet.from_toml(path)
    assert again == rules
    assert rule_fingerprint(again) == rule_fingerprint(rules)
    thawed = pickle.loads(pickle.dumps(rules))
    assert thawed == rules and rule_fingerprint(thawed) == rule_fingerprint(rules)


def test_fingerprints_are_the_same_in_another_process():
    code = textwrap.dedent(
        f"""
        import femstat as fs
        from femstat.classify import rule_fingerprint
        for name in {SHIPPED!r}:
            print(rule_fingerprint(fs.rule_set(name)))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [rule_fingerprint(fs.rule_set(n)) for n in SHIPPED]


def test_national_fingerprints_differ_from_the_un_one_where_the_rule_differs():
    prints = {n: rule_fingerprint(fs.rule_set(n)) for n in SHIPPED}
    un = rule_fingerprint(fs.UN_2022)
    for name in ("MEX_CPF_325", "ARG_CP_80", "ESP_DGVG_2022", "BRA_CP_121A"):
        assert prints[name] != un, name
    # Ecuador's art. 141, as femstat reads it, is the framework's rule: same decisions.
    assert (fs.rule_set("ECU_COIP_141").table == fs.UN_2022.table).all()


def test_un_2022_is_unchanged_by_the_extensions():
    plain = fs.RuleSet(
        name="UN_2022",
        criteria=C.CRITERIA,
        qualifying_groups={
            "intimate_partner": "intimate_partner",
            "family_member": "family_member",
        },
    )
    assert not fs.UN_2022.is_extended
    assert rule_fingerprint(plain) == rule_fingerprint(fs.UN_2022)
    assert fs.UN_2022.type_dtype == C.FEMICIDE_TYPE.dtype
    assert fs.UN_2022.types == C.FEMICIDE_TYPES
    assert fs.rule_sets()["UN_2022"] is fs.UN_2022


def test_unknown_name_lists_the_shipped_ones():
    with pytest.raises(fs.RuleSetError, match="MEX_CPF_325") as info:
        fs.rule_set("MEX")
    assert isinstance(info.value, ValueError) and isinstance(info.value, fs.FemstatError)
    assert "from_toml" in str(info.value)


GOOD = """
name = "MINE"
title = "A test rule"
country = "XXX"
type_column = "femicide_type_mine"
criteria_column = "criteria_met_mine"
[legal]
law = "Test law"
article = "art. 1"
text_date = "2020-01-01"
url = "https://example.org/law"
[criteria]
columns = ["hate_crime"]
"""


@pytest.mark.parametrize(
    ("text", "key", "advice"),
    [
        ("name = ", "not valid TOML", "fix the syntax"),
        (GOOD.replace('title = "A test rule"\n', ""), "'title'", "add it"),
        ('colour = "red"\n' + GOOD, "'colour'", "use only"),
        (GOOD + 'colour = "red"\n', "'criteria.colour'", "use only"),
        (GOOD.replace('url = "https://example.org/law"\n', ""), "'legal.url'", "cite"),
        (GOOD.replace('["hate_crime"]', '"hate_crime"'), "'criteria.columns'", "list"),
        (GOOD.replace('country = "XXX"', 'country = "Mexico"'), "'country'", "alpha-3"),
        (GOOD + '[scope]\nvictim_sex = ["woman"]\n', "woman", "use those codes"),
        (GOOD + '[scope]\nage = ["adult"]\n', "'scope.age'", "victim_sex"),
        (GOOD + '[perpetrator_sex]\nfamily_member = ["man"]\n', "'man'", "use those codes"),
        (GOOD + '[linked_victims]\ntype = "undetermined"\n', "linked_type", "rename"),
        (GOOD + '[linked_victims]\nlabel = "x"\n', "'linked_victims.type'", "name the class"),
        (GOOD + '[qualifying_groups]\nunknown = "family_member"\n', "cannot qualify", ""),
        (GOOD.replace('["hate_crime"]', "[]"), "criteria", ""),
    ],
)
def test_malformed_files_are_refused_naming_the_key(tmp_path, text, key, advice):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(fs.RuleSetError) as info:
        fs.RuleSet.from_toml(path)
    message = str(info.value)
    assert key in message and advice in message
    assert "mine.toml" in message
    assert isinstance(info.value, ValueError)


def test_a_users_own_file_loads_and_classifies(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD, encoding="utf-8")
    rules = fs.RuleSet.from_toml(path)
    typed = fs.classify(frame([{"hate_crime": True}, {}]), rules=rules)
    assert typed["femicide_type_mine"].tolist() == ["other_perpetrator", "not_femicide"]


def test_unreadable_file_is_a_rule_set_error(tmp_path):
    with pytest.raises(fs.RuleSetError, match="cannot be read"):
        fs.RuleSet.from_toml(tmp_path / "absent.toml")


# --------------------------------------------------------------------------------------
# Each law, case by case

MEX_CASES = [
    ({"sexual_violence": T}, "other_perpetrator", "I. signos de violencia sexual"),
    ({"mutilation": T}, "other_perpetrator", "II. lesiones o mutilaciones infamantes"),
    (
        {"rel": "colleague_or_business", "prior_violence": T},
        "other_perpetrator",
        "III. violencia laboral",
    ),
    ({"rel": "current_partner"}, "intimate_partner", "IV. relación sentimental"),
    ({"rel": "parent"}, "family_member", "IV. relación afectiva"),
    ({"rel": "friend_or_acquaintance"}, "not_femicide", "IV. confianza: not expressible"),
    ({"abduction": T}, "other_perpetrator", "VI. la víctima haya sido incomunicada"),
    ({"body_in_public_space": T}, "other_perpetrator", "VII. cuerpo expuesto en lugar público"),
    ({"sex_work": T}, "not_femicide", "sex work is none of the seven circumstances"),
    ({"exploitation": T, "hate_crime": T}, "not_femicide", "nor exploitation, nor hate"),
    ({"mutilation": N}, "undetermined", "II unknown: cannot be told"),
    ({"sex_work": N}, "not_femicide", "an unknown non-circumstance does not matter"),
    ({"sex": "male", "rel": "current_partner"}, "out_of_scope", "'prive de la vida a una mujer'"),
    ({"rel": "current_partner", "perp": "female"}, "intimate_partner", "'quien': anyone"),
]

ARG_CASES = [
    (
        {"rel": "current_partner"},
        "intimate_partner",
        "inc. 1: 'relación de pareja'; inc. 11: 'perpetrado por un hombre'",
    ),
    ({"rel": "former_partner", "perp": "female"}, "not_femicide", "inc. 11: 'por un hombre'"),
    (
        {"rel": "parent", "perp": "female"},
        "not_femicide",
        "inc. 1 'ascendiente' applies to any killer; inc. 11 needs 'un hombre'",
    ),
    ({"rel": "current_partner", "perp": "unknown"}, "undetermined", "inc. 11: man not known"),
    ({"rel": "child"}, "family_member", "inc. 11 + Ley 26.485 art. 6 a: domestic violence"),
    ({"sexual_violence": T}, "other_perpetrator", "inc. 11: mediare violencia de género"),
    ({"sexual_violence": T, "perp": "female"}, "not_femicide", "inc. 11: 'por un hombre'"),
    ({}, "not_femicide", "no gender violence recorded, all known"),
    (
        {"sex": "male", "identity": "trans_woman", "hate_crime": T},
        "other_perpetrator",
        "register: transfemicidio",
    ),
    (
        {"sex": "male", "identity": "travesti"},
        "not_femicide",
        "register: in scope, no gender violence",
    ),
    ({"sex": "male", "identity": "unknown"}, "undetermined", "identity unknown: scope unknown"),
    ({"sex": "male", "identity": N}, "undetermined", "identity missing: scope unknown"),
    ({"sex": "male", "identity": "cis_man"}, "out_of_scope", "a man is no direct victim"),
    (
        {"sex": "male", "identity": "cis_man", "linked": T},
        "linked_victim",
        "inc. 12 / register: femicidio vinculado, any person",
    ),
    ({"linked": T, "rel": "stranger"}, "linked_victim", "femicidio vinculado: a woman too"),
    (
        {"sex": "male", "identity": "cis_man", "linked": T, "perp": "female"},
        "linked_victim",
        "inc. 12: 'al que matare ... con el propósito de causar sufrimiento': any killer",
    ),
    ({"sex": "male", "identity": "cis_man", "linked": N}, "undetermined", "vinculado unknown"),
    ({"linked": N}, "undetermined", "not a direct femicide, vinculado unknown"),
    ({"linked": N, "rel": "current_partner"}, "intimate_partner", "direct femicide anyway"),
]

ESP_CASES = [
    (
        {"rel": "former_partner"},
        "intimate_partner",
        "LO 1/2004 art. 1: 'quienes sean o hayan sido sus cónyuges ... aun sin convivencia'",
    ),
    (
        {"rel": "current_partner", "perp": "female"},
        "not_femicide",
        "LO 1/2004 art. 1: 'los hombres sobre las mujeres'",
    ),
    ({"rel": "child"}, "family_member", "familiar: 'de su entorno familiar' (press report)"),
    ({"rel": "sibling", "perp": "female"}, "not_femicide", "familiar: por un hombre"),
    (
        {"sexual_violence": T},
        "other_perpetrator",
        "sexual: 'en el marco de una situación de violencia sexual' (press report)",
    ),
    (
        {"exploitation": T},
        "other_perpetrator",
        "sexual: 'trata con fines de explotación sexual' (press report)",
    ),
    ({"sex_work": T}, "other_perpetrator", "sexual: 'prostitución' (press report)"),
    ({"rel": "friend_or_acquaintance", "hate_crime": T}, "other_perpetrator", "social"),
    ({"sexual_violence": T, "perp": "unknown"}, "undetermined", "the man is not known"),
    ({"sexual_violence": T, "perp": "female"}, "not_femicide", "every category: un hombre"),
    ({"linked": T}, "linked_victim", "vicario: a woman killed to harm another woman"),
    ({"linked": T, "perp": "female"}, "not_femicide", "vicario: by a man"),
    ({"sex": "male", "linked": T}, "out_of_scope", "vicario counts women"),
    ({"sex": "male", "linked": N}, "out_of_scope", "a man is never in these categories"),
    ({"linked": N}, "undetermined", "vicario unknown for a woman"),
]

BRA_CASES = [
    (
        {"rel": "current_partner", "perp": "female"},
        "intimate_partner",
        "§1 I: 'violência doméstica e familiar'; art. 121-A names no perpetrator sex",
    ),
    (
        {"rel": "former_partner"},
        "intimate_partner",
        "§1 I: Lei 11.340 art. 5, any intimate relation of affection, past ones too",
    ),
    ({"rel": "other_household_member"}, "family_member", "§1 I: Lei 11.340 unidade doméstica"),
    ({"rel": "parent"}, "family_member", "§1 I: 'violência doméstica e familiar'"),
    (
        {"hate_crime": T},
        "other_perpetrator",
        "§1 II: 'menosprezo ou discriminação à condição de mulher'",
    ),
    ({"sexual_violence": T}, "not_femicide", "§1 names I and II only"),
    ({"rel": "friend_or_acquaintance"}, "not_femicide", "§1: a friend, no contempt recorded"),
    ({"hate_crime": N}, "undetermined", "§1 II unknown"),
    ({"sex": "male", "rel": "current_partner"}, "out_of_scope", "art. 121-A: 'Matar mulher'"),
]

ECU_CASES = [
    (
        {"rel": "current_partner"},
        "intimate_partner",
        "art. 141: 'relaciones de poder', read as a partner relationship",
    ),
    (
        {"rel": "friend_or_acquaintance"},
        "not_femicide",
        "art. 142 aggravates a femicide and does not make one: 'amistad' alone is not art. 141",
    ),
    ({"body_in_public_space": T}, "other_perpetrator", "art. 142.4 read through art. 141"),
    ({"sexual_violence": T}, "other_perpetrator", "art. 141: 'cualquier tipo de violencia'"),
    ({}, "not_femicide", "no power relation recorded"),
    ({"rel": "unknown"}, "undetermined", "relationship unknown"),
]


@pytest.mark.parametrize(
    ("name", "cases"),
    [
        ("MEX_CPF_325", MEX_CASES),
        ("ARG_CP_80", ARG_CASES),
        ("ESP_DGVG_2022", ESP_CASES),
        ("BRA_CP_121A", BRA_CASES),
        ("ECU_COIP_141", ECU_CASES),
    ],
)
def test_each_law_case_by_case(name, cases):
    check(name, cases)


def test_without_the_identity_column_the_scope_is_by_sex():
    rules = fs.rule_set("ARG_CP_80")
    df = frame([{"sex": "male", "hate_crime": True}, {"hate_crime": True}])
    df["linked_victim"] = pd.array([False, False], dtype="boolean")
    assert fs.classify(df, rules=rules)[rules.type_column].tolist() == [
        "out_of_scope",
        "other_perpetrator",
    ]


def test_absent_linked_column_leaves_non_femicides_undetermined_never_zero():
    rules = fs.rule_set("ARG_CP_80")
    typed = fs.classify(frame([{}, {"sex": "male"}, {"rel": "current_partner"}]), rules=rules)
    assert typed[rules.type_column].tolist() == [
        "undetermined",
        "undetermined",
        "intimate_partner",
    ]


def test_absent_perpetrator_sex_makes_conditioned_types_undetermined():
    rules = fs.rule_set("ESP_DGVG_2022")
    df = frame([{"rel": "current_partner"}, {"sexual_violence": True}]).drop(
        columns="perpetrator_sex"
    )
    df["linked_victim"] = pd.array([False, False], dtype="boolean")
    assert fs.classify(df, rules=rules)[rules.type_column].tolist() == [
        "undetermined",
        "undetermined",
    ]


def test_linked_victim_that_is_not_boolean_is_refused():
    df = frame([{}, {}])
    df["linked_victim"] = ["yes", "no"]
    with pytest.raises(fs.RuleSetError, match=r"linked_victim.*2 rows"):
        fs.classify(df, rules=fs.rule_set("ARG_CP_80"))


def test_the_rule_sets_own_class_is_only_in_its_column_and_counted():
    arg = fs.rule_set("ARG_CP_80")
    cases = [{"sex": "male", "linked": T}, {"rel": "current_partner", "linked": F}]
    typed = fs.classify(frame(cases), rules=[fs.UN_2022, arg])
    assert "linked_victim" not in typed["femicide_type"].cat.categories
    assert list(typed[arg.type_column].cat.categories) == [*C.FEMICIDE_TYPES, "linked_victim"]
    cube = fs.counts(typed, type_column=arg.type_column)
    got = dict(zip(cube[arg.type_column].astype(str), cube["count"], strict=True))
    assert got["linked_victim"] == 1 and got["intimate_partner"] == 1
    assert sum(got.values()) == 2
    by_sex = fs.counts(typed, "victim_sex", type_column=arg.type_column)
    male = by_sex[(by_sex["victim_sex"] == "male") & (by_sex[arg.type_column] == "linked_victim")]
    assert male["count"].tolist() == [1]
    # counting raw data with an extended rule set classifies first (no one-pass shortcut)
    raw = fs.counts(frame(cases), rules=arg, type_column=arg.type_column)
    assert raw["count"].sum() == 2
    assert dict(zip(raw[arg.type_column].astype(str), raw["count"], strict=True)) == got


def test_compare_rule_sets_counts_side_by_side():
    cases = [
        {"rel": "current_partner"},  # both
        {"sex_work": T},  # UN only (not a Mexican circumstance)
        {"rel": "friend_or_acquaintance", "prior_violence": T},  # both
        {"mutilation": N},  # undetermined under both
        {"sex": "male"},
    ]
    typed = fs.classify(frame(cases), rules=[fs.UN_2022, fs.rule_set("MEX_CPF_325")])
    table = fs.compare_rule_sets(typed, ["MEX_CPF_325"])
    assert table["rule_set"].tolist() == ["UN_2022", "MEX_CPF_325"]
    un, mex = (table.iloc[i].to_dict() for i in range(2))
    assert un["femicide"] == 3 and mex["femicide"] == 2
    assert un["other_perpetrator"] == 2 and mex["other_perpetrator"] == 1
    assert mex["counted_by_both"] == 2 and mex["only_un"] == 1
    assert mex["only_this_rule_set"] == 0
    assert un["only_un"] == 0 and un["counted_by_both"] == 3
    assert un["undetermined"] == mex["undetermined"] == 1
    assert mex["linked_victims"] == 0


def test_compare_rule_sets_classifies_what_is_missing_and_breaks_down():
    cases = [{"rel": "current_partner"}, {"hate_crime": T}, {"rel": "current_partner"}]
    df = frame(cases)
    df["region"] = ["north", "south", "south"]
    table = fs.compare_rule_sets(df, ["BRA_CP_121A"], by="region")
    assert list(table.columns[:2]) == ["rule_set", "region"]
    bra_south = table[(table["rule_set"] == "BRA_CP_121A") & (table["region"] == "south")]
    assert bra_south["femicide"].tolist() == [2]
    assert table.groupby("rule_set", observed=True)["femicide"].sum().tolist() == [3, 3]
    with pytest.raises(KeyError, match="victim_id"):
        fs.compare_rule_sets(df, ["BRA_CP_121A"], by="victim_id")


def test_explain_tells_an_extended_decision():
    arg = fs.rule_set("ARG_CP_80")
    df = frame([{"sex": "male", "identity": "trans_woman", "hate_crime": T, "linked": F}])
    text = fs.explain(df, 0, rules=arg)
    assert "ARG_CP_80: other_perpetrator" in text
    assert "perpetrator_sex male" in text and "victim_gender_identity" in text


def test_absent_linked_column_never_opens_a_victim_the_linked_class_does_not_take():
    # Spain's vicarious category counts women: without the column a man stays out of scope.
    rules = fs.rule_set("ESP_DGVG_2022")
    typed = fs.classify(frame([{"sex": "male"}, {}]), rules=rules)
    assert typed[rules.type_column].tolist() == ["out_of_scope", "undetermined"]


def test_paths_that_read_codes_directly_refuse_an_extended_rule_set_clearly():
    # A perpetrator condition alone keeps the UN output classes, so the estimate accepts
    # the column and reaches the code reader, which must refuse rather than ignore it.
    male_partner = fs.RuleSet(
        name="MALE_PARTNER",
        criteria=C.CRITERIA,
        perpetrator_sex={"intimate_partner": ("male",)},
        type_column="type_male_partner",
        criteria_column="met_male_partner",
    )
    typed = fs.classify(frame([{"rel": "current_partner"}] * 6), rules=male_partner)
    assert typed["type_male_partner"].dtype == C.FEMICIDE_TYPE.dtype
    with pytest.raises(fs.FemstatError, match=r"only femstat\.classify reads"):
        fs.estimate(typed, rules=male_partner, m=2, seed=1)


def test_a_rule_set_named_twice_counts_once_and_two_writing_one_column_are_refused():
    df = frame([{"rel": "current_partner"}])
    table = fs.compare_rule_sets(df, ["UN_2022", "BRA_CP_121A", fs.rule_set("BRA_CP_121A")])
    assert table["rule_set"].tolist() == ["UN_2022", "BRA_CP_121A"]
    clash = fs.RuleSet(name="CLASH", criteria=("hate_crime",), type_column="femicide_type_bra")
    with pytest.raises(fs.RuleSetError, match="femicide_type_bra"):
        fs.compare_rule_sets(df, ["BRA_CP_121A", clash])


# --------------------------------------------------------------------------------------
# Legal references: the docs cite what the files cite, from the official publishers

OFFICIAL_HOSTS = {
    "MEX_CPF_325": ("www.diputados.gob.mx",),
    "ARG_CP_80": ("servicios.infoleg.gob.ar",),
    "ESP_DGVG_2022": ("www.boe.es",),
    "BRA_CP_121A": ("www.planalto.gov.br", "planalto.gov.br"),
    "ECU_COIP_141": ("www.registroficial.gob.ec",),
}


@pytest.mark.parametrize("name", SHIPPED)
def test_each_url_is_on_the_official_publisher_of_the_country(name):
    from urllib.parse import urlsplit

    legal = fs.rule_set(name).legal
    urls = [v for k, v in legal.items() if k == "url" or k.startswith("url_")]
    assert urls
    for url in urls:
        assert urlsplit(url).hostname in OFFICIAL_HOSTS[name], (name, url)


@pytest.mark.parametrize("name", SHIPPED)
def test_docs_cite_the_url_date_and_circumstances_of_each_file(name):
    docs = (Path(__file__).parents[1] / "docs" / "rulesets.md").read_text(encoding="utf-8")
    start = docs.index(f"Rule set `{name}`")
    end = docs.find("\n### ", start)
    section = docs[start : end if end != -1 else len(docs)]
    legal = fs.rule_set(name).legal
    assert f"<{legal['url']}>" in section
    assert legal["text_date"] in section
    for item in fs_rulesets.circumstances(name):
        assert item["text"] in section, item["text"]
