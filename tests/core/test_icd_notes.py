"""Reading the codes out of ICD-10-CM Excludes1 notes as the tabular list writes them."""

from __future__ import annotations

import pytest

from otdesk.core.icd_notes import CodeRef, Excludes1Note, block_range, code_refs


def covered(note: str, *codes: str) -> list[bool]:
    refs = code_refs(note)
    return [any(ref.covers(code.replace(".", "")) for ref in refs) for code in codes]


def test_a_single_code_covers_itself_and_what_is_under_it():
    note = "cardiogenic shock (R57.0)"
    assert code_refs(note) == (CodeRef("R570", "R570"),)
    assert covered(note, "R57.0", "R57.1", "R57") == [True, False, False]


@pytest.mark.parametrize(
    ("note", "inside", "outside"),
    [
        ("congenital cerebral palsy (G80.-)", ["G80.0", "G80.9"], ["G81.90", "G8"]),
        (
            "hemiplegia and hemiparesis due to sequela of cerebrovascular disease "
            "(I69.05-, I69.15-, I69.25-, I69.35-, I69.85-, I69.95-)",
            ["I69.351", "I69.052", "I69.959"],
            ["I69.391", "I69.34", "I63.9"],
        ),
        ("benign neoplasm of testis (D29.2.-)", ["D29.20", "D29.22"], ["D29.1", "D29.3"]),
        ("pneumonia in coccidioidomycosis (B38.0-B38.2)", ["B38.0", "B38.1", "B38.2"], ["B38.3"]),
        ("exposure to fire and flames (X00-X08)", ["X00.0XXA", "X08.8XXS"], ["X09", "W99"]),
        (
            "malignant neoplasm of skin of genital organs (C51-C52, C60.-, C63.2)",
            ["C51.9", "C52", "C60.1", "C63.2"],
            ["C53.0", "C63.1"],
        ),
        # two dash forms joined by a dash are a list, not a range from I69.01 to I69.11
        (
            "cognitive deficits following (sequelae of) cerebral hemorrhage or infarction "
            "(I69.01-I69.11-, I69.21-I69.31-, I69.81- I69.91-)",
            ["I69.010", "I69.119", "I69.318", "I69.91"],
            ["I69.05", "I69.351", "I69.20"],
        ),
        ("diabetes mellitus (E08-E13 with .42)", ["E08.42", "E11.42", "E13.42"], ["E11.40"]),
        (
            "infectious mononucleosis complicated by meningitis (B27.- with fifth character 2)",
            ["B27.02", "B27.92"],
            ["B27.01", "B27.9"],
        ),
        (
            "current concussion (brain) (S06.0X- with seventh character A)",
            ["S06.0X0A", "S06.0X1A"],
            ["S06.0X0D", "S06.0X0S"],
        ),
        (
            "fluency disorder (stuttering) following cerebrovascular disease "
            "(I69. with final characters -23)",
            ["I69.023", "I69.323", "I69.923"],
            ["I69.320", "I69.322"],
        ),
        ("hyperammonemia-hyperornithinemia-homocitrullinemia syndrome E72.4", ["E72.4"], []),
    ],
)
def test_the_forms_notes_take(note, inside, outside):
    assert covered(note, *inside) == [True] * len(inside)
    assert covered(note, *outside) == [False] * len(outside)


@pytest.mark.parametrize(
    "note",
    [
        "allergic reaction to food, such as:",
        "glucose-6-phosphate dehydrogenase (G6PD) deficiency",  # an enzyme, not G6P
        "lupus anticoagulant (LAC) finding",
        "mucolipidosis, types I-III",
        "atypical C3 glomerulopathy",
    ],
)
def test_words_that_look_like_codes_are_not_codes(note):
    assert code_refs(note) == ()


def test_a_reversed_range_is_read_as_two_codes():
    assert code_refs("odd (B38.2-B38.0)") == (CodeRef("B382", "B382"), CodeRef("B380", "B380"))


def test_refs_survive_the_index_encoding():
    for ref in code_refs("(E08-E13 with .51-.52), (G80.-), (R57.0)"):
        assert CodeRef.decode(ref.encode()) == ref
    (ranged,) = code_refs("(E08-E13 with .51-.52)")
    assert ranged.covers("E1151") and ranged.covers("E0852") and not ranged.covers("E1153")


def test_a_note_covers_codes_with_or_without_the_dot():
    note = Excludes1Note("G81", "Hemiplegia and hemiparesis", "x (I69.35-)", code_refs("(I69.35-)"))
    assert note.covers("I69.351") and note.covers("i69351 ") and not note.covers("G81.91")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("I60-I69", ("I60", "I69")), ("C7A-C7A", ("C7A", "C7A")), (" A00 - A09 ", ("A00", "A09"))],
)
def test_block_ranges(name, expected):
    assert block_range(name) == expected


@pytest.mark.parametrize("name", ["", "I60", "Chapter 9", "I60-"])
def test_not_block_ranges(name):
    assert block_range(name) is None
