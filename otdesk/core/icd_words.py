"""What a person typed into the diagnosis search, read as words: spelling and shorthand
normalized, side and encounter words told apart, words that point at after-effects or at
Z-codes noticed, and the curated vocabulary's terms found among them.

Pure functions and small tables; otdesk.core.icd turns the result into index queries.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Word characters as FTS5's unicode61 tokenizer sees them (letters and digits, no "_").
WORD_RE = re.compile(r"[^\W_]+")
MAX_WORDS = 12
MAX_WORD_CHARS = 40

# Shorthand written with a slash or a hyphen, turned into words before splitting.
_PHRASES = (
    # "status post": the "post" says nothing "status" does not (and would match hundreds
    # of words: posterior, postprocedural...)
    (re.compile(r"\bs\s*/\s*p\b"), " status "),
    (re.compile(r"\bstatus[\s-]+post\b"), " status "),
    (re.compile(r"\bh\s*/\s*o\b"), " history "),
    (re.compile(r"\bw\s*/\s*o\b"), " without "),
    (re.compile(r"\bw\s*/(?=\s|\w|$)"), " with "),
    (re.compile(r"\bb\s*/\s*l\b"), " bilateral "),
    (re.compile(r"\br\s*/\s*o\b"), " "),  # "rule out": not coded
    (re.compile(r"\bf\s*/\s*u\b"), " subsequent "),
    (re.compile(r"\bnon[\s-]+dom(?:inant)?\b"), " nondominant "),
    (re.compile(r"\bnondom\b"), " nondominant "),
    (re.compile(r"\bfollow[\s-]*up\b"), " subsequent "),
    (re.compile(r"\blate[\s-]+effects?\b"), " sequela "),
    (re.compile(r"\b([a-z])[\s-]+spine\b"), r" \1spine "),
    (re.compile(r"['\u2019]s\b"), ""),  # possessives: "Colles'", "Parkinson's"
)

# One typed word -> the word(s) the tabular list uses. Several words make a phrase.
SHORTHAND: dict[str, tuple[str, ...]] = {
    "r": ("right",),
    "rt": ("right",),
    "rgt": ("right",),
    "l": ("left",),
    "lt": ("left",),
    "lft": ("left",),
    "bil": ("bilateral",),
    "bilat": ("bilateral",),
    "both": ("bilateral",),
    "dom": ("dominant",),
    "init": ("initial",),
    "subseq": ("subsequent",),
    "subs": ("subsequent",),
    "seq": ("sequela",),
    "sequelae": ("sequela",),
    "fx": ("fracture",),
    "fxs": ("fracture",),
    "frx": ("fracture",),
    "broken": ("fracture",),
    "hx": ("history",),
    "sx": ("symptom",),
    "inj": ("injury",),
    "lig": ("ligament",),
    "jt": ("joint",),
    "disloc": ("dislocation",),
    "tendonitis": ("tendinitis",),
    "tendonosis": ("tendinosis",),
    "torn": ("tear",),
    "loc": ("loss", "consciousness"),
    "orif": ("fracture",),
    "rtc": ("rotator", "cuff"),
    "shldr": ("shoulder",),
    "shld": ("shoulder",),
    "pinky": ("little",),
    "ue": ("upper", "limb"),
    "le": ("lower", "limb"),
    "cspine": ("cervical",),
    "tspine": ("thoracic",),
    "lspine": ("lumbar",),
    "sternocleidomastoid": ("sternomastoid",),
    "bpd": ("bronchopulmonary",),
}

# Words that add nothing to a diagnosis search.
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "dx",
        "for",
        "in",
        "is",
        "of",
        "on",
        "or",
        "pt",
        "the",
        "to",
        "w",
        "with",
        "s",
        "x",
    }
)

LATERALITY = frozenset({"right", "left", "bilateral", "dominant", "nondominant", "unspecified"})
ENCOUNTER = frozenset({"initial", "subsequent", "sequela"})
# Words saying the condition came before: after-effects (I69.-) come first.
AFTER_WORDS = frozenset(
    {"after", "following", "post", "history", "residual", "sequela", "old", "prior", "status"}
)
# Words that ask for a Z-code (history, screening, aftercare, status...).
Z_WORDS = frozenset(
    {
        "history",
        "screening",
        "encounter",
        "aftercare",
        "status",
        "presence",
        "family",
        "exam",
        "examination",
        "observation",
        "counseling",
        "absence",
        "amputation",
        "dependence",
        "personal",
        "risk",
        "artificial",
        "replacement",
        "prosthesis",
        "implant",
        "carrier",
        "contact",
        "exposure",
        "awaiting",
        "z",
    }
)
# "arthritis" also finds the osteoarthritis codes, "tear" the "rupture" ones.
ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "arthritis": ("osteoarthritis", "arthropathy"),
    "extremity": ("limb",),
    # the tabular list writes both "nondominant" and "non-dominant"
    "nondominant": ("non dominant",),
    "limb": ("extremity",),
    "tear": ("rupture",),
    "numbness": ("paresthesia", "anesthesia"),
    "swallowing": ("dysphagia",),
    "swallow": ("dysphagia",),
}


def stem(word: str) -> str:
    """A shorter prefix that also finds the word's other forms ("fractures" -> "fracture",
    "walking" -> "walk", "hemiplegic" -> "hemipleg", "walkers" -> "walk"); the word itself
    when none applies. Applied until nothing changes, so a stem stems to itself."""
    for _ in range(3):
        shorter = _stem_once(word)
        if shorter == word:
            break
        word = shorter
    return word


def _stem_once(word: str) -> str:
    if len(word) >= 6 and word.endswith("ies"):
        return word[:-3]
    if len(word) >= 7 and word.endswith("ing"):
        return word[:-3]
    if len(word) >= 6 and word.endswith(("ed", "ic", "er")):
        return word[:-2]
    if len(word) >= 4 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")):
        return word[:-1]
    return word


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a query: the text as it goes to the index (a prefix), the other spellings
    that count as it, and what kind of word it is."""

    text: str
    alternatives: tuple[tuple[str, ...], ...] = ()
    kind: str = "content"  # content, side (laterality/encounter), after
    last: bool = False  # the word being typed: it may be cut short

    @property
    def forms(self) -> tuple[tuple[str, ...], ...]:
        return ((self.text,), *self.alternatives)


