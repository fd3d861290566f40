"""Diagnosis search as clinicians type: the curated vocabulary, narrowing by side, body part
and encounter, the ordering rules, shorthand and misspellings (the real index)."""

from __future__ import annotations

import csv
import shutil

import pytest

from otdesk.core import icd
from otdesk.paths import data_file
from tests.core.test_icd import shared_index_file

VOCABULARY = data_file(icd.VOCABULARY_FILE)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    opened = icd.open_index(shared_index_file(tmp_path_factory), build_if_missing=False)
    yield opened
    opened.close()


def top(index, typed: str, count: int = 5) -> list[str]:
    return [d.code for d in index.search(typed, count)]


# --- the vocabulary file ---------------------------------------------------------------------


def test_the_vocabulary_has_at_least_200_terms_each_with_a_source():
    rows = icd.read_vocabulary()
    assert len({row.term.lower() for row in rows}) >= 200
    assert all(row.source.strip() for row in rows)
    with open(VOCABULARY, encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    assert header == ["term", "code", "source"]


def test_every_vocabulary_code_is_in_the_fy2026_code_set(index):
    missing = [
        (row.line, row.term, row.code) for row in icd.read_vocabulary() if not index.get(row.code)
    ]
    assert missing == []


def test_sources_that_cite_an_inclusion_term_are_right(index):
    """A row whose source quotes an inclusion term "X" of a code: the tabular list has it."""
    checked = 0
    for row in icd.read_vocabulary():
        if ": inclusion term " not in row.source:
            continue
        quoted = row.source.split('inclusion term "', 1)[1]
        term, _, rest = quoted.partition('" of ')
        assert term in index.inclusion_terms(rest.split()[0]), row
        checked += 1
    assert checked >= 40


@pytest.mark.parametrize(
    ("term", "code"),
    [
        ("CVA", "I63.9"),
        ("TBI", "S06.9"),
        ("ALS", "G12.21"),
        ("GBS", "G61.0"),
        ("Bell's palsy", "G51.0"),
        ("CTS", "G56.0"),
        ("cubital tunnel", "G56.2"),
        ("de Quervain", "M65.4"),
        ("Dupuytren's", "M72.0"),
        ("Colles fracture", "S52.53"),
        ("boxer's fracture", "S62.336"),
        ("mallet finger", "M20.01"),
        ("RC tear", "M75.1"),
        ("TKA aftercare", "Z47.1"),
        ("ASD", "F84.0"),
        ("DCD", "F82"),
        ("SPD", "R44.8"),
        ("oropharyngeal dysphagia", "R13.12"),
        ("apraxia of speech", "R48.2"),
    ],
)
def test_the_vocabulary_covers_the_fields_a_clinic_treats(term, code):
    assert (term, code) in {(row.term, row.code) for row in icd.read_vocabulary()}


def _write_vocabulary(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["term", "code", "source"])
        writer.writerows(rows)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["frozen shoulder", "M75.0", ""], "line 2: the source of 'frozen shoulder' is empty"),
        (["frozen shoulder", "shoulder", "x"], "line 2: 'SHOULDER' is not an ICD-10-CM code"),
        (["", "M75.0", "x"], "line 2: the term is empty"),
    ],
)
def test_a_malformed_vocabulary_says_which_line(tmp_path, row, message):
    path = tmp_path / "vocabulary.csv"
    _write_vocabulary(path, [row])
    with pytest.raises(icd.IcdError, match=message):
        icd.read_vocabulary(path)


def test_a_vocabulary_without_its_columns_is_refused(tmp_path):
    path = tmp_path / "vocabulary.csv"
    path.write_text("word,code\nCVA,I63.9\n", encoding="utf-8")
    with pytest.raises(icd.IcdError, match="source"):
        icd.read_vocabulary(path)


