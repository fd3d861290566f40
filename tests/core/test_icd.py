"""ICD-10-CM index: built from simple-icd-10-cm's data files, searched as a front desk would.

The real index is built once per test session (shared_index_file) and opened read-only;
tests that build or rebuild work in their own folders.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otdesk.core import icd
from otdesk.core.icd import Diagnosis
from otdesk.core.icd_words import fold

REPO = Path(__file__).resolve().parents[2]

# The codes the seed data uses, with their descriptions in the April 2026 release.
SEED = {
    "R26.1": "Paralytic gait",
    "R26.89": "Other abnormalities of gait and mobility",
    "R27.9": "Unspecified lack of coordination",
    "R44.8": "Other symptoms and signs involving general sensations and perceptions",
    "M62.81": "Muscle weakness (generalized)",
}

_SHARED: dict[str, object] = {}


def shared_index_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real index, built once per session in its own folder under the name open_index()
    looks for, so the folder can serve as $OTDESK_CACHE_DIR. Also used by test_cli_icd.py."""
    if "path" not in _SHARED:
        source = icd.find_source()
        assert source is not None, "simple-icd-10-cm is a dependency and must be installed"
        calls: list[tuple[int, int]] = []
        folder = tmp_path_factory.mktemp("icd-shared")
        _SHARED["path"] = icd.build_index(
            folder / icd.index_file_name(source.release),
            lambda done, total: calls.append((done, total)),
            source=source,
        )
        _SHARED["progress"] = calls
    path = _SHARED["path"]
    assert isinstance(path, Path)
    return path


@pytest.fixture(scope="session")
def index_file(tmp_path_factory):
    return shared_index_file(tmp_path_factory)


@pytest.fixture(scope="session")
def index(index_file):
    opened = icd.open_index(index_file, build_if_missing=False)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def source():
    found = icd.find_source()
    assert found is not None
    return found


@pytest.fixture(scope="session")
def parsed(source):
    """Every code as the builder read it (with inclusion terms), for brute-force checks."""
    return icd.read_codes(source)


def codes(results):
    return [d.code for d in results]


def copy_index(index_file: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or index_file.name)
    shutil.copyfile(index_file, target)
    return target


# --- finding the data ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "release"),
    [
        ("icd10c-tabular-April-1-2026.xml", "2026-04"),
        ("code-list-April-2026.txt", "2026-04"),
        ("icd10cm-tabular-October-1-2025.xml", "2025-10"),
        ("code-list-january-2027.txt", "2027-01"),
        ("code-list.txt", None),
        ("__init__.py", None),
    ],
)
def test_release_from_file_name(name, release):
    assert icd.release_from_name(name) == release


def test_the_installed_package_holds_the_april_2026_release(source):
    assert source.release == "2026-04"
    assert source.code_list.name == "code-list-April-2026.txt"
    assert source.tabular.name == "icd10c-tabular-April-1-2026.xml"


def test_source_in_folder_takes_the_newest_complete_release(tmp_path):
    for name in (
        "code-list-April-2026.txt",
        "icd10c-tabular-April-1-2026.xml",
        "code-list-October-2026.txt",
        "icd10c-tabular-October-1-2026.xml",
        "code-list-April-2027.txt",  # no tabular list for it: not usable
    ):
        (tmp_path / name).write_text("", encoding="utf-8")
    found = icd.source_in_folder(tmp_path)
    assert found is not None
    assert found.release == "2026-10"
    assert found.tabular.name == "icd10c-tabular-October-1-2026.xml"
    assert icd.source_in_folder(tmp_path / "missing") is None


def test_the_index_is_named_by_release_and_format_in_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(icd.CACHE_DIR_ENV, str(tmp_path / "cache"))
    source = icd.IcdSource("2031-10", Path("a.txt"), Path("b.xml"))
    path = icd.default_index_path(source)
    assert path == tmp_path / "cache" / f"icd10cm-2031-10-v{icd.INDEX_FORMAT}.sqlite"
    assert path.parent.is_dir()


# --- what the index holds ---------------------------------------------------------------------


@pytest.mark.parametrize(("code", "description"), SEED.items())
def test_seed_codes_are_billable_with_their_descriptions(index, code, description):
    assert index.get(code) == Diagnosis(code, description, True)