@dataclass(frozen=True, slots=True)
class VocabTerm:
    term: str
    words: tuple[str, ...]  # normalized as a query's words are
    codes: tuple[str, ...]  # dotless targets


class Vocabulary:
    """The vocabulary's terms with an index from each of their words to the terms that use
    it, so a query looks only at the terms that share a word with it."""

    def __init__(self, terms: Iterable[VocabTerm]):
        self.terms = list(terms)
        self._by_word: dict[str, list[int]] = {}
        for position, term in enumerate(self.terms):
            for word in dict.fromkeys(term.words):
                self._by_word.setdefault(word, []).append(position)
        self._words = sorted(self._by_word)

    def __len__(self) -> int:
        return len(self.terms)

    def candidates(self, words: Sequence[Word]) -> list[VocabTerm]:
        """The terms having a word among words (or started by the word being typed)."""
        found: set[int] = set()
        for word in words:
            found.update(self._by_word.get(word.text, ()))
            if word.last and len(word.text) >= 3:
                at = bisect_left(self._words, word.text)
                while at < len(self._words) and self._words[at].startswith(word.text):
                    found.update(self._by_word[self._words[at]])
                    at += 1
        return [self.terms[i] for i in sorted(found)]


@dataclass(frozen=True)
class Query:
    words: tuple[Word, ...]
    after: bool = False  # "after", "history of", "residual" ...: after-effects first
    wants_z: bool = False  # the words ask for a Z-code
    terms: tuple[tuple[VocabTerm, tuple[int, ...]], ...] = field(default=())