@pytest.mark.slow
def test_an_index_built_from_another_vocabulary_is_rebuilt(tmp_path, source, monkeypatch):
    """The index remembers which vocabulary it holds: a changed file means a new build."""
    mine = tmp_path / "vocabulary.csv"
    _write_vocabulary(mine, [["zebra shoulder", "M75.0", "test"], ["retired code", "R26.7", "t"]])
    path = tmp_path / icd.index_file_name(source.release)
    icd.build_index(path, source=source, vocabulary=mine)
    built = icd._try_open(path, None)  # as built, whatever the shipped vocabulary says
    assert built is not None
    with built:
        # the made-up term narrows like any other; a code the release lacks is left out
        assert [d.code for d in built.search("zebra shoulder left", 1)] == ["M75.02"]
        assert built.read_query("retired code").terms == ()
        assert [t.term for t, _ in built.read_query("zebra shoulder").terms] == ["zebra shoulder"]
    assert not icd.index_is_current(path, source=source)  # not the shipped vocabulary
    with icd.open_index(path, source=source) as rebuilt:
        assert rebuilt.read_query("zebra shoulder").terms == ()
        assert [d.code for d in rebuilt.search("frozen shoulder left", 1)] == ["M75.02"]
    assert icd.index_is_current(path, source=source)


@pytest.fixture(scope="module")
def source():
    found = icd.find_source()
    assert found is not None
    return found


# --- narrowing as the person keeps typing ------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        # the examples
        ("frozen shoulder left", "M75.02"),
        ("tennis elbow right", "M77.11"),
        ("CVA", "I63.9"),
        ("colles fracture right initial", "S52.531A"),
        ("hemiplegia after stroke left dominant", "I69.352"),
        # side, body part, encounter under a term's category
        ("frozen shoulder right", "M75.01"),
        ("tennis elbow bilateral", "M77.10"),  # no bilateral code: the unspecified one
        ("golfer's elbow left", "M77.02"),
        ("CTS bilateral", "G56.03"),
        ("trigger finger left middle", "M65.332"),
        ("trigger thumb right", "M65.311"),
        ("mallet finger right", "M20.011"),
        ("colles fracture left subsequent", "S52.532D"),
        ("colles fracture right sequela", "S52.531S"),
        ("boxer's fracture left initial", "S62.337A"),
        ("CRPS left upper limb", "G90.512"),
        ("BPPV left", "H81.12"),
        ("TKA right", "Z96.651"),
        ("BKA left", "Z89.512"),
        ("OA left hip", "M16.12"),
        ("ACL tear right initial", "S83.511A"),
        ("hemiplegia after CVA right nondominant", "I69.353"),
    ],
)
def test_a_term_narrows_to_the_billable_code_meant(index, typed, first):
    assert top(index, typed, 1) == [first]


def test_a_term_alone_lists_its_billable_codes_the_usual_one_first(index):
    assert top(index, "frozen shoulder", 3) == ["M75.00", "M75.02", "M75.01"]
    assert top(index, "CP", 1) == ["G80.9"]  # Cerebral palsy, unspecified
    assert top(index, "MS", 1) == ["G35.D"]
    # injuries: initial, subsequent and sequela before the rarer encounters
    assert top(index, "colles fracture right", 3) == ["S52.531A", "S52.531D", "S52.531S"]


def test_words_a_term_cannot_take_still_leave_the_term(index):
    # I63.9 has no side: the side is left out rather than losing the stroke
    assert top(index, "CVA left", 1) == ["I63.9"]
    assert top(index, "de quervain left", 1) == ["M65.4"]


def test_cva_is_not_an_immunodeficiency(index):
    found = index.search("CVA", 5)
    assert found[0].code == "I63.9"
    assert not any(d.code.startswith("D80") for d in found[:1])


# --- ordering rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hemiplegia after stroke left dominant", "I69.352"),
        ("dysphagia after stroke", "I69.391"),
        ("aphasia following CVA", "I69.320"),
        ("history of stroke", "I69.30"),
        ("residual hemiparesis stroke right dominant", "I69.351"),
        ("s/p CVA with dysarthria", "I69.322"),
    ],
)
def test_after_effects_of_a_stroke_come_first_when_the_words_say_so(index, typed, expected):
    found = top(index, typed, 10)
    assert found[0] == expected
    # after-effects before any acute cerebrovascular code
    acute = [i for i, c in enumerate(found) if c[:3] in {"I60", "I61", "I62", "I63"}]
    sequelae = [i for i, c in enumerate(found) if c.startswith("I69")]
    assert not acute or max(sequelae) < min(acute)