@pytest.mark.parametrize("spelling", ["M62.81", "m62.81", "M6281", "m6281", " M62.81 "])
def test_get_takes_the_code_with_or_without_dot_in_any_case(index, spelling):
    assert index.get(spelling) == Diagnosis("M62.81", "Muscle weakness (generalized)", True)


@pytest.mark.parametrize("text", ["X99.99", "R26.7", "", "  ", "hello", "M62.81.", "12345", "R"])
def test_get_unknown_is_none(index, text):
    if text == "M62.81.":  # a stray trailing dot is forgiven
        assert index.get(text) is not None
        assert index.get(text) == Diagnosis("M62.81", "Muscle weakness (generalized)", True)
    else:
        assert index.get(text) is None


def test_categories_are_not_billable(index):
    assert index.get("R26") == Diagnosis("R26", "Abnormalities of gait and mobility", False)
    assert index.get("R26.8").billable is False
    assert index.get("S72.001").billable is False
    assert index.get("S72.001A").billable is True


def test_seventh_character_codes_are_spelled_out(index):
    found = index.get("S72001A")
    assert found == Diagnosis(
        "S72.001A",
        "Fracture of unspecified part of neck of right femur, initial encounter for closed "
        "fracture",
        True,
    )
    # a placeholder X pads short codes to six characters before the 7th
    assert index.get("T71.20XA") is not None
    padded = index.get("t7120xa")
    assert padded is not None and (padded.code, padded.billable) == ("T71.20XA", True)
    assert padded.description.endswith(", initial encounter")


def test_inclusion_terms(index):
    assert index.inclusion_terms("I63.9") == ["Stroke NOS"]
    assert "Developmental coordination disorder" in index.inclusion_terms("f82")
    assert index.inclusion_terms("M62.81") == []
    assert index.inclusion_terms("nonsense") == []


def test_counts(index):
    assert index.billable_count == 74_719
    assert index.code_count == 98_186  # every item of 98,505 but chapters and blocks
    assert index.release == "2026-04"
    rows = list(index.all_codes())
    assert len(rows) == index.code_count
    assert sum(d.billable for d in rows) == 74_719
    assert len({d.code for d in rows}) == len(rows)


def test_billable_children(index):
    assert codes(index.billable_children("R26")) == [
        "R26.0",
        "R26.1",
        "R26.2",
        "R26.81",
        "R26.89",
        "R26.9",
    ]
    assert codes(index.billable_children("r268")) == ["R26.81", "R26.89"]
    assert codes(index.billable_children("R26", limit=2)) == ["R26.0", "R26.1"]
    assert index.billable_children("M62.81") == []
    assert index.billable_children("X99.99") == []
    assert index.billable_children("*") == []
    assert all(d.billable for d in index.billable_children("S72"))
    assert index.count_billable_children("S72") == len(index.billable_children("S72"))


def _package_codes():
    with warnings.catch_warnings():
        # importlib.resources.read_text inside the package is deprecated
        warnings.simplefilter("ignore")
        import simple_icd_10_cm.simple_icd_10_cm as cm
    return cm


def _same_text(text: str) -> str:
    # The package keeps the XML's whitespace (a tab after "/" in some 7th characters).
    return re.sub(r"\s+", " ", text).replace("/ ", "/").strip()


@pytest.mark.slow
def test_every_code_matches_the_package(index):
    """Descriptions, billable flags, inclusion terms and billable children agree with
    simple-icd-10-cm's own API for every code (it takes the package about 2 s to load)."""
    cm = _package_codes()
    expected = [c for c in dict.fromkeys(cm.get_all_codes()) if cm.is_category_or_subcategory(c)]
    ours = {d.code: d for d in index.all_codes()}
    assert set(ours) == set(expected)
    assert len(ours) == len(expected)
    for code in expected:
        found = ours[code]
        assert found.description == _same_text(cm.get_description(code)), code
        assert found.billable == cm.is_leaf(code), code
        if cm.get_inclusion_term(code):
            assert [_same_text(t) for t in index.inclusion_terms(code)] == [
                _same_text(t) for t in cm.get_inclusion_term(code)
            ], code
    for category in (c for c in expected if cm.is_category(c)):
        under = [d for d in cm.get_descendants(category) if cm.is_leaf(d)]
        assert codes(index.billable_children(category)) == sorted(under), category


def test_the_file_is_private(index_file):
    if os.name == "posix":
        assert index_file.stat().st_mode & 0o777 == 0o600


