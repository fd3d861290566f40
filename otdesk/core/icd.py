"""ICD-10-CM diagnosis codes: a search index built from the simple-icd-10-cm package's data.

The package ships the CMS tabular list (XML) and the list of every valid code. Importing the
package is slow and takes a lot of memory (benchmarks/icd_search.py), so this module never
imports it: it finds the package's data folder with importlib.util.find_spec, reads the
release from the file names, parses the XML itself and writes an SQLite FTS5 file to the
cache folder, named by release and index format (icd10cm-2026-04-v1.sqlite). Later starts
open that file and run one small query per keystroke.

Search ranking is decided at build time where it can be: full-text rows get rowids in rank
order (billable first, then description rows before description+inclusion-term rows, then
shorter descriptions, then code), so a query reads the first matching rowids and stops at the
LIMIT instead of sorting every match of a common prefix like "a".

Why one module over 800 lines: building the index and querying it share its file format
(tables, rank order, the format version in the file name), which must change on both sides
at once; the sections (finding the data, reading it, the vocabulary, building, opening,
querying) are the seams of a split should it grow.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.util
import os
import re
import sqlite3
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from otdesk.core.csvtable import read_table
from otdesk.core.icd_notes import CodeRef, Excludes1Note, block_range, code_refs
from otdesk.core.icd_words import (
    WORD_RE,
    Lexicon,
    Query,
    VocabTerm,
    Vocabulary,
    Word,
    normalize_term,
    parse,
)
from otdesk.paths import data_file

# Bump when the schema or what goes into the index changes: the file name carries it, so an
# upgraded app builds a new file instead of reading an old layout.
INDEX_FORMAT = 2
CACHE_DIR_ENV = "OTDESK_CACHE_DIR"
DATA_PACKAGE = "simple_icd_10_cm"

Progress = Callable[[int, int], None]
DxStatus = Literal["valid", "unknown", "not-billable"]

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_RELEASE_RE = re.compile(r"(" + "|".join(_MONTHS) + r")-(?:\d{1,2}-)?(\d{4})", re.IGNORECASE)
# A code (or the start of one) without its dot: a letter, then one to six letters or digits
# (S72.001A; the second character is a digit except in QA0, new in FY2026).
_CODE_RE = re.compile(r"[A-Z][0-9A-Z]{1,6}", re.ASCII)
# FTS rowid = group * _GROUP_STRIDE + code id; see _fts_rows.
_GROUP_STRIDE = 1 << 20
_PROGRESS_STEP = 2000
# Injury codes: initial, subsequent (routine healing) and sequela before the other 7th
# characters (open fractures, delayed healing, nonunion...) when the words do not say.
_ENCOUNTER_ORDER = {"A": 0, "D": 1, "S": 2}
_OTHER_ENCOUNTER = 3
_SUGGESTED_CHILDREN = 5


class IcdError(Exception):
    """The ICD-10-CM index cannot be opened or built; the message says why."""


class IcdIndexMissingError(IcdError, FileNotFoundError):
    """No usable index exists and building one was not allowed."""


@dataclass(frozen=True, slots=True)
class Diagnosis:
    code: str  # with the dot, e.g. "M62.81"
    description: str
    billable: bool


@dataclass(frozen=True)
class DxCheck:
    """The result of validate(): status, one sentence, and (when not billable) up to five
    billable codes under it to suggest (billable_children() gives them all)."""

    code: str
    status: DxStatus
    message: str
    children: list[str] = field(default_factory=list)
    # The tabular list's Excludes1 notes that apply to the code (its own and its parents').
    excludes1: tuple[Excludes1Note, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "valid"


@dataclass(frozen=True)
class IcdSource:
    """The data files an index is built from and the release they hold ("2026-04")."""

    release: str
    code_list: Path
    tabular: Path

    @property
    def fingerprint(self) -> str:
        # Sizes catch a re-published release under the same file names, without reading them.
        return f"{self.code_list.stat().st_size}:{self.tabular.stat().st_size}"


# --- finding the data and the index file ---------------------------------------------------


def find_source() -> IcdSource | None:
    """The newest release in the installed simple-icd-10-cm package, found without importing
    it; None when the package (or its data folder) is not there."""
    try:
        spec = importlib.util.find_spec(DATA_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = source_in_folder(Path(location) / "data")
        if found:
            return found
    return None


def source_in_folder(folder: Path) -> IcdSource | None:
    """The newest release whose code list and tabular XML are both in folder."""
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    code_lists: dict[str, Path] = {}
    tabulars: dict[str, Path] = {}
    for name in names:
        release = release_from_name(name)
        if release is None:
            continue
        if name.startswith("code-list") and name.endswith(".txt"):
            code_lists[release] = folder / name
        elif "tabular" in name and name.endswith(".xml"):
            tabulars[release] = folder / name
    releases = sorted(set(code_lists) & set(tabulars))
    if not releases:
        return None
    newest = releases[-1]
    return IcdSource(newest, code_lists[newest], tabulars[newest])


def release_from_name(name: str) -> str | None:
    """ "icd10c-tabular-April-1-2026.xml" -> "2026-04"; None when the name holds no date."""
    match = _RELEASE_RE.search(name)
    if not match:
        return None
    month = _MONTHS.index(match.group(1).lower()) + 1
    return f"{match.group(2)}-{month:02d}"


def cache_dir() -> Path:
    """$OTDESK_CACHE_DIR when set (tests, portable installs), else the user cache folder."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        path = Path(override).expanduser()
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path
    from otdesk.paths import user_cache_dir

    return user_cache_dir()


