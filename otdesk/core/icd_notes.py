"""ICD-10-CM Excludes1 notes: which codes a note's text names, and whether a code is among them.

A note of the tabular list reads like "hemiplegia and hemiparesis due to sequela of
cerebrovascular disease (I69.05-, I69.15-, I69.25-, I69.35-, I69.85-, I69.95-)". The codes in
it come as single codes ("R57.0"), dash forms meaning the code and everything under it
("G80.-", "I69.35-", "D29.2.-"), ranges of codes or categories ("B38.0-B38.2", "X00-X08"),
and a few qualified forms ("E08-E13 with .42", "B27.- with fifth character 2",
"S06.0X- with seventh character A", "I69. with final characters -23"). A code always stands
for itself and every code under it.

Codes are compared without their dot ("I6935"): a code is under "I6935" when it starts with
it, and within "B380".."B382" when its first characters fall between them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# A code reference: a category (letter, digit, digit or letter), an optional dot and up to
# four more characters, and an optional dash form ("-", ".-"). Not inside a longer word
# ("G6PD" is an enzyme, not G6P).
_REF = r"(?<![0-9A-Za-z])([A-Z][0-9][0-9A-Z])(?:\.([0-9A-Z]{0,4}))?(\.?-)?(?![0-9A-Za-z])"
_REF_RE = re.compile(_REF)
# "A-B" is a range only when the dash joins the two codes directly (spaces allowed) and the
# second has no dash form of its own: "I69.01-I69.11-" lists two dash forms.
_RANGE_RE = re.compile(_REF + r"\s*-\s*" + _REF)
_FIFTH_RE = re.compile(r"with (?:5th|fifth) character (\w)", re.IGNORECASE)
_SEVENTH_RE = re.compile(r"with (?:7th|seventh) character (\w)", re.IGNORECASE)
_FINAL_RE = re.compile(r"with final characters? -?(\w+)", re.IGNORECASE)
_AFTER_DOT_RE = re.compile(r"with \.(\w+)(?:\s*-\s*\.(\w+))?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CodeRef:
    """Codes from lo to hi (both without the dot, compared on their first characters), and
    when pattern is set only those whose whole dotless code matches it."""

    lo: str
    hi: str
    pattern: str | None = None

    def covers(self, nodot: str) -> bool:
        if nodot[: len(self.lo)] < self.lo or nodot[: len(self.hi)] > self.hi:
            return False
        return self.pattern is None or _compiled(self.pattern).fullmatch(nodot) is not None

    def encode(self) -> str:
        return f"{self.lo}:{self.hi}:{self.pattern or ''}"

    @classmethod
    def decode(cls, text: str) -> CodeRef:
        lo, hi, pattern = text.split(":", 2)
        return cls(lo, hi, pattern or None)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True, slots=True)
class Excludes1Note:
    """One Excludes1 note: where the tabular list has it (a code such as "G81", or a block
    of categories such as "I60-I69"), that holder's title, the note as written, and the
    codes it names."""

    holder: str
    title: str
    note: str
    refs: tuple[CodeRef, ...]

    def covers(self, code: str) -> bool:
        """Whether the note names code (with or without its dot)."""
        nodot = code.strip().upper().replace(".", "")
        return any(ref.covers(nodot) for ref in self.refs)


def _nodot(category: str, rest: str | None) -> str:
    return category + (rest or "")


def _pattern_for(text: str) -> str | None:
    """The qualifier after the codes of a note, as a pattern on the dotless code."""
    found = _SEVENTH_RE.search(text)
    if found:
        return rf".{{6}}{re.escape(found.group(1).upper())}"
    found = _FIFTH_RE.search(text)
    if found:
        return rf".{{4}}{re.escape(found.group(1).upper())}.*"
    found = _FINAL_RE.search(text)
    if found:
        return rf".*{re.escape(found.group(1).upper())}"
    found = _AFTER_DOT_RE.search(text)
    if found:
        first = found.group(1).upper()
        last = (found.group(2) or found.group(1)).upper()
        if len(first) == len(last) == 2 and first[0] == last[0]:
            return rf".{{3}}{re.escape(first[0])}[{re.escape(first[1])}-{re.escape(last[1])}].*"
        return rf".{{3}}{re.escape(first)}.*"
    return None


def code_refs(note: str) -> tuple[CodeRef, ...]:
    """The codes a note names, in the order written (empty when it names none)."""
    refs: list[CodeRef] = []
    pattern = _pattern_for(note)
    taken: list[tuple[int, int]] = []
    for match in _RANGE_RE.finditer(note):
        first_dash, last_dash = match.group(3), match.group(6)
        if first_dash or last_dash:
            continue  # two dash forms ("I69.01-I69.11-"), read one by one below
        lo = _nodot(match.group(1), match.group(2))
        hi = _nodot(match.group(4), match.group(5))
        if lo <= hi:
            refs.append(CodeRef(lo, hi, pattern))
            taken.append(match.span())
    for match in _REF_RE.finditer(note):
        if any(start <= match.start() < end for start, end in taken):
            continue
        code = _nodot(match.group(1), match.group(2))
        refs.append(CodeRef(code, code, pattern))
    return tuple(dict.fromkeys(refs))


def block_range(name: str) -> tuple[str, str] | None:
    """ "I60-I69" -> ("I60", "I69"); a section or chapter id of the tabular list."""
    found = re.fullmatch(r"\s*([A-Z][0-9][0-9A-Z])\s*-\s*([A-Z][0-9][0-9A-Z])\s*", name)
    return (found.group(1), found.group(2)) if found else None


def first_covering(notes: Iterable[Excludes1Note], code: str) -> Excludes1Note | None:
    """The first note that names code, or None."""
    for note in notes:
        if note.covers(code):
            return note
    return None