def test_build_reports_progress(index_file):
    calls = _SHARED["progress"]
    assert isinstance(calls, list)
    assert len(calls) >= 10
    assert calls[0][0] == 0
    assert calls[-1][0] == calls[-1][1]
    assert len({total for _done, total in calls}) == 1
    dones = [done for done, _total in calls]
    assert dones == sorted(dones)


# --- search: words ------------------------------------------------------------------------------


def test_inclusion_terms_are_searched(index):
    assert "I63.9" in codes(index.search("stroke"))
    assert "F84.0" in codes(index.search("autism"))
    assert codes(index.search("developmental coordination disorder"))[0] == "F82"
    # a category's inclusion terms find its billable codes ("Tennis elbow" is M77.1's)
    assert set(codes(index.search("tennis elbow", 3))) == {"M77.10", "M77.11", "M77.12"}


@pytest.mark.parametrize(
    ("typed", "expected_top"),
    [
        ("muscle weak", {"M62.81"}),
        ("Muscle Weakness", {"M62.81"}),
        ("lack of coord", {"R27.9"}),
        ("paralytic gait", {"R26.1"}),
        ("carpal tun", {"G56.00", "G56.01", "G56.02", "G56.03"}),
        ("unsteadiness", {"R26.81"}),
        ("spastic gait", {"R26.1"}),  # an inclusion term of R26.1
    ],
)
def test_front_desk_typing_finds_the_code_at_the_top(index, typed, expected_top):
    top = codes(index.search(typed, limit=len(expected_top)))
    assert set(top) == expected_top


def test_trigger_finger_lists_the_trigger_finger_codes(index):
    top = index.search("trigger fing", limit=10)
    assert len(top) == 10
    assert all(d.code.startswith("M65.3") and d.billable for d in top)


def test_words_match_in_any_order(index):
    assert codes(index.search("weak muscle"))[:1] == ["M62.81"]
    assert codes(index.search("shoulder frozen left"))[:1] == ["M75.02"]


def test_words_nothing_contains_are_left_out(index):
    assert codes(index.search("muscle weak zzzqx", 5)) == codes(index.search("muscle weak", 5))
    assert index.search("zzzqx") == []
    assert index.search("zzzqx qqxzv") == []


def test_words_may_come_from_description_and_inclusion_terms_together(index):
    # "stroke" is only in I63.9's inclusion term, "unspecified" only in its description
    assert codes(index.search("stroke unspecified"))[:1] == ["I63.9"]


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text.lower()))


def _matches(query: list[str], text: str) -> bool:
    words = _words(text)
    return all(any(w.startswith(q) for w in words) for q in query)


@pytest.mark.parametrize(
    "typed",
    ["stroke", "autism", "gait", "weak", "hand", "a", "fracture of", "pain right", "dementia"],
)
def test_billable_codes_come_before_categories(index, brute, typed):
    """Among the codes holding every word, billable ones first; codes found with a word
    left out come after all of them."""
    full = brute.full_matches(index.read_query(typed), billable_only=False)
    results = index.search(typed, limit=60)
    kinds = [(d.code not in full, not d.billable) for d in results]
    assert (False, False) in kinds
    assert kinds == sorted(kinds)


def test_a_condition_comes_before_screening_and_history_codes(index):
    autism = codes(index.search("autism"))
    # Z13.41 "Encounter for autism screening" says it in its title; F84.0 "Autistic
    # disorder" has it as an inclusion term ("Autism spectrum disorder")
    assert autism[0] == "F84.0"
    assert autism.index("Z13.41") > autism.index("F84.0")
    stroke = [d.code for d in index.search("stroke", 60) if d.billable]
    assert stroke[0] == "I63.9"
    z_codes = [i for i, code in enumerate(stroke) if code.startswith("Z")]
    others = [i for i, code in enumerate(stroke) if not code.startswith("Z")]
    assert z_codes and max(others) < min(z_codes)


def test_z_codes_come_first_when_the_words_ask_for_them(index):
    assert codes(index.search("history of falls"))[:1] == ["Z91.81"]
    assert codes(index.search("autism screening"))[:1] == ["Z13.41"]
    assert codes(index.search("family history of stroke"))[:1] == ["Z82.3"]