def raw_words(text: str) -> list[str]:
    """Lower-case words of text with shorthand phrases spelled out ("s/p" -> status post)."""
    lowered = fold(text.lower())
    for pattern, replacement in _PHRASES:
        lowered = pattern.sub(replacement, lowered)
    out: list[str] = []
    for word in WORD_RE.findall(lowered):
        out.extend(SHORTHAND.get(word, (word,)))
    return [word[:MAX_WORD_CHARS] for word in out[: MAX_WORDS * 2]]


def fold(text: str) -> str:
    """Accents dropped, as the index's tokenizer does (remove_diacritics): "ménière" is
    "meniere"."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalize_term(text: str) -> tuple[str, ...]:
    """A vocabulary term's words as query words are compared: shorthand spelled out,
    stopwords dropped, each word stemmed."""
    words = [w for w in raw_words(text) if w not in STOPWORDS]
    return tuple(stem(w) for w in words)


class Lexicon:
    """Every word of the index (sorted) with the number of codes using it: tells whether a
    typed word starts any word, and offers a close spelling for one that starts none."""

    def __init__(self, words: Sequence[str], counts: Sequence[int]):
        self.words = list(words)
        self.counts = list(counts)
        self.exact = dict(zip(self.words, self.counts, strict=True))

    def has_prefix(self, prefix: str) -> bool:
        at = bisect_left(self.words, prefix)
        return at < len(self.words) and self.words[at].startswith(prefix)

    def completions(self, prefix: str, most: int = 16) -> list[str] | None:
        """The index's words starting with prefix, or None when there are more than most
        (an exact-word query reads far less of the index than a prefix query)."""
        at = bisect_left(self.words, prefix)
        found: list[str] = []
        while at < len(self.words) and self.words[at].startswith(prefix):
            if len(found) == most:
                return None
            found.append(self.words[at])
            at += 1
        return found

    def _prefix_count(self, prefix: str, most: int = 32) -> int:
        """Rows using the first `most` words that start with prefix."""
        at = bisect_left(self.words, prefix)
        end = min(at + most, len(self.words))
        total = 0
        while at < end and self.words[at].startswith(prefix):
            total += self.counts[at]
            at += 1
        return total

    def correct(self, word: str, partial: bool) -> tuple[str, ...] | None:
        """A spelling the index knows for word: a split into two words ("dequervain"), or a
        word one edit away (a letter dropped, added, changed or two swapped). partial: the
        word may be cut short, so a correction only needs to start a word. None when
        nothing close is known."""
        if len(word) >= 5:
            for cut in range(2, len(word) - 1):
                head, tail = word[:cut], word[cut:]
                if head in self.exact and len(tail) >= 3 and self._known(tail, partial):
                    return (head, tail)
        if len(word) < 4 or word.isdigit():
            return None
        best: tuple[int, str] | None = None
        for candidate in _edits(word):
            if partial:
                score = self._prefix_count(candidate) if self.has_prefix(candidate) else 0
            else:
                score = self.exact.get(candidate, 0)
            if score and (best is None or score > best[0]):
                best = (score, candidate)
        return (best[1],) if best else None

    def _known(self, word: str, partial: bool) -> bool:
        return self.has_prefix(word) if partial else word in self.exact


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits(word: str) -> Iterable[str]:
    seen = {word}
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    for head, tail in splits:
        if tail:
            yield from _new(seen, head + tail[1:])
        if len(tail) > 1:
            yield from _new(seen, head + tail[1] + tail[0] + tail[2:])
        for letter in _LETTERS:
            if tail:
                yield from _new(seen, head + letter + tail[1:])
            yield from _new(seen, head + letter + tail)


def _new(seen: set[str], candidate: str) -> Iterable[str]:
    if candidate not in seen and len(candidate) >= 3:
        seen.add(candidate)
        yield candidate


def parse(
    text: str,
    lexicon: Lexicon | None = None,
    vocabulary: Vocabulary | Sequence[VocabTerm] = (),
) -> Query:
    """Read text as a diagnosis query (see the module docstring)."""
    typed = raw_words(text)
    open_end = bool(text) and not text[-1].isspace()
    kept = [w for w in typed if w not in STOPWORDS] or typed
    kept = kept[:MAX_WORDS]
    after = any(w in AFTER_WORDS for w in kept)
    wants_z = any(w in Z_WORDS for w in kept)
    words: list[Word] = []
    for position, raw in enumerate(kept):
        last = open_end and position == len(kept) - 1
        words.extend(_read_word(raw, last, lexicon))
    pool = vocabulary.candidates(words) if isinstance(vocabulary, Vocabulary) else vocabulary
    terms = match_terms(words, pool)
    if any(code.startswith("Z") for term, _ in terms for code in term.codes):
        wants_z = True
    return Query(tuple(words), after=after, wants_z=wants_z, terms=terms)


def _read_word(raw: str, last: bool, lexicon: Lexicon | None) -> list[Word]:
    kind = (
        "side"
        if raw in LATERALITY or raw in ENCOUNTER
        else "after"
        if raw in AFTER_WORDS
        else "content"
    )
    base = stem(raw)
    alternatives = _alternatives(raw)
    if lexicon is not None and not lexicon.has_prefix(base) and not raw.isdigit():
        fixed = lexicon.correct(base, last) or lexicon.correct(raw, last)
        if fixed is None:
            return [Word(base, alternatives, "unknown", last)]
        if len(fixed) > 1:
            return [
                Word(part, (), kind, last and i == len(fixed) - 1) for i, part in enumerate(fixed)
            ]
        base = fixed[0]
        alternatives = _alternatives(base)
    return [Word(base, alternatives, kind, last)]


def _alternatives(word: str) -> tuple[tuple[str, ...], ...]:
    return tuple(
        tuple(stem(part) for part in other.split()) for other in ALTERNATIVES.get(word, ())
    )


def match_terms(
    words: Sequence[Word], vocabulary: Sequence[VocabTerm]
) -> tuple[tuple[VocabTerm, tuple[int, ...]], ...]:
    """The vocabulary terms whose words are all among the query's words (in any order; the
    word being typed may be cut short), longest first, no query word used by two terms
    (unless both take the very same words). Each comes with the positions it took."""
    if not vocabulary or not words:
        return ()
    found: list[tuple[int, bool, VocabTerm, tuple[int, ...]]] = []
    for term in vocabulary:
        taken = _positions(term.words, words)
        if taken is not None:
            exact = all(words[i].text in term.words for i in taken)
            found.append((len(taken), exact, term, taken))
    # longest first; on the same words a whole-word match before one of a word cut short
    found.sort(key=lambda item: (-item[0], not item[1]))
    used: set[int] = set()
    spans: dict[frozenset[int], bool] = {}
    chosen: list[tuple[VocabTerm, tuple[int, ...]]] = []
    for _size, exact, term, taken in found:
        span = frozenset(taken)
        if span in spans:
            if exact == spans[span]:
                chosen.append((term, taken))
        elif used.isdisjoint(span):
            chosen.append((term, taken))
            spans[span] = exact
            used |= span
    return tuple(chosen)


def _positions(term_words: tuple[str, ...], words: Sequence[Word]) -> tuple[int, ...] | None:
    taken: list[int] = []
    for term_word in term_words:
        for position, word in enumerate(words):
            if position in taken:
                continue
            if word.text == term_word or (
                word.last
                and len(word.text) >= 3
                and len(term_word) > 4
                and term_word.startswith(word.text)
            ):
                taken.append(position)
                break
        else:
            return None
    return tuple(taken)
