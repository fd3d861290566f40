"""The procedure catalog (CPT/HCPCS codes an outpatient therapy clinic bills), the modifier
and place-of-service tables, and code-format checks.

The codes come from data/procedures.csv; their labels are otdesk's own plain words (the AMA
owns the CPT descriptors). Search is built for a front desk typing shorthand ("ther ex",
"ta", "e-stim"): every index is computed once, at construction, so a query costs
microseconds.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from otdesk.core.csvtable import read_table
from otdesk.core.visit import DISCIPLINES
from otdesk.paths import data_file

DELETED_CATEGORY = "deleted"
PROCEDURE_COLUMNS = (
    "code",
    "label",
    "category",
    "kind",
    "primary",
    "disciplines",
    "synonyms",
    "source",
)

_FORMATS_HELP = (
    "5 digits (CPT Category I, e.g. 97110), 4 digits and F, T, U or M "
    "(CPT Category II, Category III, PLA, multianalyte assay, e.g. 0001F), "
    "or one letter and 4 digits (HCPCS Level II, e.g. G0283)"
)
_CODE_PATTERNS = (
    re.compile(r"[0-9]{5}"),  # CPT Category I
    re.compile(r"[0-9]{4}[FTUM]"),  # Category II, Category III, PLA, multianalyte assay
    re.compile(r"[A-Z][0-9]{4}"),  # HCPCS Level II
)
_NON_WORD = re.compile(r"[^0-9a-z]+")


class BillingKind(StrEnum):
    TIMED = "timed"  # billed in 15-minute units
    UNTIMED = "untimed"  # service-based: 1 unit whatever the minutes
    ADDON = "addon"  # timed add-on: needs its primary code on the same date
    ITEM = "item"  # per item supplied (an orthosis, an L-code): units count the items


@dataclass(frozen=True, slots=True)
class Procedure:
    code: str
    label: str
    category: str
    kind: BillingKind
    primary: str | None
    disciplines: frozenset[str]
    synonyms: tuple[str, ...]
    custom: bool = False
    deleted: bool = False

    @property
    def is_timed(self) -> bool:
        """True for codes billed in 15-minute units (timed codes and timed add-ons)."""
        return self.kind in (BillingKind.TIMED, BillingKind.ADDON)


class CodeFormatError(ValueError):
    """A procedure code that matches none of the CPT/HCPCS formats."""


def normalize_code(code: str) -> str:
    """The code as stored: surrounding spaces removed, letters upper case."""
    return code.strip().upper()


def code_format_problem(code: str) -> str | None:
    """None when `code` has a CPT or HCPCS Level II format, else one sentence saying why not."""
    text = normalize_code(code)
    if not text:
        return f"The procedure code is empty; a code is {_FORMATS_HELP}."
    if any(pattern.fullmatch(text) for pattern in _CODE_PATTERNS):
        return None
    return f"{text!r} is not a procedure code; a code is {_FORMATS_HELP}."


def _words(text: str) -> list[str]:
    # Case- and punctuation-insensitive: "Ther-Ex" -> ["ther", "ex"].
    return _NON_WORD.sub(" ", text.lower()).split()


def _compact(text: str) -> str:
    # "Ther-Ex", "ther ex" and "TherEx" all become "therex".
    return "".join(_words(text))


@dataclass(slots=True)
class _Index:
    """Lookup tables for search, rebuilt whenever the catalog changes."""

    codes: list[tuple[str, str]] = field(default_factory=list)  # (lower-case, code) sorted
    code_of: dict[str, str] = field(default_factory=dict)  # lower-case -> code
    synonym_exact: dict[str, set[str]] = field(default_factory=dict)  # compact -> codes
    synonym_keys: list[tuple[str, str]] = field(default_factory=list)  # (compact, code) sorted
    vocabulary: list[str] = field(default_factory=list)  # every searchable word, sorted
    postings: dict[str, set[str]] = field(default_factory=dict)  # word -> codes


class Catalog:
    """The procedure codes a clinic can bill, with shorthand search."""

    def __init__(self, procedures: Iterable[Procedure]) -> None:
        self._by_code: dict[str, Procedure] = {}
        for procedure in procedures:
            if procedure.code != normalize_code(procedure.code) or not procedure.code:
                raise ValueError(
                    f"Procedure code {procedure.code!r} must be stripped and upper case."
                )
            if procedure.code in self._by_code:
                raise ValueError(f"Procedure code {procedure.code} is listed twice.")
            self._by_code[procedure.code] = procedure
        self._index = self._build_index()

    @classmethod
    def load(cls, path: Path | None = None) -> Catalog:
        """Read procedures.csv (the shipped one by default). A malformed file raises
        ValueError naming the file, the line and the problem."""
        return cls(_read_procedures(path or data_file("procedures.csv")))

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(normalize_code(code))

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalize_code(code) in self._by_code

    def __iter__(self) -> Iterator[Procedure]:
        return iter(sorted(self._by_code.values(), key=lambda p: p.code))

    def __len__(self) -> int:
        return len(self._by_code)

    def search(self, text: str, limit: int = 20) -> list[Procedure]:
        """Procedures matching `text`, best first: exact code, code prefix, exact shorthand,
        shorthand prefix, then every word of `text` starting a word of the label, shorthand
        or category. Within each group current codes come before deleted ones, then code
        order."""
        words = _words(text)
        if not words or limit <= 0:
            return []
        query = "".join(words)
        index = self._index
        tiers: list[Iterable[str]] = []

        if query in index.code_of:
            tiers.append((index.code_of[query],))
        tiers.append(code for _, code in _prefixed_pairs(index.codes, query))
        tiers.append(index.synonym_exact.get(query, ()))
        tiers.append(code for _, code in _prefixed_pairs(index.synonym_keys, query))
        tiers.append(self._all_words_match(words))

        results: list[Procedure] = []
        seen: set[str] = set()
        for tier in tiers:
            found = [self._by_code[code] for code in set(tier) if code not in seen]
            found.sort(key=lambda p: (p.deleted, p.code))
            for procedure in found:
                seen.add(procedure.code)
                results.append(procedure)
                if len(results) >= limit:
                    return results
        return results

    def with_custom(
        self,
        code: str,
        label: str,
        category: str = "custom",
        kind: BillingKind | str = BillingKind.UNTIMED,
        disciplines: Iterable[str] = ("OT", "PT", "SLP"),
        primary: str | None = None,
    ) -> Procedure:
        """Add a clinic's own code to this catalog and return it. Raises CodeFormatError for
        a code in no CPT/HCPCS format and ValueError for a code already in the catalog or
        other bad details."""
        problem = code_format_problem(code)
        if problem:
            raise CodeFormatError(problem)
        code = normalize_code(code)
        existing = self._by_code.get(code)
        if existing is not None:
            state = "a deleted code" if existing.deleted else "already in the catalog"
            raise ValueError(
                f"Code {code} is {state} ({existing.label}); a custom code must be a new code."
            )
        procedure = _make_procedure(
            code=code,
            label=label,
            category=category,
            kind=kind,
            primary=primary,
            disciplines=disciplines,
            synonyms=(),
            custom=True,
            known_codes=self._by_code,
        )
        self._by_code[code] = procedure
        self._index = self._build_index()
        return procedure

    def _all_words_match(self, words: list[str]) -> set[str]:
        index = self._index
        matched: set[str] | None = None
        for word in words:
            codes: set[str] = set()
            for vocab_word in _prefixed(index.vocabulary, word):
                codes |= index.postings[vocab_word]
            matched = codes if matched is None else matched & codes
            if not matched:
                return set()
        return matched or set()

    def _build_index(self) -> _Index:
        index = _Index()
        for procedure in self._by_code.values():
            code = procedure.code
            index.codes.append((code.lower(), code))
            index.code_of[code.lower()] = code
            searchable = [procedure.code, procedure.label, procedure.category]
            for synonym in procedure.synonyms:
                key = _compact(synonym)
                if key:
                    index.synonym_exact.setdefault(key, set()).add(code)
                    index.synonym_keys.append((key, code))
                searchable.append(synonym)
            for text in searchable:
                for word in _words(text):
                    index.postings.setdefault(word, set()).add(code)
        index.codes.sort()
        index.synonym_keys = sorted(set(index.synonym_keys))
        index.vocabulary = sorted(index.postings)
        return index


def _prefixed(sorted_words: list[str], prefix: str) -> list[str]:
    start = bisect.bisect_left(sorted_words, prefix)
    end = start
    while end < len(sorted_words) and sorted_words[end].startswith(prefix):
        end += 1
    return sorted_words[start:end]


def _prefixed_pairs(pairs: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    start = bisect.bisect_left(pairs, (prefix, ""))
    end = start
    while end < len(pairs) and pairs[end][0].startswith(prefix):
        end += 1
    return pairs[start:end]


def _make_procedure(
    *,
    code: str,
    label: str,
    category: str,
    kind: BillingKind | str,
    primary: str | None,
    disciplines: Iterable[str],
    synonyms: Iterable[str],
    custom: bool,
    known_codes: dict[str, Procedure] | None,
) -> Procedure:
    """Build a checked Procedure; raises ValueError (CodeFormatError for codes) saying what
    is wrong. `known_codes` checks an add-on's primary, when given."""
    problem = code_format_problem(code)
    if problem:
        raise CodeFormatError(problem)
    code = normalize_code(code)
    label = " ".join(label.split())
    if not label:
        raise ValueError(f"Code {code} has no label.")
    category = " ".join(category.lower().split())
    if not category:
        raise ValueError(f"Code {code} has no category.")
    try:
        billing_kind = BillingKind(str(kind).strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in BillingKind)
        raise ValueError(f"Code {code} has kind {kind!r}; the kind is one of {choices}.") from None
    primary_code = normalize_code(primary) if primary and primary.strip() else None
    if billing_kind is BillingKind.ADDON:
        if primary_code is None:
            raise ValueError(f"Add-on code {code} needs its primary code.")
        primary_problem = code_format_problem(primary_code)
        if primary_problem:
            raise ValueError(f"Add-on code {code} names a bad primary code: {primary_problem}")
        if primary_code == code:
            raise ValueError(f"Add-on code {code} cannot be its own primary code.")
        if known_codes is not None and primary_code not in known_codes:
            raise ValueError(
                f"Add-on code {code} names primary code {primary_code}, which is not in the "
                "catalog."
            )
    elif primary_code is not None:
        raise ValueError(
            f"Code {code} is {billing_kind.value}; only an add-on code has a primary code."
        )
    discipline_set = frozenset(d.strip().upper() for d in disciplines if d.strip())
    unknown = sorted(discipline_set.difference(DISCIPLINES))
    if unknown:
        raise ValueError(
            f"Code {code} names unknown discipline(s) {', '.join(unknown)}; use OT, PT or SLP."
        )
    return Procedure(
        code=code,
        label=label,
        category=category,
        kind=billing_kind,
        primary=primary_code,
        disciplines=discipline_set,
        synonyms=tuple(s for s in (" ".join(s.lower().split()) for s in synonyms) if s),
        custom=custom,
        deleted=category == DELETED_CATEGORY,
    )