class BruteForce:
    """The matching rule as plain Python over the texts the builder indexes (description,
    inclusion terms, the parents' inclusion terms and vocabulary terms): every word the
    query reads (icd_words.parse) must start a word of the text, in one of its forms."""

    def __init__(self, parsed):
        self.codes = parsed
        self.words: list[set[str]] = []
        for c in parsed:
            self.words.append(set(_words(" ".join([c.description, *c.terms, *c.inherited]))))

    def full_matches(self, query, billable_only: bool = True) -> set[str]:
        forms = [
            [form[0] for form in word.forms if len(form) == 1]
            for word in query.words
            if word.kind != "unknown"
        ]
        found = set()
        for c, words in zip(self.codes, self.words, strict=True):
            if billable_only and not c.billable:
                continue
            if all(any(w.startswith(f) for w in words for f in alts) for alts in forms):
                found.add(c.code)
        return found


@pytest.fixture(scope="session")
def searched(source):
    """Every code with the texts the index searches (vocabulary terms included)."""
    return icd.read_codes(source, vocabulary=icd.vocabulary_by_code(icd.read_vocabulary()))


@pytest.fixture(scope="session")
def brute(searched):
    return BruteForce(searched)


def test_the_brute_force_agrees_with_a_scan(searched, brute, index):
    query = index.read_query("lack coord")
    scanned = {
        c.code
        for c in searched
        if c.billable and _matches(["lack", "coord"], " ".join([c.description, *c.terms]))
    }
    assert brute.full_matches(query) == scanned


def _check_full_matches_first(index, brute, typed: str, limit: int) -> None:
    query = index.read_query(typed)
    expected = brute.full_matches(query)
    results = index.search(typed, limit=limit)
    assert len(codes(results)) == len(set(codes(results)))
    billable = [d.code for d in results if d.billable]
    if len(expected) <= len(billable):
        # every billable code holding all the words, before any that lacks one
        assert set(billable[: len(expected)]) == expected, typed
    else:
        assert set(billable) <= expected, typed


@pytest.mark.parametrize(
    "typed",
    [
        "stroke",
        "autism",
        "spastic",
        "gait",
        "weakness",
        "muscle weak",
        "lack of coord",
        "hemipleg dominant",
        "frozen shoulder",
        "tennis elbow right",
        "colles fracture right initial",
        "nos",
        "a",
    ],
)
def test_codes_holding_every_word_come_first(index, brute, typed):
    _check_full_matches_first(index, brute, typed, 40)


# Plain integers picked modulo the sizes: strategies built from the drawn data (sampled_from
# a code's own words) made Hypothesis see a different draw structure between runs.
@settings(max_examples=60, deadline=None)
@given(
    which=st.integers(min_value=0, max_value=10**6),
    word_picks=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=3),
    cut=st.integers(min_value=1, max_value=6),
)
def test_codes_holding_every_word_come_first_for_sampled_words(
    index, searched, brute, which, word_picks, cut
):
    sample = searched[::97]
    some = sample[which % len(sample)]
    words = _words(" ".join([some.description, *some.terms]))
    picked = [words[pick % len(words)] for pick in word_picks]
    typed = " ".join(word[:cut] for word in picked)
    if re.fullmatch(r"[a-z][0-9a-z]{1,6}", typed) and re.search(r"\d", typed):
        return  # code-like: checked by the code prefix tests
    query = index.read_query(typed)
    if query.after or query.terms:
        return  # after-effects and vocabulary terms: checked by the tests below
    _check_full_matches_first(index, brute, typed, 15)


# --- search: codes ------------------------------------------------------------------------------


def test_code_prefix_shortest_first_then_alphabetical(index):
    assert codes(index.search("R26")) == [
        "R26",
        "R26.0",
        "R26.1",
        "R26.2",
        "R26.8",
        "R26.9",
        "R26.81",
        "R26.89",
    ]
    assert codes(index.search("r26")) == codes(index.search("R26"))


@pytest.mark.parametrize("typed", ["M62.8", "m628", "M628", "m62.8", " M62.8 "])
def test_code_prefix_with_or_without_dot(index, typed):
    found = codes(index.search(typed, limit=6))
    assert found == ["M62.8", "M62.81", "M62.82", "M62.83", "M62.84", "M62.85"]


