"""Reading typed diagnosis words: shorthand, stems, kinds of words, vocabulary terms and
spelling suggestions (pure functions; the real index is in test_icd_search.py)."""

from __future__ import annotations

import pytest

from otdesk.core.icd_words import (
    Lexicon,
    VocabTerm,
    match_terms,
    normalize_term,
    parse,
    raw_words,
    stem,
)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("s/p TKA rt", ["status", "tka", "right"]),
        ("status post CVA", ["status", "cva"]),
        ("L CTS", ["left", "cts"]),
        ("h/o CVA w/ R hemi", ["history", "cva", "with", "right", "hemi"]),
        ("hemiplegia non-dominant", ["hemiplegia", "nondominant"]),
        ("Colles' fx, f/u", ["colles", "fracture", "subsequent"]),
        ("Parkinson\u2019s", ["parkinson"]),
        ("B/L knee OA", ["bilateral", "knee", "oa"]),
        ("C-spine pain", ["cervical", "pain"]),
        ("Ménière", ["meniere"]),
        ("late effect of stroke", ["sequela", "of", "stroke"]),
    ],
)
def test_shorthand_is_spelled_out(typed, words):
    assert raw_words(typed) == words


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [
        ("fractures", "fracture"),
        ("falls", "fall"),
        ("injuries", "injur"),
        ("walking", "walk"),
        ("sprained", "sprain"),
        ("hemiplegic", "hemipleg"),
        ("tendinitis", "tendinitis"),
        ("stenosis", "stenosis"),
        ("weakness", "weakness"),
        ("ms", "ms"),
        ("radius", "radius"),
        ("walkers", "walk"),
        ("alzheimers", "alzheim"),
        ("alzheim", "alzheim"),
    ],
)
def test_stems(word, stemmed):
    assert stem(word) == stemmed


def test_kinds_of_words():
    query = parse("hemiplegia after stroke left dominant initial")
    kinds = {word.text: word.kind for word in query.words}
    assert kinds == {
        "hemiplegia": "content",
        "after": "after",
        "stroke": "content",
        "left": "side",
        "dominant": "side",
        "initial": "side",
    }
    assert query.after and not query.wants_z
    assert parse("history of falls").wants_z
    assert not parse("frozen shoulder").after


def test_stopwords_go_unless_nothing_else_is_left():
    # words go to the index as prefixes of their forms: "should" finds shoulder, shoulders
    assert [w.text for w in parse("pain in the shoulder").words] == ["pain", "should"]
    assert [w.text for w in parse("of the").words] == ["of", "the"]


VOCABULARY = [
    VocabTerm("frozen shoulder", normalize_term("frozen shoulder"), ("M750",)),
    VocabTerm("CVA", normalize_term("CVA"), ("I639",)),
    VocabTerm("OA", normalize_term("OA"), ("M15", "M16", "M17")),
    VocabTerm("history of falls", normalize_term("history of falls"), ("Z9181",)),
    VocabTerm("falls", normalize_term("falls"), ("R296",)),
]


def terms(text: str) -> list[str]:
    return [term.term for term, _ in parse(text, vocabulary=VOCABULARY).terms]


def test_terms_are_found_in_any_order_and_while_typing():
    assert terms("frozen shoulder left") == ["frozen shoulder"]
    assert terms("left shoulder frozen") == ["frozen shoulder"]
    assert terms("frozen shou") == ["frozen shoulder"]  # the word being typed
    assert terms("frozen shou ") == []  # a finished word must be whole
    assert terms("frozen") == []


def test_abbreviations_must_be_whole_words():
    assert terms("cva") == ["CVA"]
    assert terms("cv") == []
    assert terms("oa knee") == ["OA"]


def test_the_longest_term_wins_a_word():
    assert terms("history of falls") == ["history of falls"]
    assert terms("frequent falls") == ["falls"]
    found = parse("history of falls", vocabulary=VOCABULARY).terms
    assert found[0][1] == (0, 1)


def test_match_terms_without_vocabulary():
    assert match_terms(parse("cva").words, []) == ()


LEXICON = Lexicon(
    ["carpal", "de", "dysphagia", "left", "parkinson", "quervain", "tunnel"],
    [40, 12, 9, 9000, 7, 1, 30],
)


@pytest.mark.parametrize(
    ("typed", "partial", "fixed"),
    [
        ("carpel", False, ("carpal",)),
        ("dysphagea", False, ("dysphagia",)),
        ("dyspahgia", False, ("dysphagia",)),  # two letters swapped
        ("parkinsn", False, ("parkinson",)),
        ("dequervain", False, ("de", "quervain")),
        ("lfet", False, ("left",)),
    ],
)
def test_spelling_suggestions(typed, partial, fixed):
    assert LEXICON.correct(typed, partial) == fixed


def test_a_word_being_typed_only_needs_to_start_a_known_word():
    (fixed,) = LEXICON.correct("parkinsn", True)
    assert "parkinson".startswith(fixed)
    assert LEXICON.correct("qurev", True) == ("querv",)  # two letters swapped
    assert LEXICON.correct("xqzvw", True) is None


@pytest.mark.parametrize("typed", ["zzzqx", "abc", "1234", "qqqqqqq"])
def test_no_suggestion_for_nothing_close(typed):
    assert LEXICON.correct(typed, False) is None


def test_a_misspelled_word_is_read_as_the_index_spells_it():
    query = parse("carpel tunnel", LEXICON)
    assert [w.text for w in query.words] == ["carpal", "tunnel"]
    unknown = parse("zzzqx tunnel", LEXICON)
    assert [w.kind for w in unknown.words] == ["unknown", "content"]


def test_completions():
    assert LEXICON.completions("car") == ["carpal"]
    assert LEXICON.completions("zz") == []
    assert LEXICON.completions("", most=3) is None