def _split_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def _read_procedures(path: Path) -> list[Procedure]:
    procedures: list[Procedure] = []
    line_of: dict[str, int] = {}
    for line, row in read_table(path, PROCEDURE_COLUMNS):
        try:
            procedure = _make_procedure(
                code=row["code"],
                label=row["label"],
                category=row["category"],
                kind=row["kind"],
                primary=row["primary"],
                disciplines=_split_list(row["disciplines"]),
                synonyms=_split_list(row["synonyms"]),
                custom=False,
                known_codes=None,  # primaries are checked once the whole file is read
            )
        except ValueError as error:
            raise ValueError(f"{path}, line {line}: {error}") from None
        if procedure.code in line_of:
            raise ValueError(
                f"{path}, line {line}: code {procedure.code} is already listed "
                f"on line {line_of[procedure.code]}."
            )
        line_of[procedure.code] = line
        procedures.append(procedure)
    for procedure in procedures:
        if procedure.primary and procedure.primary not in line_of:
            raise ValueError(
                f"{path}, line {line_of[procedure.code]}: add-on code {procedure.code} names "
                f"primary code {procedure.primary}, which is not in the file."
            )
    return procedures


@functools.cache
def default_catalog() -> Catalog:
    """The shipped catalog, loaded once per process. It is shared: to add custom codes
    without affecting other callers, add them to your own `Catalog.load()`."""
    return Catalog.load()