@pytest.mark.parametrize("typed", ["S", "S7", "S72", "S72.0", "M", "A0", "Z"])
def test_code_prefix_ordering_holds_for_big_prefixes(index, typed):
    found = index.search(typed, limit=50)
    nodot = typed.strip().upper().replace(".", "")
    if len(nodot) >= 2:
        keys = [(len(d.code), d.code) for d in found]
        assert keys == sorted(keys)
        assert all(d.code.replace(".", "").startswith(nodot) for d in found)
        assert len(found) == 50


def test_the_fy2026_category_with_a_letter_second(index):
    assert index.get("QA0").description.startswith("Neurodevelopmental disorders related to")
    assert index.get("qa00109").billable
    assert codes(index.search("qa0", limit=3)) == ["QA0", "QA0.0", "QA0.8"]
    assert index.search("qa") == []  # a word, not a code
    assert "QA0.0109" in codes(index.search("SCN8A"))


def test_a_full_code_finds_itself_first(index):
    assert codes(index.search("S72.001A"))[:1] == ["S72.001A"]
    assert codes(index.search("m6281"))[:1] == ["M62.81"]


def test_code_like_text_without_codes_falls_back_to_words(index):
    # no code starts with B12; "Vitamin B12 deficiency" does
    found = index.search("b12")
    assert found
    for d in found:
        assert _matches(["b12"], " ".join([d.description, *index.inclusion_terms(d.code)]))


# --- search: anything typed ----------------------------------------------------------------------