def index_file_name(release: str) -> str:
    return f"icd10cm-{release}-v{INDEX_FORMAT}.sqlite"


def default_index_path(source: IcdSource | None = None) -> Path:
    """Where the index for source (default: the installed package's release) lives. Without
    the package, the newest index of this format already in the cache folder."""
    source = source or find_source()
    folder = cache_dir()
    if source is not None:
        return folder / index_file_name(source.release)
    existing = sorted(folder.glob(index_file_name("*")))
    if existing:
        return existing[-1]
    raise IcdIndexMissingError(
        "the ICD-10-CM data package simple-icd-10-cm is not installed and no diagnosis "
        f"index was built before (looked in {folder})"
    )


# --- reading the package's data ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Code:
    nodot: str
    code: str
    description: str
    billable: bool
    terms: tuple[str, ...]
    # Words a search also finds the code by: its parents' inclusion terms and the
    # vocabulary terms of it and its parents. ("Includes" notes are left out: most are
    # long phrases such as "sprain of cartilage, joint or ligament at wrist and hand level"
    # that would double the index and match nearly everything under a category.)
    inherited: tuple[str, ...] = ()


@dataclass
class _Tabular:
    """What the build takes from the tabular list: the codes, and the Excludes1 notes as
    (holder low, holder high, holder title, note text)."""

    codes: list[_Code] = field(default_factory=list)
    excludes1: list[tuple[str, str, str, str]] = field(default_factory=list)


def read_codes(
    source: IcdSource,
    on_chapter: Callable[[float], None] | None = None,
    vocabulary: dict[str, tuple[str, ...]] | None = None,
) -> list[_Code]:
    """Every category and subcategory code in the release (chapters and blocks left out),
    with the 7th-character codes spelled out the way simple-icd-10-cm does it: a leaf under
    a sevenChrDef gets one child per 7th character that the release's code list confirms.
    on_chapter(fraction) is called after each chapter with the share of the file read.
    vocabulary (vocabulary_by_code) adds its terms to the codes' inherited search words."""
    return _read_tabular(source, vocabulary or {}, on_chapter).codes


def _read_tabular(
    source: IcdSource,
    vocabulary: dict[str, tuple[str, ...]],
    on_chapter: Callable[[float], None] | None = None,
) -> _Tabular:
    confirmed = set()
    with open(source.code_list, encoding="utf-8") as lines:
        for line in lines:
            confirmed.add(line.split(" ")[0].strip().replace(".", ""))
    out = _Tabular()
    walker = _Walker(confirmed, vocabulary, out)
    size = max(source.tabular.stat().st_size, 1)
    with open(source.tabular, "rb") as xml_file:
        for _event, element in ET.iterparse(xml_file, events=("end",)):
            if element.tag != "chapter":
                continue
            walker.chapter(element)
            element.clear()
            if on_chapter:
                on_chapter(min(xml_file.tell() / size, 1.0))
    if not out.codes:
        raise IcdError(f"no ICD-10-CM codes found in {source.tabular}")
    return out


class _Walker:
    def __init__(
        self, confirmed: set[str], vocabulary: dict[str, tuple[str, ...]], out: _Tabular
    ) -> None:
        self.confirmed = confirmed
        self.vocabulary = vocabulary
        self.out = out

    def chapter(self, element: ET.Element) -> None:
        sections = [child.attrib.get("id", "") for child in element if child.tag == "section"]
        ranges = [found for found in map(block_range, sections) if found]
        holder = (ranges[0][0], ranges[-1][1]) if ranges else None
        self.walk(element, None, (), holder)

    def walk(
        self,
        element: ET.Element,
        seven: dict[str, str] | None,
        inherited: tuple[str, ...],
        holder: tuple[str, str] | None = None,
    ) -> None:
        # One pass over the children (find/findall would each scan them again).
        code = description = ""
        terms: list[str] = []
        excludes: list[str] = []
        children: list[ET.Element] = []
        for child in element:
            tag = child.tag
            if tag == "diag" or tag == "section":
                children.append(child)
            elif tag == "name":
                code = (child.text or "").strip()
            elif tag == "desc":
                description = _clean(child.text or "")
            elif tag == "inclusionTerm":
                terms += _notes(child)
            elif tag == "excludes1":
                excludes += _notes(child)
            elif tag == "sevenChrDef":
                seven = _seven_chr_def(child)
        if element.tag != "diag":
            if element.tag == "section":
                holder = block_range(element.attrib.get("id", ""))
            if holder and excludes:
                label = f"{holder[0]}-{holder[1]}"
                title = description.removesuffix(f"({label})").strip()
                self.out.excludes1 += [
                    (holder[0], holder[1], f"{label} {title}".strip(), note) for note in excludes
                ]
            for child in children:
                self.walk(child, seven, inherited)
            return
        nodot = code.replace(".", "")
        own = self.vocabulary.get(nodot, ())
        self.out.excludes1 += [(nodot, nodot, f"{code} {description}", note) for note in excludes]
        out = self.out.codes
        position = len(out)
        out.append(_Code(nodot, code, description, True, tuple(terms), inherited + own))
        below = inherited + own + tuple(terms)
        for child in children:
            self.walk(child, seven, below)
        if not children and seven:
            extended = (code + "." if len(code) == 3 else code).ljust(7, "X")
            extended_nodot = extended.replace(".", "")
            for char, meaning in seven.items():
                if extended_nodot + char in self.confirmed:
                    out.append(
                        _Code(
                            extended_nodot + char,
                            extended + char,
                            f"{description}, {meaning}",
                            True,
                            (),
                            below,
                        )
                    )
        if len(out) > position + 1:
            out[position] = _Code(nodot, code, description, False, tuple(terms), inherited + own)