@dataclass(frozen=True)
class Modifier:
    code: str
    meaning: str
    kind: str


@dataclass(frozen=True)
class PlaceOfService:
    code: str
    name: str


_MODIFIER_CODE = re.compile(r"[0-9A-Z]{2}")
_POS_CODE = re.compile(r"[0-9]{2}")


def load_modifiers(path: Path | None = None) -> dict[str, Modifier]:
    """Modifiers by code, from modifiers.csv (the shipped one by default)."""
    path = path or data_file("modifiers.csv")
    modifiers: dict[str, Modifier] = {}
    for line, row in read_table(path, ("code", "meaning", "kind", "source")):
        code = normalize_code(row["code"])
        meaning = " ".join(row["meaning"].split())
        if not _MODIFIER_CODE.fullmatch(code):
            raise ValueError(f"{path}, line {line}: modifier {code!r} is not 2 letters/digits.")
        if not meaning:
            raise ValueError(f"{path}, line {line}: modifier {code} has no meaning.")
        if code in modifiers:
            raise ValueError(f"{path}, line {line}: modifier {code} is listed twice.")
        modifiers[code] = Modifier(code=code, meaning=meaning, kind=row["kind"].strip())
    return modifiers


def load_places_of_service(path: Path | None = None) -> dict[str, PlaceOfService]:
    """Places of service by their 2-digit code, from pos.csv (the shipped one by default)."""
    path = path or data_file("pos.csv")
    places: dict[str, PlaceOfService] = {}
    for line, row in read_table(path, ("code", "name", "source")):
        code = row["code"].strip()
        name = " ".join(row["name"].split())
        if not _POS_CODE.fullmatch(code):
            raise ValueError(f"{path}, line {line}: place of service {code!r} is not 2 digits.")
        if not name:
            raise ValueError(f"{path}, line {line}: place of service {code} has no name.")
        if code in places:
            raise ValueError(f"{path}, line {line}: place of service {code} is listed twice.")
        places[code] = PlaceOfService(code=code, name=name)
    return places
