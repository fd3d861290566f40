"""NCCI PTP and MUE tables: the shipped starter tables, the CMS file readers and the imports
that replace them (whole or not at all)."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from otdesk.core.ncci import (
    MUE_FILE_NAME,
    PTP_FILE_NAME,
    MemoryPtpTable,
    PtpEdit,
    SqlitePtpTable,
    TableError,
    import_mue_file,
    import_ptp_files,
    parse_mue_file,
    parse_ptp_file,
    read_ptp_csv,
)
from otdesk.core.tables import RuleTables
from otdesk.paths import data_file
from tests.helpers.fakes import check, clean_visit, line, rules_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ncci"
TODAY = date(2026, 11, 27)
EVALUATIONS = {"97161", "97162", "97163", "97165", "97166", "97167"}


# --- shipped tables ------------------------------------------------------------------------------


def test_shipped_pairs_are_the_domain_starter_pairs_with_sources():
    edits = read_ptp_csv(data_file("ncci_ptp.csv"))
    pairs = {(e.column1, e.column2, e.modifier) for e in edits}
    assert pairs == {
        ("97140", "97530", 1),
        ("97161", "97140", 1),
        ("97162", "97140", 1),
        ("97163", "97140", 1),
        ("97530", "97164", 1),
        ("97150", "97164", 1),
    }
    for edit in edits:
        assert edit.source and "verify" in edit.source.lower()


def test_the_withdrawn_january_2020_evaluation_edits_are_not_shipped():
    edits = read_ptp_csv(data_file("ncci_ptp.csv"))
    for edit in edits:
        assert not (edit.column1 in {"97530", "97150"} and edit.column2 in EVALUATIONS)
        assert not (edit.column2 in {"97530", "97150"} and edit.column1 in EVALUATIONS)


def test_no_mue_values_are_shipped():
    assert RuleTables.shipped().mue == {}


def test_shipped_kx_thresholds():
    kx = RuleTables.shipped().kx
    figures = {year: row.kx.to_json() for year, row in kx.items() if row.kx is not None}
    assert figures == {
        2018: "2010.00",
        2019: "2040.00",
        2020: "2080.00",
        2021: "2110.00",
        2022: "2150.00",
        2023: "2230.00",
        2024: "2330.00",
        2025: "2410.00",
        2026: "2480.00",
    }
    assert all(row.source for row in kx.values())
    assert all(row.medical_review.to_json() == "3000.00" for row in kx.values())


def test_shipped_deleted_codes():
    deleted = RuleTables.shipped().deleted
    assert deleted["97003"].replacements == ("97165", "97166", "97167")
    assert deleted["97532"].replacements == ("97127",)
    assert deleted["97127"].replacements == ("97129",)
    assert deleted["97762"].replacements == ("97763",)
    assert all(row.source for row in deleted.values())


def test_memory_table_finds_edits_among_codes():
    table = MemoryPtpTable([PtpEdit("97140", "97530", date(2020, 1, 1))])
    assert len(table.edits_among(frozenset({"97140", "97530", "97110"}))) == 1
    assert table.edits_among(frozenset({"97140", "97110"})) == []


# --- reading CMS files ---------------------------------------------------------------------------


def test_reads_the_tab_separated_ptp_file():
    edits = parse_ptp_file(FIXTURES / "ptp_practitioner.txt")
    assert len(edits) == 7
    first = edits[0]
    assert (first.column1, first.column2, first.effective, first.deletion) == (
        "97140",
        "97530",
        date(2020, 1, 1),
        None,
    )
    assert first.modifier == 1
    assert first.rationale == "Misuse of column two code with column one code"
    assert first.source == "CMS practitioner PTP file ptp_practitioner.txt"
    old = edits[4]
    assert old.prior_1996 and old.modifier == 0
    assert edits[5].deletion == date(2023, 1, 1)


def test_reads_the_excel_export_with_a_two_row_header():
    edits = parse_ptp_file(FIXTURES / "ptp_excel_export.csv")
    assert [(e.column1, e.column2, e.modifier) for e in edits] == [
        ("97140", "97530", 1),
        ("97161", "97140", 1),
        ("97032", "97014", 0),
    ]


def test_a_bad_date_names_the_line_and_the_reason():
    with pytest.raises(TableError) as raised:
        parse_ptp_file(FIXTURES / "ptp_bad_date.txt")
    message = str(raised.value)
    assert "ptp_bad_date.txt, line 7:" in message
    assert "20201301" in message and "not a real date" in message


def _ptp_with(tmp_path: Path, row: str, name: str = "ptp.txt") -> Path:
    lines = (FIXTURES / "ptp_practitioner.txt").read_text(encoding="utf-8").splitlines()
    lines.insert(7, row)  # becomes line 8
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("97140\t9753\t\t20200101\t*\t1\tx", "column 2 code '9753'"),
        ("97140\t97530\t\t2020-01-01\t*\t1\tx", "not a YYYYMMDD date"),
        ("97140\t97530\t\t20200101\t\t1\tx", "or '*' for none"),
        ("97140\t97530\t\t20200101\t20190101\t1\tx", "before the effective date"),
        ("97140\t97530\t\t20200101\t*\t2\tx", "modifier indicator '2'"),
        ("97140\t97530\tY\t20200101\t*\t1\tx", "prior to 1996"),
        ("97140\t97530\t\t20200101", "4 fields"),
        ("\t97530\t\t20200101\t*\t1\tx", "column 1 code ''"),
    ],
)
def test_malformed_ptp_rows_are_rejected_with_their_line(tmp_path, row, words):
    with pytest.raises(TableError) as raised:
        parse_ptp_file(_ptp_with(tmp_path, row))
    assert ", line 8: " in str(raised.value)
    assert words in str(raised.value)


def test_a_file_without_the_column_header_is_rejected(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Practitioner PTP edits\n97140\t97530\t\t20200101\t*\t1\tx\n")
    with pytest.raises(TableError, match="no column header"):
        parse_ptp_file(path)


def test_a_header_in_the_wrong_layout_is_rejected(tmp_path):
    path = tmp_path / "other.txt"
    # the "prior to 1996" column is missing
    path.write_text(
        "Column 1\tColumn 2\tEffective Date\tDeletion Date\tModifier\n"
        "97140\t97530\t20200101\t*\t1\n"
    )
    with pytest.raises(TableError, match="line 1: column 4 of the header should be the Effective"):
        parse_ptp_file(path)


def test_a_header_without_rows_is_rejected(tmp_path):
    lines = (FIXTURES / "ptp_practitioner.txt").read_text(encoding="utf-8").splitlines()[:5]
    path = tmp_path / "empty.txt"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TableError, match="no edits"):
        parse_ptp_file(path)


def test_windows_1252_copyright_lines_are_read(tmp_path):
    text = (FIXTURES / "ptp_practitioner.txt").read_text(encoding="utf-8")
    path = tmp_path / "cp1252.txt"
    path.write_bytes(("Copyright \u00a9 2025\n" + text).encode("cp1252"))
    assert len(parse_ptp_file(path)) == 7


def test_reads_the_mue_csv():
    values = parse_mue_file(FIXTURES / "mue_practitioner.csv")
    by_code = {v.code: v for v in values}
    assert by_code["97110"].value == 6 and by_code["97110"].indicator == 3
    assert by_code["97014"].per_line
    assert by_code["97165"].indicator_text == "2 Date of Service Edit: Policy"


def test_a_bad_mue_value_names_the_line():
    with pytest.raises(TableError, match=r"mue_bad_value.txt, line 5: MUE value 'four'"):
        parse_mue_file(FIXTURES / "mue_bad_value.txt")


def test_a_repeated_mue_code_is_rejected(tmp_path):
    text = (FIXTURES / "mue_practitioner.csv").read_text(encoding="utf-8")
    path = tmp_path / "mue.csv"
    path.write_text(text + "97110,7,3 Date of Service Edit: Clinical,Clinical: Data\n")
    with pytest.raises(TableError, match=r"line 9: code 97110 is listed again \(first on line 4\)"):
        parse_mue_file(path)


# --- imports -------------------------------------------------------------------------------------


def test_ptp_import_writes_a_private_table_that_takes_precedence(tmp_path):
    summary = import_ptp_files([FIXTURES / "ptp_practitioner.txt"], tmp_path, TODAY)
    assert summary.rows == 7
    assert (summary.first_effective, summary.last_effective) == (
        date(1996, 1, 1),
        date(2022, 1, 1),
    )
    # in force today: not the deleted ones, not indicator 9
    assert summary.in_force == 4
    assert "Imported 7 PTP edits" in summary.describe()
    target = tmp_path / PTP_FILE_NAME
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [PTP_FILE_NAME]

    tables = RuleTables.load(tmp_path)
    assert isinstance(tables.ptp, SqlitePtpTable)
    # the shipped 97161/97140 pair is not in the imported table: the import replaces it
    pt_eval = clean_visit(
        discipline="PT",
        lines=(line("97161", 0, "GP"), line("97140", 15, "GP")),
    )
    assert "ncci-pair" in rules_of(pt_eval)
    assert "ncci-pair" not in rules_of(pt_eval, tables=tables)
    # an imported indicator 0 edit is an error
    estim = clean_visit(lines=(line("97032", 15, "GO"), line("97014", 0, "GO")))
    findings = {f.rule: f for f in check(estim, tables=tables).findings}
    assert findings["ncci-pair"].severity == "error"


def test_several_ptp_files_make_one_table(tmp_path):
    summary = import_ptp_files(
        [FIXTURES / "ptp_practitioner.txt", FIXTURES / "ptp_excel_export.csv"], tmp_path, TODAY
    )
    assert summary.rows == 10
    table = SqlitePtpTable(tmp_path / PTP_FILE_NAME)
    assert table.count() == 10
    found = table.edits_among(frozenset({"97161", "97140"}))
    assert [(e.column1, e.column2) for e in found] == [("97161", "97140")]
    assert table.edits_among(frozenset({"97161", "97140"})) is found  # cached


def test_a_rejected_import_leaves_the_previous_table(tmp_path):
    import_ptp_files([FIXTURES / "ptp_practitioner.txt"], tmp_path, TODAY)
    target = tmp_path / PTP_FILE_NAME
    before = target.read_bytes()
    with pytest.raises(TableError, match="line 7"):
        import_ptp_files(
            [FIXTURES / "ptp_excel_export.csv", FIXTURES / "ptp_bad_date.txt"], tmp_path, TODAY
        )
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [PTP_FILE_NAME]


def test_mue_import_replaces_the_shipped_table_and_feeds_the_rule(tmp_path):
    summary = import_mue_file(FIXTURES / "mue_practitioner.csv", tmp_path)
    assert summary.rows == 5
    target = tmp_path / MUE_FILE_NAME
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    tables = RuleTables.load(tmp_path)
    assert tables.mue["97530"].value == 4
    visit = clean_visit(lines=(line("97530", 75, "GO"),), total_treatment_minutes=75)
    assert "mue-exceeded" in rules_of(visit, tables=tables)
    assert "mue-exceeded" not in rules_of(visit)


def test_a_rejected_mue_import_leaves_the_previous_table(tmp_path):
    import_mue_file(FIXTURES / "mue_practitioner.csv", tmp_path)
    before = (tmp_path / MUE_FILE_NAME).read_bytes()
    with pytest.raises(TableError):
        import_mue_file(FIXTURES / "mue_bad_value.txt", tmp_path)
    assert (tmp_path / MUE_FILE_NAME).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [MUE_FILE_NAME]


def test_load_sees_a_new_import_and_user_kx_and_deleted_rows(tmp_path):
    assert RuleTables.load(tmp_path).ptp is RuleTables.shipped().ptp
    (tmp_path / "kx_thresholds.csv").write_text(
        "year,kx_threshold,medical_review_threshold,source\n2027,2550.00,3000.00,clinic\n"
    )
    (tmp_path / "deleted_codes.csv").write_text(
        "code,deleted_on,replacements,note,source\n97750,2026-07-01,97110,test,clinic\n"
    )
    tables = RuleTables.load(tmp_path)
    assert tables.kx[2027].kx.to_json() == "2550.00"
    assert tables.kx[2026].kx.to_json() == "2480.00"
    assert tables.deleted["97750"].replacements == ("97110",)
    assert "97003" in tables.deleted
    import_ptp_files([FIXTURES / "ptp_practitioner.txt"], tmp_path, TODAY)
    assert isinstance(RuleTables.load(tmp_path).ptp, SqlitePtpTable)


def test_a_malformed_user_table_names_its_line(tmp_path):
    (tmp_path / "kx_thresholds.csv").write_text(
        "year,kx_threshold,medical_review_threshold,source\n2027,lots,3000.00,clinic\n"
    )
    with pytest.raises(TableError, match=r"kx_thresholds.csv, line 2: kx_threshold 'lots'"):
        RuleTables.load(tmp_path)


def test_every_deleted_catalog_code_has_a_dated_row_with_catalog_replacements():
    from otdesk.core.catalog import default_catalog

    catalog = default_catalog()
    deleted = RuleTables.shipped().deleted
    assert {p.code for p in catalog if p.deleted} <= set(deleted)
    for row in deleted.values():
        for code in row.replacements:
            assert code in catalog, (row.code, code)