def _notes(element: ET.Element) -> list[str]:
    return [_clean(note.text) for note in element if note.text and note.text.strip()]


def _seven_chr_def(element: ET.Element) -> dict[str, str]:
    meanings: dict[str, str] = {}
    last = None
    for item in element:
        if item.tag == "extension":
            last = item.attrib["char"]
            meanings[last] = _clean(item.text or "")
        elif item.tag == "note" and last is not None and item.text:
            # simple-icd-10-cm joins a note to the extension before it with "/"
            meanings[last] += "/" + _clean(item.text)
    return meanings


def _clean(text: str) -> str:
    return " ".join(text.split())


# --- the vocabulary ---------------------------------------------------------------------------

VOCABULARY_FILE = "icd_vocabulary.csv"
VOCABULARY_COLUMNS = ("term", "code", "source")


@dataclass(frozen=True, slots=True)
class VocabularyRow:
    term: str
    code: str  # as written, with the dot
    source: str
    line: int


def read_vocabulary(path: Path | None = None) -> list[VocabularyRow]:
    """The curated terms (data/icd_vocabulary.csv by default): abbreviations, eponyms and
    everyday names with the code or category each means. A malformed file raises IcdError
    naming the line."""
    path = path or data_file(VOCABULARY_FILE)
    rows: list[VocabularyRow] = []
    try:
        for number, row in read_table(path, VOCABULARY_COLUMNS):
            term = _clean(row["term"])
            code = row["code"].strip().upper()
            if not term or not WORD_RE.search(term):
                raise IcdError(f"{path}, line {number}: the term is empty.")
            if normalize_code(code) is None:
                raise IcdError(f"{path}, line {number}: {code!r} is not an ICD-10-CM code.")
            if not row["source"].strip():
                raise IcdError(f"{path}, line {number}: the source of {term!r} is empty.")
            rows.append(VocabularyRow(term, code, row["source"].strip(), number))
    except ValueError as error:  # the file itself: read_table names the file and line
        raise IcdError(str(error)) from None
    return rows


def vocabulary_by_code(rows: Iterable[VocabularyRow]) -> dict[str, tuple[str, ...]]:
    """Dotless code -> its vocabulary terms, in file order."""
    terms: dict[str, tuple[str, ...]] = {}
    for row in rows:
        nodot = row.code.replace(".", "")
        terms[nodot] = (*terms.get(nodot, ()), row.term)
    return terms


def _vocabulary_fingerprint(path: Path | None = None) -> str:
    path = path or data_file(VOCABULARY_FILE)
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "none"


# --- building ---------------------------------------------------------------------------------