def test_without_those_words_a_stroke_is_the_acute_code(index):
    assert top(index, "stroke", 1) == ["I63.9"]
    # ... unless what follows is an after-effect
    assert top(index, "CVA right hemiplegia", 1)[0].startswith("I69.35")


def test_history_without_residual_deficits_is_in_the_first_rows(index):
    assert "Z86.73" in top(index, "history of stroke without residual deficits", 5)


@pytest.mark.parametrize(
    ("typed", "condition", "z_code"),
    [
        ("autism", "F84.0", "Z13.41"),
        ("stroke", "I63.9", "Z82.3"),
    ],
)
def test_a_condition_before_screening_and_history_codes(index, typed, condition, z_code):
    found = top(index, typed, 60)
    assert found.index(condition) < found.index(z_code)


# --- forgiving what is typed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("carpel tunnel right", "G56.01"),  # misspelled
        ("dysphagea", "R13.10"),
        ("alzhiemers", "G30.9"),
        ("tendonitis achilles left", "M76.62"),  # the common spelling
        ("dequervains", "M65.4"),  # run together, possessive
        ("parkinsons", "G20.A1"),
        ("trigger fingers right index", "M65.321"),  # plural
        ("shoulder frozen left", "M75.02"),  # word order
        ("rt frozen shoulder", "M75.01"),  # shorthand
        ("lt CTS", "G56.02"),
        ("R hemiplegia dominant", "G81.91"),
        ("colles fx right init", "S52.531A"),
        ("hemiplegia non-dominant left", "G81.94"),
        ("arthritus left knee", "M17.12"),
    ],
)
def test_misspellings_shorthand_plurals_and_word_order(index, typed, first):
    assert top(index, typed, 1) == [first]


def test_accents_are_optional(index):
    assert top(index, "Ménière's disease", 1)[0].startswith("H81.0")
    assert top(index, "meniere disease", 1) == top(index, "Ménière's disease", 1)


def test_read_query_explains_the_reading(index):
    query = index.read_query("s/p TKA rt")
    assert [w.text for w in query.words] == ["status", "tka", "right"]
    assert [term.term for term, _ in query.terms] == ["TKA"]
    assert query.wants_z and query.after


def test_a_copy_of_the_shared_index_still_searches(index, tmp_path):
    # the vocabulary lives in the file: a copy elsewhere needs no data folder
    copy = tmp_path / index.path.name
    shutil.copyfile(index.path, copy)
    with icd.open_index(copy, build_if_missing=False, source=None) as opened:
        assert top(opened, "frozen shoulder left", 1) == ["M75.02"]


# --- words a term's codes cannot take ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        # the condition named by a term outweighs a body part its codes do not spell out
        ("dupuytren right hand", "M72.0"),
        ("lymphedema left arm", "I89.0"),
        # an after-effect named with another term: the I69 code for it, then the term's own
        ("expressive aphasia after stroke", "I69.320"),
        ("oropharyngeal dysphagia after CVA", "I69.391"),
        ("low back pain with sciatica", "M54.40"),
        ("LBP with sciatica right", "M54.41"),
        ("CRPS type 1 left lower extremity", "G90.522"),
        ("decreased ROM shoulder right", "M25.611"),
    ],
)
def test_the_term_is_kept_when_a_word_does_not_fit(index, typed, first):
    assert top(index, typed, 1) == [first]


def test_the_other_terms_code_follows_the_after_effect(index):
    assert top(index, "oropharyngeal dysphagia after CVA", 2) == ["I69.391", "R13.12"]
    assert top(index, "expressive aphasia after stroke", 2) == ["I69.320", "R47.01"]


def test_a_terms_codes_whose_title_says_it_come_first(index):
    found = index.search("trigger finger", 12)
    thumbs = [i for i, d in enumerate(found) if "thumb" in d.description.lower()]
    fingers = [i for i, d in enumerate(found) if "thumb" not in d.description.lower()]
    assert found[0].code == "M65.30"
    assert not thumbs or max(fingers) < min(thumbs)


def test_when_nothing_holds_every_word_the_first_words_still_find_codes(index):
    found = top(index, "rotator cuff repair aftercare", 5)
    assert found
    assert all(
        "rotator cuff" in d.description.lower()
        for d in index.search("rotator cuff repair aftercare", 5)
    )