HOSTILE = [
    "",
    " ",
    '"',
    '""',
    '"""',
    "'",
    "*",
    "**",
    "-",
    "--",
    "-a",
    "a -b",
    "(",
    ")",
    "(a",
    "a)",
    "a AND",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(a b)",
    "a OR b",
    "a NOT b",
    "NEAR(a b, 2)",
    "text:a",
    "{text}: a",
    "- text : a",
    "^a",
    "a+b",
    "a*b",
    '"a"*',
    '""*',
    ".",
    "...",
    "R26.8.1",
    "M62..8",
    "\\",
    "%",
    "_",
    "a_b",
    "\x00",
    "a\x00b",
    "\t\n\r",
    "é",
    "Ménière",
    "日本語",
    "🙂 stroke",
    "a" * 5000,
    " ".join(["stroke"] * 200),
    "x" * 41 + "*",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_any_text_is_safe_to_search(index, text):
    results = index.search(text)
    assert isinstance(results, list)
    assert all(isinstance(d, Diagnosis) for d in results)
    assert index.get(text) is None or index.get(text).code
    assert index.validate(text).status in {"valid", "unknown", "not-billable"}


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_any_generated_text_is_safe_to_search(index, text):
    assert isinstance(index.search(text, limit=5), list)
    assert index.validate(text).status in {"valid", "unknown", "not-billable"}


def test_limit(index):
    assert len(index.search("a", limit=3)) == 3
    assert index.search("a", limit=0) == []
    assert len(index.search("fracture", limit=500)) == 500


# --- validate ---------------------------------------------------------------------------------


def test_validate_a_billable_code(index):
    check = index.validate("m62.81")
    assert check.status == "valid"
    assert check.ok
    assert check.code == "M62.81"
    assert check.message == "M62.81 is billable: Muscle weakness (generalized)."
    assert check.children == []


def test_validate_a_category_names_five_billable_codes(index):
    check = index.validate("R26")
    assert check.status == "not-billable"
    assert not check.ok
    assert check.message == (
        "R26 is a category, not a billable code; use one of R26.0, R26.1, R26.2, R26.81, "
        "R26.89 or another of its 6 billable codes."
    )
    assert check.children == ["R26.0", "R26.1", "R26.2", "R26.81", "R26.89"]


def test_validate_a_subcategory_with_few_children(index):
    check = index.validate("R26.8")
    assert check.status == "not-billable"
    assert check.message == (
        "R26.8 is a subcategory, not a billable code; use one of R26.81, R26.89."
    )
    assert check.children == ["R26.81", "R26.89"]


@pytest.mark.parametrize("text", ["X99.99", "R26.7", "hello", ""])
def test_validate_an_unknown_code(index, text):
    check = index.validate(text)
    assert check.status == "unknown"
    assert check.children == []
    assert "not an ICD-10-CM code" in check.message
    assert check.message.count(".") <= 3  # one sentence (dots in the code and release)


# --- opening, reusing, rebuilding ----------------------------------------------------------------


def test_open_reuses_a_current_index(index_file, tmp_path, monkeypatch):
    monkeypatch.setenv(icd.CACHE_DIR_ENV, str(tmp_path))
    path = copy_index(index_file, tmp_path)
    before = path.stat()
    for _ in range(2):
        with icd.open_index() as opened:
            assert opened.path == path
            assert opened.get("R26.1") is not None
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
    assert icd.index_is_current()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_new_release_rebuilds_and_drops_the_old_file(index_file, source, tmp_path, monkeypatch):
    monkeypatch.setenv(icd.CACHE_DIR_ENV, str(tmp_path))
    old = copy_index(index_file, tmp_path)
    newer = icd.IcdSource("2026-10", source.code_list, source.tabular)
    # a file already under the new release's name but holding the old release is stale too
    stale = copy_index(index_file, tmp_path, icd.index_file_name("2026-10"))
    stale_inode = stale.stat().st_ino
    assert not icd.index_is_current(source=newer)
    with icd.open_index(source=newer) as opened:
        assert opened.release == "2026-10"
        assert opened.path == tmp_path / icd.index_file_name("2026-10")
        assert opened.get("M62.81") is not None
    assert opened.path.stat().st_ino != stale_inode
    assert not old.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [icd.index_file_name("2026-10")]


def test_an_unreadable_file_is_not_used(tmp_path, source):
    path = tmp_path / icd.index_file_name(source.release)
    path.write_bytes(b"not an sqlite file" * 100)
    assert not icd.index_is_current(path)
    with pytest.raises(icd.IcdIndexMissingError):
        icd.open_index(path, build_if_missing=False)
    assert path.read_bytes().startswith(b"not an sqlite file")


def test_a_missing_index_is_not_built_when_not_asked(tmp_path):
    with pytest.raises(icd.IcdIndexMissingError):
        icd.open_index(tmp_path / "nothing.sqlite", build_if_missing=False)
    assert list(tmp_path.iterdir()) == []


class BuildStoppedError(Exception):
    pass


def _failing_progress(folder: Path, seen: list[list[str]]):
    def progress(done: int, total: int) -> None:
        if done >= total // 2:
            seen.append(sorted(p.name for p in folder.iterdir()))
            raise BuildStoppedError

    return progress


def test_a_failed_build_leaves_no_file(tmp_path, source):
    seen: list[list[str]] = []
    target = tmp_path / icd.index_file_name(source.release)
    with pytest.raises(BuildStoppedError):
        icd.build_index(target, _failing_progress(tmp_path, seen), source=source)
    assert len(seen) == 1
    assert any(name.endswith(".tmp") for name in seen[0])  # it did fail mid-write
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rebuild_keeps_the_previous_index(index_file, tmp_path, source):
    path = copy_index(index_file, tmp_path)
    before = path.stat()
    with pytest.raises(BuildStoppedError):
        icd.build_index(path, _failing_progress(tmp_path, []), source=source)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert path.stat().st_ino == before.st_ino
    with icd.open_index(path, build_if_missing=False) as opened:
        assert opened.get("R26.1") is not None


def test_an_index_opened_in_one_thread_serves_another(index_file):
    opened = icd.open_index(index_file, build_if_missing=False)
    found: list[list[Diagnosis]] = []
    worker = threading.Thread(target=lambda: found.append(opened.search("paralytic gait")))
    worker.start()
    worker.join(10)
    opened.close()
    assert codes(found[0])[:1] == ["R26.1"]


def test_opening_and_searching_does_not_import_the_data_package(index_file):
    """simple_icd_10_cm costs 1.5 s and 190 MB to import: only a build may need it (and
    this builder does not import it at all)."""
    script = textwrap.dedent(
        """
        import sys
        from otdesk.core import icd
        assert icd.find_source() is not None
        with icd.open_index(build_if_missing=False) as index:
            assert index.search("stroke") and index.search("R26")
            assert index.get("M62.81") and index.validate("R26").status == "not-billable"
        from otdesk.cli import main
        assert main(["icd", "search", "muscle weak"]) == 0
        print(sorted(m for m in sys.modules if m.startswith("simple_icd_10_cm")))
        """
    )
    env = dict(os.environ, **{icd.CACHE_DIR_ENV: str(index_file.parent)})
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert done.stderr == ""  # nothing was built
