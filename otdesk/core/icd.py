"""ICD-10-CM diagnosis codes: a search index built from the simple-icd-10-cm package's data.

The package ships the CMS tabular list (XML) and the list of every valid code. Importing the
package costs about 1.5 s and 190 MB, so this module never imports it: it finds the package's
data folder with importlib.util.find_spec, reads the release from the file names, parses the
XML itself and writes an SQLite FTS5 file to the cache folder, named by release and index
format (icd10cm-2026-04-v1.sqlite). Later starts open that file and run one small query per
keystroke.

Search ranking is decided at build time where it can be: full-text rows get rowids in rank
order (billable first, then description rows before description+inclusion-term rows, then
shorter descriptions, then code), so a query reads the first matching rowids and stops at the
LIMIT instead of sorting every match of a common prefix like "a".
"""

from __future__ import annotations

import contextlib
import gc
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

# Bump when the schema or what goes into the index changes: the file name carries it, so an
# upgraded app builds a new file instead of reading an old layout.
INDEX_FORMAT = 1
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
# Word characters as FTS5's unicode61 tokenizer sees them (letters and digits, no "_").
_WORD_RE = re.compile(r"[^\W_]+")
_MAX_WORDS = 12
_MAX_WORD_CHARS = 40
# FTS rowid = group * _GROUP_STRIDE + code id; see _fts_rows.
_GROUP_STRIDE = 1 << 20
_PROGRESS_STEP = 2000
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


def read_codes(source: IcdSource, on_chapter: Callable[[float], None] | None = None) -> list[_Code]:
    """Every category and subcategory code in the release (chapters and blocks left out),
    with the 7th-character codes spelled out the way simple-icd-10-cm does it: a leaf under
    a sevenChrDef gets one child per 7th character that the release's code list confirms.
    on_chapter(fraction) is called after each chapter with the share of the file read."""
    confirmed = set()
    with open(source.code_list, encoding="utf-8") as lines:
        for line in lines:
            confirmed.add(line.split(" ")[0].strip().replace(".", ""))
    codes: list[_Code] = []
    size = max(source.tabular.stat().st_size, 1)
    with open(source.tabular, "rb") as xml_file:
        for _event, element in ET.iterparse(xml_file, events=("end",)):
            if element.tag != "chapter":
                continue
            _walk(element, None, confirmed, codes)
            element.clear()
            if on_chapter:
                on_chapter(min(xml_file.tell() / size, 1.0))
    if not codes:
        raise IcdError(f"no ICD-10-CM codes found in {source.tabular}")
    return codes


def _walk(
    element: ET.Element,
    seven: dict[str, str] | None,
    confirmed: set[str],
    out: list[_Code],
) -> None:
    # One pass over the children (find/findall would each scan them again).
    code = description = ""
    terms: list[str] = []
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
            terms += [_clean(note.text) for note in child if note.text and note.text.strip()]
        elif tag == "sevenChrDef":
            seven = _seven_chr_def(child)
    if element.tag != "diag":
        for child in children:
            _walk(child, seven, confirmed, out)
        return
    nodot = code.replace(".", "")
    position = len(out)
    out.append(_Code(nodot, code, description, True, tuple(terms)))
    for child in children:
        _walk(child, seven, confirmed, out)
    if not children and seven:
        extended = (code + "." if len(code) == 3 else code).ljust(7, "X")
        extended_nodot = extended.replace(".", "")
        for char, meaning in seven.items():
            if extended_nodot + char in confirmed:
                out.append(
                    _Code(
                        extended_nodot + char,
                        extended + char,
                        f"{description}, {meaning}",
                        True,
                        (),
                    )
                )
    if len(out) > position + 1:
        out[position] = _Code(nodot, code, description, False, tuple(terms))


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


# --- building ---------------------------------------------------------------------------------

