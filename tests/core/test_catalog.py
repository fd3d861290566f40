"""The procedure catalog, its search, code formats and the modifier and place-of-service
tables (DOMAIN.md sections 2, 4, 5 and 8; the seed page shared/seed/ot-cpt-faq.txt)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otdesk.core.catalog import (
    BillingKind,
    Catalog,
    CodeFormatError,
    Procedure,
    code_format_problem,
    default_catalog,
    load_modifiers,
    load_places_of_service,
    normalize_code,
)
from otdesk.paths import data_file

TIMED, UNTIMED, ADDON = BillingKind.TIMED, BillingKind.UNTIMED, BillingKind.ADDON

# DOMAIN.md section 5, with the kind it gives each code.
SECTION_5 = {
    **dict.fromkeys(
        ["97165", "97166", "97167", "97168", "97161", "97162", "97163", "97164", "92610"],
        UNTIMED,
    ),
    **dict.fromkeys(
        ["97110", "97112", "97113", "97116", "97124", "97140", "97530", "97533", "97535"]
        + ["97537", "97542", "97750", "97755", "97760", "97761", "97763", "97129"],
        TIMED,
    ),
    "97130": ADDON,
    **dict.fromkeys(["97032", "97033", "97034", "97035", "97036"], TIMED),
    **dict.fromkeys(
        ["97010", "97012", "97014", "G0283", "97016", "97018", "97022", "97024"]
        + ["97026", "97028"],
        UNTIMED,
    ),
    **dict.fromkeys(["97150", "92526", "95851", "95852", "97039", "97139"], UNTIMED),
    **dict.fromkeys(["98940", "98941", "98942", "98943"], UNTIMED),
}

# Every procedure code the seed page names (its "97410" is a typo for 97140, see below).
SEED_CODES = {
    "97032": TIMED,
    "97033": TIMED,
    "97034": TIMED,
    "97530": TIMED,
    "97165": UNTIMED,
    "97166": UNTIMED,
    "97167": UNTIMED,
    "97003": UNTIMED,
    "97168": UNTIMED,
    "97140": TIMED,
    "98940": UNTIMED,
    "98941": UNTIMED,
    "98942": UNTIMED,
    "98943": UNTIMED,
    "97750": TIMED,
    "97161": UNTIMED,
    "97110": TIMED,
    "97012": UNTIMED,
    "45380": UNTIMED,
}

# DOMAIN.md section 4.
DELETED = {
    "97001": UNTIMED,
    "97002": UNTIMED,
    "97003": UNTIMED,
    "97004": UNTIMED,
    "97532": TIMED,
    "97127": UNTIMED,
    "G0515": TIMED,
    "97762": TIMED,
}

SEED_PAGE = Path(__file__).resolve().parents[3] / "shared" / "seed" / "ot-cpt-faq.txt"


@pytest.fixture
def catalog() -> Catalog:
    # A catalog of its own: tests that add custom codes must not change default_catalog().
    return Catalog.load()


def first_codes(catalog: Catalog, text: str, count: int) -> set[str]:
    return {p.code for p in catalog.search(text)[:count]}


# --- contents -----------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "kind"), sorted({**SECTION_5, **SEED_CODES, **DELETED}.items()))
def test_every_domain_and_seed_code_is_there_with_its_kind(code, kind):
    procedure = default_catalog().get(code)
    assert procedure is not None, code
    assert procedure.kind is kind


@pytest.mark.parametrize("code", sorted(DELETED))
def test_deleted_codes_are_found_and_say_so(code):
    catalog = default_catalog()
    procedure = catalog.get(code)
    assert procedure.deleted
    assert procedure.category == "deleted"
    assert "deleted" in procedure.label
    assert catalog.search(code)[0] is procedure


def test_replacements_of_deleted_codes_are_current():
    catalog = default_catalog()
    for code in ("97129", "97130", "97161", "97165", "97168", "97763", "G0283"):
        assert not catalog.get(code).deleted


def test_non_therapy_codes_are_marked():
    catalog = default_catalog()
    for code in ("98940", "98941", "98942", "98943", "45380"):
        procedure = catalog.get(code)
        assert procedure.category == "not therapy"
        assert procedure.disciplines == frozenset()


def test_seed_typo_97410_is_not_a_catalog_code():
    # The seed writes "Apply 97410 Properly" under a question about 97140.
    assert "97410" not in default_catalog()
    assert "97140" in default_catalog()


def test_addon_97130_needs_97129_and_counts_as_timed():
    procedure = default_catalog().get("97130")
    assert procedure.kind is ADDON
    assert procedure.primary == "97129"
    assert procedure.is_timed
    assert default_catalog().get("97129").is_timed
    assert not default_catalog().get("97165").is_timed


def test_disciplines():
    catalog = default_catalog()
    assert catalog.get("97165").disciplines == {"OT"}
    assert catalog.get("97161").disciplines == {"PT"}
    assert "OT" in catalog.get("97110").disciplines
    assert catalog.get("92526").disciplines >= {"OT", "SLP"}
    assert catalog.get("97129").disciplines == {"OT", "PT", "SLP"}


def test_rows_are_consistent():
    catalog = default_catalog()
    assert len(catalog) == len(list(catalog)) >= 60
    codes = [p.code for p in catalog]
    assert codes == sorted(codes)
    for procedure in catalog:
        assert code_format_problem(procedure.code) is None
        assert procedure.label and procedure.label == procedure.label.strip()
        assert (procedure.primary is not None) == (procedure.kind is ADDON)
        if procedure.primary:
            assert procedure.primary in catalog
        assert procedure.disciplines <= {"OT", "PT", "SLP"}
        assert all(s == s.lower() and s for s in procedure.synonyms)
        assert not procedure.custom
        assert procedure.deleted == (procedure.category == "deleted")


@pytest.mark.parametrize("name", ["procedures.csv", "modifiers.csv", "pos.csv"])
def test_data_files_are_ascii_with_a_source_column(name):
    text = data_file(name).read_text(encoding="utf-8")
    assert text.isascii()  # prints on any Windows console code page
    header, *rows = text.splitlines()
    assert header.split(",")[-1] == "source"
    assert all(row.rstrip().endswith("by otdesk") for row in rows if row.strip())


# --- labels are otdesk's own words ---------------------------------------------------------

SEED_DESCRIPTOR_PHRASES = [
    "Application of a modality to one or more areas",
    "electrical stimulation (manual), each 15 minutes",
    "direct (one on one) patient contact",
    "use of dynamic activities to improve functional performance",
    "Physical performance test or measurement (eg, musculoskeletal",
    "with written report, each 15 minutes",
    "mobilization and manipulation, manual lymphatic drainage",
    "Colonoscopy, flexible, proximal to splenic flexure",
]


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


@pytest.mark.parametrize("code", ["97032", "97033", "97034", "97530", "97750", "97140", "45380"])
def test_labels_do_not_copy_the_seed_descriptors(code):
    label = _plain(default_catalog().get(code).label)
    for phrase in SEED_DESCRIPTOR_PHRASES:
        assert _plain(phrase) not in label


def test_no_label_shares_five_words_in_a_row_with_the_seed_page():
    if not SEED_PAGE.is_file():
        pytest.skip("shared/seed is not beside this checkout")
    seed = f" {_plain(SEED_PAGE.read_text(encoding='utf-8'))} "
    copied = {}
    for procedure in default_catalog():
        words = _plain(procedure.label).split()
        for start in range(len(words) - 4):
            run = " ".join(words[start : start + 5])
            if f" {run} " in seed:
                copied[procedure.code] = run
    assert copied == {}


# --- search ---------------------------------------------------------------------------------

SHORTHAND_FIRST = {
    "ther ex": "97110",
    "therex": "97110",
    "te": "97110",
    "ta": "97530",
    "ther act": "97530",
    "ther acts": "97530",
    "nmr": "97112",
    "neuro re-ed": "97112",
    "manual": "97140",
    "mt": "97140",
    "ionto": "97033",
    "us": "97035",
    "ultrasound": "97035",
    "paraffin": "97018",
    "wax": "97018",
    "adl": "97535",
    "self care": "97535",
    "group": "97150",
    "hot pack": "97010",
    "cold pack": "97010",
    "hp": "97010",
    "cp": "97010",
    "traction": "97012",
    "si": "97533",
    "sensory": "97533",
    "gait": "97116",
    "aquatic": "97113",
    "pool": "97113",
    "massage": "97124",
    "whirlpool": "97022",
    "contrast": "97034",
    "wheelchair": "97542",
    "ppt": "97750",
    "fce": "97750",
}

SHORTHAND_FIRST_GROUP = {
    "e-stim": {"97032", "97014", "G0283"},
    "estim": {"97032", "97014", "G0283"},
    "splint": {"97760", "97763"},
    "orthotic": {"97760", "97763"},
    "cog": {"97129", "97130"},
    "re-eval": {"97164", "97168"},
    "eval": {"97161", "97162", "97163", "97165", "97166", "97167"},
    "rom": {"95851", "95852"},
    "swallow": {"92526", "92610"},
    "dysphagia": {"92526", "92610"},
}


@pytest.mark.parametrize(("text", "code"), sorted(SHORTHAND_FIRST.items()))
def test_shorthand_finds_its_code_first(catalog, text, code):
    assert catalog.search(text)[0].code == code


@pytest.mark.parametrize(("text", "codes"), sorted(SHORTHAND_FIRST_GROUP.items()))
def test_shorthand_for_several_codes_lists_them_first(catalog, text, codes):
    assert first_codes(catalog, text, len(codes)) == codes


@pytest.mark.parametrize("text", ["Ther-Ex", "TherEx", "THER EX", "ther-ex", "  ther   ex  "])
def test_case_and_punctuation_do_not_matter(catalog, text):
    assert catalog.search(text)[0].code == "97110"


@pytest.mark.parametrize("text", ["e stim", "E-Stim", "ESTIM", "e.stim"])
def test_estim_spellings(catalog, text):
    assert first_codes(catalog, text, 3) == {"97032", "97014", "G0283"}


def test_exact_code_comes_first(catalog):
    for code in ("97530", "97003", "G0283", "45380", "92610"):
        assert catalog.search(code)[0].code == code
    assert catalog.search(" g0283 ")[0].code == "G0283"


def test_code_prefix_lists_codes_in_code_order_current_first(catalog):
    results = catalog.search("971", limit=100)
    codes = [p.code for p in results]
    in_971 = [p for p in results if p.code.startswith("971")]
    assert results[: len(in_971)] == in_971  # the code-prefix matches lead
    current = [p.code for p in in_971 if not p.deleted]
    assert current == sorted(current)
    assert current[:4] == ["97110", "97112", "97113", "97116"]
    assert [p.code for p in in_971 if p.deleted] == ["97127"]
    assert codes.index("97127") > codes.index("97168")


def test_current_codes_come_before_deleted_ones(catalog):
    codes = [p.code for p in catalog.search("cog")]
    assert codes[:2] == ["97129", "97130"]
    assert {"97127", "97532", "G0515"} <= set(codes[2:5])
    assert [p.code for p in catalog.search("ot eval")][:4] == ["97165", "97166", "97167", "97003"]


def test_words_in_any_order_match_label_synonyms_and_category(catalog):
    assert catalog.search("complexity high ot")[0].code == "97167"
    assert catalog.search("ot eval low")[0].code == "97165"
    modality_codes = {p.code for p in catalog.search("modality", limit=100)}
    assert {"97010", "97032", "97035", "G0283", "97039"} <= modality_codes
    # DOMAIN.md section 4, and 92506 (replaced in 2014 by 92521-92524, issue 11)
    assert {p.code for p in catalog.search("deleted", limit=100)} == set(DELETED) | {"92506"}
    assert catalog.search("unattended medicare patients")[0].code == "G0283"
    assert catalog.search("medicare e-stim")[0].code == "G0283"


def test_no_match_and_empty_queries(catalog):
    assert catalog.search("xyzzy") == []
    assert catalog.search("") == []
    assert catalog.search("  -- ") == []
    assert catalog.search("97410") == []


def test_limit(catalog):
    assert len(catalog.search("9", limit=3)) == 3
    assert catalog.search("97110", limit=0) == []
    assert len(catalog.search("e")) == 20


@given(st.text(max_size=30), st.integers(min_value=0, max_value=30))
def test_search_never_fails_and_never_repeats(text, limit):
    results = default_catalog().search(text, limit=limit)
    assert len(results) <= limit
    assert len({p.code for p in results}) == len(results)
    assert all(isinstance(p, Procedure) for p in results)


# --- code formats ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["97110", "0001F", "0042T", "0001U", "0001M", "G0283", "l3908", " g0283 ", "0001f"]
)
def test_valid_code_formats(code):
    assert code_format_problem(code) is None


@pytest.mark.parametrize(
    "code", ["9711", "97110X", "ABCDE", "", "   ", "G028", "1234F5", "0001X", "GG283", "97 110"]
)
def test_invalid_code_formats_get_one_clear_sentence(code):
    problem = code_format_problem(code)
    assert problem
    assert problem.endswith(".") and "\n" not in problem
    assert "5 digits" in problem and "G0283" in problem
    if code.strip():
        assert normalize_code(code) in problem
    else:
        assert "empty" in problem


def test_non_ascii_digits_are_not_a_code():
    assert code_format_problem("\u0669\u0667\u0661\u0661\u0660") is not None


@given(st.text(max_size=8))
def test_code_format_problem_matches_the_formats(text):
    code = text.strip().upper()
    valid = bool(re.fullmatch(r"[0-9]{5}|[0-9]{4}[FTUM]|[A-Z][0-9]{4}", code, re.ASCII))
    assert (code_format_problem(text) is None) == valid


def test_normalize_code():
    assert normalize_code(" g0283\n") == "G0283"


def test_get_and_contains_normalize(catalog):
    assert catalog.get(" g0283 ").code == "G0283"
    assert "g0283" in catalog
    assert "99999" not in catalog
    assert catalog.get("99999") is None
    assert 97110 not in catalog  # only strings are codes


# --- custom codes ---------------------------------------------------------------------------


def test_custom_code_is_added_found_and_marked(catalog):
    size = len(catalog)
    procedure = catalog.with_custom("l3999", "Upper limb orthosis, not listed", category="supply")
    assert procedure.code == "L3999"
    assert procedure.custom and not procedure.deleted
    assert procedure.kind is UNTIMED and not procedure.is_timed
    assert procedure.disciplines == {"OT", "PT", "SLP"}
    assert procedure.category == "supply"
    assert len(catalog) == size + 1
    assert catalog.get("L3999") is procedure
    assert catalog.search("L3999")[0] is procedure
    assert catalog.search("upper limb orthosis")[0] is procedure
    assert "L3999" not in default_catalog()


def test_custom_timed_and_addon_codes(catalog):
    timed = catalog.with_custom("0001T", "Trial service", kind="timed", disciplines=["OT"])
    assert timed.is_timed and timed.disciplines == {"OT"}
    addon = catalog.with_custom("0002T", "Trial add-on", kind=ADDON, primary="0001t")
    assert addon.primary == "0001T" and addon.is_timed


def test_custom_duplicate_is_refused(catalog):
    with pytest.raises(ValueError, match=r"97110 is already in the catalog"):
        catalog.with_custom("97110", "My exercise")
    with pytest.raises(ValueError, match=r"97003 is a deleted code"):
        catalog.with_custom(" 97003", "Old OT eval")
    catalog.with_custom("S9129", "Clinic's own code")
    with pytest.raises(ValueError, match="S9129"):
        catalog.with_custom("s9129", "Again")


@pytest.mark.parametrize("code", ["9711", "", "97110X"])
def test_custom_code_with_a_bad_format_is_refused(catalog, code):
    with pytest.raises(CodeFormatError, match="5 digits"):
        catalog.with_custom(code, "Something")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label": "  "}, "no label"),
        ({"label": "X", "kind": "hourly"}, "timed, untimed, addon"),
        ({"label": "X", "kind": "addon"}, "needs its primary"),
        ({"label": "X", "kind": "addon", "primary": "99999"}, "99999.*not in the catalog"),
        ({"label": "X", "primary": "97129"}, "only an add-on"),
        ({"label": "X", "disciplines": ["OT", "RN"]}, "RN"),
    ],
)
def test_custom_code_with_bad_details_is_refused(catalog, kwargs, message):
    with pytest.raises(ValueError, match=message):
        catalog.with_custom("0003T", **kwargs)
    assert "0003T" not in catalog


def test_default_catalog_is_loaded_once():
    assert default_catalog() is default_catalog()


def test_constructor_refuses_unnormalized_and_repeated_codes():
    procedure = default_catalog().get("97110")
    with pytest.raises(ValueError, match="listed twice"):
        Catalog([procedure, procedure])
    lower = Procedure("g0283", "X", "x", UNTIMED, None, frozenset(), ())
    with pytest.raises(ValueError, match="'g0283' must be stripped and upper case"):
        Catalog([lower])


def test_a_catalog_can_copy_another():
    copy = Catalog(default_catalog())
    assert len(copy) == len(default_catalog())
    copy.with_custom("0004T", "Copy only")
    assert "0004T" not in default_catalog()


# --- malformed files ------------------------------------------------------------------------

HEADER = "code,label,category,kind,primary,disciplines,synonyms,source\n"
GOOD = "97110,Exercise,therapeutic procedure,timed,,OT;PT,ther ex,test\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (GOOD + "97112,Balance, neuro,x,timed,,OT,,test\n", 3, "9 fields where the header has 8"),
        (GOOD + "9711,Short,x,timed,,OT,,test\n", 3, "'9711' is not a procedure code"),
        (GOOD + "97112,Balance,x,hourly,,OT,,test\n", 3, "kind 'hourly'"),
        (GOOD + "\n97110,Again,x,timed,,OT,,test\n", 4, "already listed on line 2"),
        (GOOD + "97130,Add-on,x,addon,,OT,,test\n", 3, "needs its primary"),
        (GOOD + "97130,Add-on,x,addon,97129,OT,,test\n", 3, "97129, which is not in the file"),
        (GOOD + "97112,,x,timed,,OT,,test\n", 3, "no label"),
        (GOOD + "97112,Balance,x,timed,,OT;XX,,test\n", 3, "XX"),
        (GOOD + '97112,"Balance,x,timed,,OT,,test\n', 3, "unexpected end of data"),
    ],
)
def test_malformed_procedure_file_names_file_line_and_problem(tmp_path, body, line, message):
    path = tmp_path / "procedures.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"procedures\.csv, line {line}: .*{message}"):
        Catalog.load(path)


def test_missing_column_and_empty_and_unreadable_files(tmp_path):
    path = tmp_path / "procedures.csv"
    path.write_text("code,label,kind\n97110,Exercise,timed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1: the header lacks column\(s\) category"):
        Catalog.load(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: the file is empty"):
        Catalog.load(path)
    path.write_bytes(HEADER.encode() + b"97110,\xff\xfe,x,timed,,OT,,test\n")
    with pytest.raises(ValueError, match="not UTF-8"):
        Catalog.load(path)
    with pytest.raises(ValueError, match="cannot be read"):
        Catalog.load(tmp_path / "missing.csv")


def test_a_small_well_formed_file_loads(tmp_path):
    path = tmp_path / "procedures.csv"
    path.write_text(
        "\ufeff" + HEADER + GOOD + "\n97130,Add-on,X, addon ,97129,ot,,test\n"
        "97129,First,X,TIMED,,OT,Cog; cognitive ,test\n",
        encoding="utf-8",
    )
    catalog = Catalog.load(path)
    assert len(catalog) == 3
    assert catalog.get("97130").primary == "97129"
    assert catalog.get("97129").synonyms == ("cog", "cognitive")
    assert catalog.get("97130").category == "x"
    assert catalog.search("cog")[0].code == "97129"


# --- modifiers and places of service --------------------------------------------------------

SECTION_2_MODIFIERS = [
    *("GO", "GP", "GN", "CO", "CQ", "KX", "59", "XE", "XS", "XP", "XU", "95", "GT"),
    *("GA", "GY", "GZ", "52", "76", "77", "RT", "LT", "FA", "TF", "TG"),
    *(f"F{digit}" for digit in range(1, 10)),
]


def test_every_section_2_modifier_is_there():
    modifiers = load_modifiers()
    assert set(SECTION_2_MODIFIERS) <= set(modifiers)
    for code in SECTION_2_MODIFIERS:
        assert modifiers[code].code == code
        assert modifiers[code].meaning
        assert modifiers[code].kind


def test_modifier_meanings():
    modifiers = load_modifiers()
    assert "occupational therapy assistant" in modifiers["CO"].meaning
    assert "10%" in modifiers["CO"].meaning
    assert "physical therapist assistant" in modifiers["CQ"].meaning
    assert "occupational therapy plan of care" in modifiers["GO"].meaning
    assert "Left hand, thumb" in modifiers["FA"].meaning
    assert "Right hand, thumb" in modifiers["F5"].meaning
    assert "Intermediate" in modifiers["TF"].meaning
    assert "95" in modifiers["GT"].meaning


def test_every_section_8_place_of_service_is_there():
    places = load_places_of_service()
    assert set(places) == {"02", "03", "10", "11", "12", "19", "22", "31", "32", "99"}
    assert places["11"].name == "Office"
    assert "at home" in places["10"].name
    assert "not at home" in places["02"].name
    assert places["31"].name == "Skilled nursing facility"


def test_malformed_modifier_and_pos_files(tmp_path):
    modifiers = tmp_path / "modifiers.csv"
    modifiers.write_text("code,meaning,kind,source\nGO,OT plan,x,y\nGOO,bad,x,y\n", "utf-8")
    with pytest.raises(ValueError, match=r"modifiers\.csv, line 3: modifier 'GOO'"):
        load_modifiers(modifiers)
    modifiers.write_text("code,meaning,kind,source\nGO,OT plan,x,y\ngo,again,x,y\n", "utf-8")
    with pytest.raises(ValueError, match="line 3: modifier GO is listed twice"):
        load_modifiers(modifiers)
    pos = tmp_path / "pos.csv"
    pos.write_text("code,name,source\n11,Office,x\n2,Telehealth,x\n", "utf-8")
    with pytest.raises(ValueError, match=r"pos\.csv, line 3: place of service '2'"):
        load_places_of_service(pos)
    pos.write_text("code,name,source\n11,,x\n", "utf-8")
    with pytest.raises(ValueError, match="line 2: place of service 11 has no name"):
        load_places_of_service(pos)