# Indexes are made after the rows are in (one sort instead of 98,000 B-tree inserts).
_INDEXES = """
CREATE UNIQUE INDEX codes_by_code ON codes(nodot);
CREATE INDEX codes_by_length ON codes(length(nodot), nodot);
CREATE INDEX excludes1_by_holder ON excludes1(holder_lo);
"""
_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE codes(
    id INTEGER PRIMARY KEY,      -- rank order: billable first, shorter description, code
    nodot TEXT NOT NULL,         -- "M6281"
    code TEXT NOT NULL,          -- "M62.81"
    description TEXT NOT NULL,
    billable INTEGER NOT NULL,
    terms TEXT NOT NULL,         -- inclusion terms, one per line
    usual INTEGER NOT NULL       -- 0: an unspecified code, 1: has a "... NOS" term, 2: other
);
-- text: what a person may type; code: those of the code and its parents that a search
-- keeps to (vocabulary codes, I69 after-effects), so a query can stay under a category
-- ("code : m750").
CREATE VIRTUAL TABLE words USING fts5(
    text, code, content='', prefix='1 2 3', tokenize='unicode61 remove_diacritics 2'
);
-- Every word of words.text with the number of rows holding it (spelling suggestions).
CREATE TABLE lexicon(word TEXT PRIMARY KEY, rows INTEGER NOT NULL) WITHOUT ROWID;
-- The curated vocabulary: a term and the dotless code or category it means.
CREATE TABLE vocabulary(term TEXT NOT NULL, nodot TEXT NOT NULL);
-- Excludes1 notes: held by a code (holder_lo = holder_hi = the code) or by a block of
-- categories ("I60".."I69"); refs are the codes the note names (see icd_notes.CodeRef).
CREATE TABLE excludes1(
    holder_lo TEXT NOT NULL, holder_hi TEXT NOT NULL, holder TEXT NOT NULL,
    note TEXT NOT NULL, refs TEXT NOT NULL
);
"""


def build_index(
    path: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    *,
    source: IcdSource | None = None,
    vocabulary: Path | None = None,
) -> Path:
    """Build the index at path (default: the cache folder, named by release) and return the
    path. Writes a temporary file next to it and renames it into place, so a failed or
    interrupted build leaves whatever was there before. progress(done, total) is called
    along the way; an exception it raises stops the build. vocabulary: the curated terms
    file (default data/icd_vocabulary.csv)."""
    source = source or find_source()
    if source is None:
        raise IcdError(
            "the ICD-10-CM data package simple-icd-10-cm is not installed; "
            "install it to build the diagnosis index"
        )
    target = Path(path) if path is not None else default_index_path(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temp = Path(temp_name)
    # The parse makes some 300,000 objects that live until the end; collecting them over
    # and over while they pile up costs about a fifth of the build.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if os.name == "posix":
            temp.chmod(0o600)
        _write_index(temp, source, progress, vocabulary)
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, target)
    except BaseException:
        for leftover in (temp, Path(temp_name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        if collecting:
            gc.enable()
    if path is None:
        _remove_stale_indexes(target)
    return target


class _Steps:
    """Turns a share of the work done into progress(done, total) calls, never going back."""

    TOTAL = 1000

    def __init__(self, callback: Progress | None):
        self.callback = callback
        self.done = -1

    def __call__(self, fraction: float) -> None:
        done = max(0, min(self.TOTAL, int(fraction * self.TOTAL)))
        if self.callback and done > self.done:
            self.done = done
            self.callback(done, self.TOTAL)


# Share of the build spent parsing the XML (measured; the rest is writing rows).
_PARSE_SHARE = 0.4


def _write_index(
    path: Path, source: IcdSource, progress: Progress | None, vocabulary: Path | None
) -> None:
    steps = _Steps(progress)
    steps(0.0)
    rows = read_vocabulary(vocabulary)
    tabular = _read_tabular(source, vocabulary_by_code(rows), lambda f: steps(_PARSE_SHARE * f))
    codes = tabular.codes
    known = {c.nodot for c in codes}
    ranked = sorted(codes, key=_static_rank)
    # The categories a search keeps to: the vocabulary's codes and the after-effects of
    # cerebrovascular disease that stroke terms turn into.
    under = {row.code.replace(".", "") for row in rows} | set(_SEQUELA_OF.values())
    fts_rows = list(_fts_rows(ranked, under))
    connection = sqlite3.connect(path)
    try:
        connection.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096;" + _SCHEMA
        )
        connection.executemany(
            "INSERT INTO codes(id, nodot, code, description, billable, terms, usual) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    rank,
                    c.nodot,
                    c.code,
                    c.description,
                    int(c.billable),
                    "\n".join(c.terms),
                    _usual(c),
                )
                for rank, c in enumerate(ranked, start=1)
            ),
        )
        # A term for a code this release lacks is left out rather than failing the build
        # (the vocabulary test keeps the shipped file in step with the release).
        connection.executemany(
            "INSERT INTO vocabulary(term, nodot) VALUES (?, ?)",
            (
                (row.term, row.code.replace(".", ""))
                for row in rows
                if row.code.replace(".", "") in known
            ),
        )
        connection.executemany(
            "INSERT INTO excludes1(holder_lo, holder_hi, holder, note, refs) "
            "VALUES (?, ?, ?, ?, ?)",
            _excludes1_rows(tabular.excludes1),
        )
        connection.executescript(_INDEXES)
        for start in range(0, len(fts_rows), _PROGRESS_STEP):
            batch = fts_rows[start : start + _PROGRESS_STEP]
            connection.executemany("INSERT INTO words(rowid, text, code) VALUES (?, ?, ?)", batch)
            steps(_PARSE_SHARE + (1 - _PARSE_SHARE) * 0.9 * (start + len(batch)) / len(fts_rows))
        connection.execute("INSERT INTO words(words) VALUES ('optimize')")
        connection.execute("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, words, 'col')")
        connection.execute(
            "INSERT INTO lexicon(word, rows) SELECT term, doc FROM temp.terms WHERE col = 'text'"
        )
        connection.execute("DROP TABLE temp.terms")
        connection.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?)",
            [
                ("format", str(INDEX_FORMAT)),
                ("release", source.release),
                ("source", source.fingerprint),
                ("vocabulary", _vocabulary_fingerprint(vocabulary)),
                ("codes", str(len(codes))),
                ("billable", str(sum(c.billable for c in codes))),
            ],
        )
        connection.commit()
    finally:
        connection.close()
    steps(1.0)


def _static_rank(code: _Code) -> tuple[bool, int, int, str]:
    """Billable first; injury codes by encounter: initial, then subsequent, then sequela,
    then open fractures, delayed healing, nonunion and the like (what a clinic bills
    first); then shorter descriptions, then the code."""
    encounter = _ENCOUNTER_ORDER.get(code.nodot[6], _OTHER_ENCOUNTER) if len(code.nodot) == 7 else 0
    return (not code.billable, encounter, len(code.description), code.nodot)


def _usual(code: _Code) -> int:
    """How much a code is the one meant when nothing narrows a term down: an unspecified
    code (G80.9 Cerebral palsy, unspecified), then one the tabular list names "X NOS"
    (R41.3 Other amnesia: "Memory loss NOS"), then the rest."""
    if "unspecified" in code.description.lower():
        return 0
    return 1 if any(term.endswith("NOS") for term in code.terms) else 2


def _excludes1_rows(notes: list[tuple[str, str, str, str]]) -> Iterator[tuple[str, ...]]:
    for lo, hi, holder, note in notes:
        refs = code_refs(note)
        if refs:
            yield lo, hi, holder, note, " ".join(ref.encode() for ref in refs)


def _fts_rows(ranked: list[_Code], under: set[str]) -> Iterator[tuple[int, str, str]]:
    """Full-text rows in rowid order. Each code has a row holding its description and, when
    it has inclusion terms (its own or its parents') or vocabulary terms, a second row
    holding description plus terms (so a query may mix words from both). The rowid group
    puts billable before not billable and, within each, description rows before
    description+terms rows: a code found only through its terms ranks after every code
    found through its description."""
    for billable in (True, False):
        group = 0 if billable else 2
        members = [(rank, c) for rank, c in enumerate(ranked, start=1) if c.billable == billable]
        for rank, c in members:
            yield group * _GROUP_STRIDE + rank, c.description, _lineage(c.nodot, under)
        for rank, c in members:
            if c.terms or c.inherited:
                text = "\n".join(dict.fromkeys((c.description, *c.terms, *c.inherited)))
                yield (group + 1) * _GROUP_STRIDE + rank, text, _lineage(c.nodot, under)


def _lineage(nodot: str, under: set[str]) -> str:
    """ "M7502" -> "M7502 M750" when M75.0 is a vocabulary code: a query keeps to the codes
    under it with one exact token ("code : m750"), which reads far less than a prefix
    query. Only the categories a search keeps to get a token (fewer tokens: a faster
    build)."""
    return " ".join(nodot[:size] for size in range(len(nodot), 2, -1) if nodot[:size] in under)


def _remove_stale_indexes(keep: Path) -> None:
    # Older releases and formats are dead weight (about 30 MB each); a file still open
    # elsewhere (Windows) stays until next time.
    for other in keep.parent.glob("icd10cm-*-v*.sqlite"):
        if other != keep:
            with contextlib.suppress(OSError):
                other.unlink()


# --- opening ----------------------------------------------------------------------------------


def open_index(
    path: str | os.PathLike[str] | None = None,
    build_if_missing: bool = True,
    progress: Progress | None = None,
    *,
    source: IcdSource | None = None,
) -> IcdIndex:
    """Open the index (default: the one for the installed release in the cache folder),
    building it first when it is missing, unreadable, of another format or of another
    release than the installed data. Raises IcdIndexMissingError when it would have to build
    and build_if_missing is False."""
    source = source or find_source()
    target = Path(path) if path is not None else default_index_path(source)
    index = _try_open(target, source)
    if index is not None:
        return index
    if not build_if_missing:
        raise IcdIndexMissingError(f"the ICD-10-CM index {target} is missing or out of date")
    build_index(target if path is not None else None, progress, source=source)
    index = _try_open(target, source)
    if index is None:
        raise IcdError(f"the ICD-10-CM index {target} could not be opened after building it")
    return index


def index_is_current(
    path: str | os.PathLike[str] | None = None, *, source: IcdSource | None = None
) -> bool:
    """True when open_index(path) would open the file without building (a UI can then skip
    the progress dialog)."""
    source = source or find_source()
    try:
        target = Path(path) if path is not None else default_index_path(source)
    except IcdIndexMissingError:
        return False
    index = _try_open(target, source)
    if index is None:
        return False
    index.close()
    return True


def _try_open(path: Path, source: IcdSource | None) -> IcdIndex | None:
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(
            path.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False
        )
    except sqlite3.Error:
        return None
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta"))
        current = meta.get("format") == str(INDEX_FORMAT) and (
            source is None
            or (
                meta.get("release") == source.release
                and meta.get("source") == source.fingerprint
                and meta.get("vocabulary") == _vocabulary_fingerprint()
            )
        )
    except (sqlite3.Error, OSError):
        current = False
    if not current:
        connection.close()
        return None
    return IcdIndex(connection, path, meta)


# --- querying ---------------------------------------------------------------------------------


def normalize_code(text: str) -> str | None:
    """ "m62.81 " -> "M6281"; None when text cannot be (the start of) a code."""
    nodot = text.strip().upper().replace(".", "")
    return nodot if _CODE_RE.fullmatch(nodot) else None


# After-effects of cerebrovascular disease (I69.-) for the acute categories they follow.
_SEQUELA_OF = {
    "I60": "I690",
    "I61": "I691",
    "I62": "I692",
    "I63": "I693",
    "I65": "I698",
    "I66": "I698",
    "I67": "I698",
    "I68": "I698",
    "I679": "I699",
}
_ACUTE_CEREBROVASCULAR = tuple(_SEQUELA_OF)
# Candidates read per plan: more than the limit, so the ranking below has room to reorder.
_FETCH_FACTOR = 2
_MAX_PLANS = 16
# A term's codes are few and cheap to read: read them all (up to this many) so the usual
# code and the common encounters are there to rank first.
_VOCAB_FETCH = 60
_DROP_ONE_MAX_WORDS = 6
# Plans that leave a side word unmatched (missing 1) only run while fewer billable codes
# than _ENOUGH_CLOSE were found, plans leaving more out while fewer than _ENOUGH.
_ENOUGH_CLOSE = 10
_ENOUGH = 5


@dataclass(frozen=True)
class _Plan:
    """One index query of a search: the words it requires, the codes it keeps to (a
    vocabulary term's categories) and how many of the typed words it leaves unmatched."""

    missing: int
    vocabulary: bool
    words: tuple[Word, ...]
    under: tuple[str, ...] = ()
    # for a term's codes alone: the typed words the term took, required too, so that a code
    # found through its title row (not only its inherited terms) is one whose title says
    # the term
    term: tuple[Word, ...] = ()

    @property
    def order(self) -> tuple[int, int]:
        return (self.missing, 0 if self.vocabulary else 1)

    def match(self, lexicon: Lexicon | None = None) -> str | None:
        """The FTS5 query. Each word must start a word of the text; with the lexicon, a
        word is spelled out as the index words it starts (an OR of exact words reads a
        fraction of what a prefix query does)."""
        parts = []
        if self.under:
            parts.append("code : (" + " OR ".join(f'"{c.lower()}"' for c in self.under) + ")")
        words = self.words + self.term
        if words:
            parts.append("text : (" + " AND ".join(_match_word(w, lexicon) for w in words) + ")")
        return " AND ".join(parts) or None


def _match_word(word: Word, lexicon: Lexicon | None) -> str:
    forms: list[str] = []
    for form in dict.fromkeys(word.forms):
        spelled = lexicon.completions(form[0]) if lexicon and len(form) == 1 else None
        if spelled is None:
            forms.append(f'"{" ".join(form)}"*')
        else:
            forms += [f'"{whole}"' for whole in spelled]
    forms = list(dict.fromkeys(forms)) or [f'"{word.text}"']
    return forms[0] if len(forms) == 1 else "(" + " OR ".join(forms) + ")"


_NOTES_CACHE_SIZE = 512


def _note(holder: str, note: str, refs: str) -> Excludes1Note:
    code, _, title = holder.partition(" ")
    return Excludes1Note(code, title, note, tuple(CodeRef.decode(r) for r in refs.split(" ")))


def _sequela(nodot: str) -> str | None:
    return _SEQUELA_OF.get(nodot[:4]) or _SEQUELA_OF.get(nodot[:3])


# What leaving a typed word unmatched costs a plan: a side or encounter word, or a word
# like "after" or "history", less than a word naming the condition.
_COST = {"content": 2, "side": 1, "after": 1}
_TERM_COST = 4
_FALLBACK_COST = 100


def _plans(query: Query) -> list[_Plan]:
    """The index queries for a word search, fewest unmatched words first: all the words;
    each vocabulary term's codes narrowed by the other words (for a stroke term with
    "after" or "history", its after-effects I69.- instead); then the same with side,
    encounter and "after" words left out, one word left out, or a term's codes alone.
    Leaving out a word of a vocabulary term costs most: the term names the condition."""
    usable = [i for i, w in enumerate(query.words) if w.kind != "unknown"]
    if not usable:
        return []
    in_terms = {i for _term, taken in query.terms for i in taken}
    plans: dict[tuple[tuple[Word, ...], tuple[str, ...]], _Plan] = {}

    def add(
        positions: Iterable[int],
        under: tuple[str, ...] = (),
        dropped: int = 0,
        term: tuple[Word, ...] = (),
    ) -> None:
        kept = tuple(query.words[i] for i in positions)
        if not kept and not under:
            return
        if kept:
            term = ()  # narrowed by other words already; the term's words would cost time
        plan = _Plan(dropped, bool(under), kept, under, term)
        held = plans.get((kept + term, under))
        if held is None or plan.missing < held.missing:
            plans[(kept + term, under)] = plan

    def cost(positions: Iterable[int]) -> int:
        return sum(
            _TERM_COST if i in in_terms else _COST.get(query.words[i].kind, 0) for i in positions
        )

    def relaxed(
        positions: list[int],
        under: tuple[str, ...] = (),
        base: int = 0,
        term: tuple[Word, ...] = (),
    ) -> None:
        """positions, then without the "after" words, the side words or both, without one
        word naming something (a term's codes may not take it), or a term's codes alone."""
        add(positions, under, base, term)
        after = [i for i in positions if query.words[i].kind == "after"]
        sides = [i for i in positions if query.words[i].kind == "side"]
        drops = [after, sides, after + sides] + [[i] for i in sides if len(sides) > 1]
        drops += [after + [i] for i in sides if after and len(sides) > 1]
        if under and len(positions) <= _DROP_ONE_MAX_WORDS:
            drops += [[i] for i in positions if query.words[i].kind == "content"]
        for drop in drops:
            if drop:
                add([i for i in positions if i not in drop], under, base + cost(drop), term)
        if under:
            add([], under, base + cost(positions), term)

    relaxed(usable)
    for term, taken in query.terms:
        rest = [i for i in usable if i not in taken]
        said = tuple(query.words[i] for i in taken)
        sequela = tuple(dict.fromkeys(s for s in map(_sequela, term.codes) if s))
        if sequela and query.after:
            # "after", "history of": the after-effects are what the words mean
            narrowing = [i for i in rest if query.words[i].kind != "after"]
            relaxed(narrowing, sequela)
            relaxed(narrowing, term.codes, cost(set(rest) - set(narrowing)), said)
        else:
            relaxed(rest, term.codes, 0, said)
            if sequela and any(query.words[i].kind == "content" for i in rest):
                # "CVA right hemiplegia": the hemiplegia is an after-effect
                relaxed(rest, sequela)
    content = [i for i in usable if query.words[i].kind != "side"]
    if 2 <= len(usable) <= _DROP_ONE_MAX_WORDS:
        for i in content:
            add([j for j in usable if j != i], (), cost([i]))
    return sorted(plans.values(), key=lambda plan: plan.order)


def _fallback_plans(query: Query) -> list[_Plan]:
    """When nothing else found a code: the words as typed, the last ones left out one by
    one (people type the main words first: "rotator cuff repair aftercare")."""
    usable = [w for w in query.words if w.kind != "unknown"]
    return [
        _Plan(_FALLBACK_COST + len(usable) - size, False, tuple(usable[:size]))
        for size in range(len(usable) - 1, 0, -1)
    ]


class IcdIndex:
    """An open ICD-10-CM index. Use from one thread at a time; close() or use `with`."""

    def __init__(self, connection: sqlite3.Connection, path: Path, meta: dict[str, str]):
        self._db = connection
        self._db.execute("PRAGMA query_only=1")
        self.path = path
        self.release: str = meta.get("release", "")
        self.code_count = int(meta.get("codes", 0))
        self.billable_count = int(meta.get("billable", 0))
        self._lexicon_cache: Lexicon | None = None
        self._vocabulary_cache: Vocabulary | None = None
        self._block_notes: list[tuple[str, str, Excludes1Note]] | None = None
        self._notes_cache: dict[str, tuple[Excludes1Note, ...]] = {}

    def __enter__(self) -> IcdIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"IcdIndex({str(self.path)!r}, release={self.release!r})"

    def search(self, text: str, limit: int = 20) -> list[Diagnosis]:
        """Typeahead search. Code-like text ("M62.8", "m628", "R26") lists codes starting
        with it, shortest first. Words ("muscle weak", "frozen shoulder left", "CVA") find
        codes by description, inclusion terms and the curated vocabulary, each word
        matching the start of a word (shorthand, plurals and small misspellings forgiven);
        side and encounter words pick among the codes under a vocabulary term. Codes
        matching all the words first, billable before categories, then codes matching fewer
        (a word the codes cannot take is left out rather than finding nothing); a
        condition before Z-codes
        unless the words ask for one; after-effects of a stroke (I69.-) first when the words
        say "after", "history of" or "residual"; vocabulary matches, then description
        matches, then shorter descriptions."""
        if limit <= 0:
            return []
        found: list[Diagnosis] = []
        # Code-like text needs a digit: "qa0" is a code, "qa" and "arm" are words.
        prefix = normalize_code(text)
        if prefix and any(char.isdigit() for char in prefix):
            found = self._code_prefix(prefix, limit)
        if len(found) < limit:
            seen = {d.code for d in found}
            found += [d for d in self._words(text, limit) if d.code not in seen]
        return found[:limit]

    def read_query(self, text: str) -> Query:
        """How search() reads text (for tests and explanations)."""
        return parse(text, self._lexicon(), self._vocabulary())

    def _code_prefix(self, prefix: str, limit: int) -> list[Diagnosis]:
        # One range scan per code length over the (length, code) index: no sort, no scan of
        # every code under "S" for a one-letter prefix.
        found: list[Diagnosis] = []
        for length in range(len(prefix), 8):
            rows = self._db.execute(
                "SELECT code, description, billable FROM codes "
                "WHERE length(nodot) = ? AND nodot >= ? AND nodot < ? "
                "ORDER BY nodot LIMIT ?",
                (length, prefix, prefix + "~", limit - len(found)),
            )
            found += [Diagnosis(c, d, bool(b)) for c, d, b in rows]
            if len(found) >= limit:
                break
        return found

    def _words(self, text: str, limit: int) -> list[Diagnosis]:
        query = self.read_query(text)
        plans = _plans(query)
        if not plans:
            return []
        best: dict[str, tuple[tuple[int, ...], Diagnosis]] = {}
        fetch = _FETCH_FACTOR * limit + 10
        level = plans[0].missing
        for plan in plans[:_MAX_PLANS]:
            if plan.missing != level:
                billable = sum(1 for _key, d in best.values() if d.billable)
                if (
                    billable >= limit
                    or (plan.missing >= 1 and billable >= _ENOUGH_CLOSE)
                    or (plan.missing >= 2 and billable >= _ENOUGH)
                ):
                    break
                level = plan.missing
            for key, found in self._run(plan, query, _VOCAB_FETCH if plan.vocabulary else fetch):
                held = best.get(found.code)
                if held is None or key < held[0]:
                    best[found.code] = (key, found)
        if not best:
            for plan in _fallback_plans(query):
                for key, found in self._run(plan, query, fetch):
                    best.setdefault(found.code, (key, found))
                if best:
                    break
        ranked = sorted(best.values(), key=lambda item: item[0])
        return [found for _key, found in ranked[:limit]]

    def _run(
        self, plan: _Plan, query: Query, fetch: int
    ) -> Iterator[tuple[tuple[int, ...], Diagnosis]]:
        match = plan.match(self._lexicon())
        if match is None:
            return
        try:
            rows = self._db.execute(
                "SELECT m.r, c.nodot, c.code, c.description, c.billable, c.usual FROM "
                "(SELECT rowid AS r FROM words WHERE words MATCH ? ORDER BY rowid LIMIT ?) m "
                f"JOIN codes c ON c.id = m.r % {_GROUP_STRIDE} ORDER BY m.r",
                (match, fetch),
            ).fetchall()
        except sqlite3.OperationalError:
            # Not reachable with quoted words as far as we know; a typeahead must not crash.
            return
        for rowid, nodot, code, description, billable, usual in rows:
            z_penalty = int(nodot.startswith("Z") and not query.wants_z)
            after_penalty = 0
            if query.after:
                if nodot.startswith("I69"):
                    after_penalty = 0
                elif nodot.startswith(_ACUTE_CEREBROVASCULAR):
                    after_penalty = 2
                else:
                    after_penalty = 1
            key = (
                plan.missing,
                0 if billable else 1,
                z_penalty,
                after_penalty,
                plan.order[1],
                # among a term's codes, those whose title says the term ("trigger finger":
                # M65.3- fingers before thumbs), the common encounters, then the usual one
                # (unspecified, "X NOS")
                (rowid // _GROUP_STRIDE) % 2 if plan.term else 0,
                _ENCOUNTER_ORDER.get(nodot[6], _OTHER_ENCOUNTER) if len(nodot) == 7 else 0,
                usual if plan.vocabulary else 2,
                (rowid // _GROUP_STRIDE) % 2,
                rowid % _GROUP_STRIDE,
            )
            yield key, Diagnosis(code, description, bool(billable))

    def _lexicon(self) -> Lexicon:
        if self._lexicon_cache is None:
            rows = self._db.execute("SELECT word, rows FROM lexicon ORDER BY word").fetchall()
            self._lexicon_cache = Lexicon([w for w, _ in rows], [n for _, n in rows])
        return self._lexicon_cache

    def _vocabulary(self) -> Vocabulary:
        if self._vocabulary_cache is None:
            grouped: dict[tuple[str, ...], tuple[str, list[str]]] = {}
            for term, nodot in self._db.execute("SELECT term, nodot FROM vocabulary"):
                words = normalize_term(term)
                if words:
                    grouped.setdefault(words, (term, []))[1].append(nodot)
            self._vocabulary_cache = Vocabulary(
                VocabTerm(term, words, tuple(dict.fromkeys(codes)))
                for words, (term, codes) in grouped.items()
            )
        return self._vocabulary_cache

    def excludes1_notes(self, code: str) -> tuple[Excludes1Note, ...]:
        """The Excludes1 notes that apply to code: its own, its parents' and those of the
        blocks and chapter it is in, the most specific first."""
        nodot = normalize_code(code)
        if nodot is None or len(nodot) < 3:
            return ()
        held = self._notes_cache.get(nodot)
        if held is not None:
            return held
        if self._block_notes is None:
            rows = self._db.execute(
                "SELECT holder_lo, holder_hi, holder, note, refs FROM excludes1 "
                "WHERE holder_lo <> holder_hi ORDER BY holder_hi, rowid"
            ).fetchall()
            self._block_notes = [(lo, hi, _note(h, n, r)) for lo, hi, h, n, r in rows]
        prefixes = [nodot[:size] for size in range(3, len(nodot) + 1)]
        marks = ", ".join("?" * len(prefixes))
        rows = self._db.execute(
            "SELECT holder, note, refs FROM excludes1 "
            f"WHERE holder_lo IN ({marks}) AND holder_lo = holder_hi "
            "ORDER BY length(holder_lo) DESC, rowid",
            prefixes,
        ).fetchall()
        category = nodot[:3]
        notes = tuple(_note(h, n, r) for h, n, r in rows) + tuple(
            note for lo, hi, note in self._block_notes if lo <= category <= hi
        )
        if len(self._notes_cache) >= _NOTES_CACHE_SIZE:
            self._notes_cache.clear()
        self._notes_cache[nodot] = notes
        return notes

    def get(self, code: str) -> Diagnosis | None:
        """The code ("m6281", "M62.81" ...) or None when the release has no such code."""
        nodot = normalize_code(code)
        if nodot is None:
            return None
        row = self._db.execute(
            "SELECT code, description, billable FROM codes WHERE nodot = ?", (nodot,)
        ).fetchone()
        return Diagnosis(row[0], row[1], bool(row[2])) if row else None

    def inclusion_terms(self, code: str) -> list[str]:
        """The code's inclusion terms ("Stroke NOS" for I63.9); [] for none or no such code."""
        nodot = normalize_code(code)
        if nodot is None:
            return []
        row = self._db.execute("SELECT terms FROM codes WHERE nodot = ?", (nodot,)).fetchone()
        return row[0].split("\n") if row and row[0] else []

    def billable_children(self, code: str, limit: int | None = None) -> list[Diagnosis]:
        """The billable codes under a category or subcategory, in code order ([] for a
        billable or unknown code)."""
        nodot = normalize_code(code)
        if nodot is None:
            return []
        rows = self._db.execute(
            "SELECT code, description, billable FROM codes "
            "WHERE nodot > ? AND nodot < ? AND billable = 1 ORDER BY nodot LIMIT ?",
            (nodot, nodot + "~", -1 if limit is None else max(limit, 0)),
        )
        return [Diagnosis(c, d, bool(b)) for c, d, b in rows]

    def count_billable_children(self, code: str) -> int:
        nodot = normalize_code(code)
        if nodot is None:
            return 0
        (count,) = self._db.execute(
            "SELECT count(*) FROM codes WHERE nodot > ? AND nodot < ? AND billable = 1",
            (nodot, nodot + "~"),
        ).fetchone()
        return int(count)

    def validate(self, code: str) -> DxCheck:
        """Whether code may go on a claim: "valid" (a billable code), "not-billable" (a
        category or subcategory; the message names billable codes under it) or "unknown"."""
        shown = code.strip()
        found = self.get(code)
        if found is None:
            return DxCheck(
                shown,
                "unknown",
                f"{shown or 'An empty code'} is not an ICD-10-CM code (release {self.release}).",
            )
        notes = self.excludes1_notes(found.code)
        if found.billable:
            return DxCheck(
                found.code,
                "valid",
                f"{found.code} is billable: {found.description}.",
                excludes1=notes,
            )
        children = [d.code for d in self.billable_children(found.code, _SUGGESTED_CHILDREN)]
        count = self.count_billable_children(found.code)
        kind = "category" if len(found.code) == 3 else "subcategory"
        advice = "use one of " + ", ".join(children)
        if count > len(children):
            advice += f" or another of its {count:,} billable codes"
        return DxCheck(
            found.code,
            "not-billable",
            f"{found.code} is a {kind}, not a billable code; {advice}.",
            children,
            notes,
        )

    def all_codes(self) -> Iterable[Diagnosis]:
        """Every code in code order (for checks and exports, not for typeahead)."""
        rows = self._db.execute("SELECT code, description, billable FROM codes ORDER BY nodot")
        return (Diagnosis(c, d, bool(b)) for c, d, b in rows)