# Indexes are made after the rows are in (one sort instead of 98,000 B-tree inserts).
_INDEXES = """
CREATE UNIQUE INDEX codes_by_code ON codes(nodot);
CREATE INDEX codes_by_length ON codes(length(nodot), nodot);
"""
_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE codes(
    id INTEGER PRIMARY KEY,      -- rank order: billable first, shorter description, code
    nodot TEXT NOT NULL,         -- "M6281"
    code TEXT NOT NULL,          -- "M62.81"
    description TEXT NOT NULL,
    billable INTEGER NOT NULL,
    terms TEXT NOT NULL          -- inclusion terms, one per line
);
CREATE VIRTUAL TABLE words USING fts5(
    text, content='', prefix='1 2 3', tokenize='unicode61 remove_diacritics 2'
);
"""


def build_index(
    path: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    *,
    source: IcdSource | None = None,
) -> Path:
    """Build the index at path (default: the cache folder, named by release) and return the
    path. Writes a temporary file next to it and renames it into place, so a failed or
    interrupted build leaves whatever was there before. progress(done, total) is called
    along the way; an exception it raises stops the build."""
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
        _write_index(temp, source, progress)
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


def _write_index(path: Path, source: IcdSource, progress: Progress | None) -> None:
    steps = _Steps(progress)
    steps(0.0)
    codes = read_codes(source, lambda fraction: steps(_PARSE_SHARE * fraction))
    ranked = sorted(codes, key=lambda c: (not c.billable, len(c.description), c.nodot))
    fts_rows = list(_fts_rows(ranked))
    connection = sqlite3.connect(path)
    try:
        connection.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096;" + _SCHEMA
        )
        connection.executemany(
            "INSERT INTO codes(id, nodot, code, description, billable, terms) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                (rank, c.nodot, c.code, c.description, int(c.billable), "\n".join(c.terms))
                for rank, c in enumerate(ranked, start=1)
            ),
        )
        connection.executescript(_INDEXES)
        for start in range(0, len(fts_rows), _PROGRESS_STEP):
            batch = fts_rows[start : start + _PROGRESS_STEP]
            connection.executemany("INSERT INTO words(rowid, text) VALUES (?, ?)", batch)
            steps(_PARSE_SHARE + (1 - _PARSE_SHARE) * 0.9 * (start + len(batch)) / len(fts_rows))
        connection.execute("INSERT INTO words(words) VALUES ('optimize')")
        connection.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?)",
            [
                ("format", str(INDEX_FORMAT)),
                ("release", source.release),
                ("source", source.fingerprint),
                ("codes", str(len(codes))),
                ("billable", str(sum(c.billable for c in codes))),
            ],
        )
        connection.commit()
    finally:
        connection.close()
    steps(1.0)


def _fts_rows(ranked: list[_Code]) -> Iterator[tuple[int, str]]:
    """Full-text rows in rowid order. Each code has a row holding its description and, when
    it has inclusion terms, a second row holding description plus terms (so a query may mix
    words from both). The rowid group puts billable before not billable and, within each,
    description rows before description+terms rows: a code found only through its terms
    ranks after every code found through its description."""
    for billable in (True, False):
        group = 0 if billable else 2
        members = [(rank, c) for rank, c in enumerate(ranked, start=1) if c.billable == billable]
        for rank, c in members:
            yield group * _GROUP_STRIDE + rank, c.description
        for rank, c in members:
            if c.terms:
                yield (group + 1) * _GROUP_STRIDE + rank, "\n".join((c.description, *c.terms))


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
            or (meta.get("release") == source.release and meta.get("source") == source.fingerprint)
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


def fts_query(text: str) -> str | None:
    """An FTS5 query where every word of text must prefix-match; None when text has no
    words. Each word is quoted, so quotes, *, -, parentheses and AND/OR/NEAR are data."""
    words = _WORD_RE.findall(text.lower())[:_MAX_WORDS]
    if not words:
        return None
    return " ".join(f'"{word[:_MAX_WORD_CHARS]}"*' for word in words)


class IcdIndex:
    """An open ICD-10-CM index. Use from one thread at a time; close() or use `with`."""

    def __init__(self, connection: sqlite3.Connection, path: Path, meta: dict[str, str]):
        self._db = connection
        self._db.execute("PRAGMA query_only=1")
        self.path = path
        self.release: str = meta.get("release", "")
        self.code_count = int(meta.get("codes", 0))
        self.billable_count = int(meta.get("billable", 0))

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
        with it, shortest first; words ("muscle weak") list codes whose description or
        inclusion terms have a word starting with each, billable first, description matches
        before inclusion-term matches, shorter descriptions first."""
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
        query = fts_query(text)
        if query is None:
            return []
        # A code can match twice (description row, description+terms row): fetch twice the
        # limit so the first `limit` distinct codes are all there.
        try:
            rows = self._db.execute(
                "SELECT c.code, c.description, c.billable FROM "
                "(SELECT rowid AS r FROM words WHERE words MATCH ? ORDER BY rowid LIMIT ?) m "
                f"JOIN codes c ON c.id = m.r % {_GROUP_STRIDE} ORDER BY m.r",
                (query, 2 * limit),
            ).fetchall()
        except sqlite3.OperationalError:
            # Not reachable with quoted words as far as we know; a typeahead must not crash.
            return []
        found: dict[str, Diagnosis] = {}
        for code, description, billable in rows:
            if code not in found:
                found[code] = Diagnosis(code, description, bool(billable))
        return list(found.values())[:limit]

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
        if found.billable:
            return DxCheck(found.code, "valid", f"{found.code} is billable: {found.description}.")
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
        )

    def all_codes(self) -> Iterable[Diagnosis]:
        """Every code in code order (for checks and exports, not for typeahead)."""
        rows = self._db.execute("SELECT code, description, billable FROM codes ORDER BY nodot")
        return (Diagnosis(c, d, bool(b)) for c, d, b in rows)
