"""The one CSV table reader behind the catalog's and the NCCI/MUE tables' files."""

from __future__ import annotations

import pytest

from otdesk.core.csvtable import read_table
from otdesk.core.ncci import TableError, read_csv_table

COLUMNS = ("code", "name")


def write(tmp_path, data: bytes):
    path = tmp_path / "table.csv"
    path.write_bytes(data)
    return path


def test_rows_come_with_their_line_numbers_and_blank_lines_are_skipped(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbfcode,name,extra\n97110,Ther ex,x\n\n97140,Manual,y\n")
    assert list(read_table(path, COLUMNS)) == [
        (2, {"code": "97110", "name": "Ther ex", "extra": "x"}),
        (4, {"code": "97140", "name": "Manual", "extra": "y"}),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "line 1: the file is empty"),
        (b"code,label\n97110,x\n", "line 1: the header lacks column(s) name; expected code,name"),
        (b"code,name\n97110,Ther ex, more\n", "line 2: 3 fields where the header has 2"),
        (b'code,name\n97110,"Ther"ex\n', "line 2:"),
        (b"code,name\n97110,Th\xe9r\n", "not UTF-8 text"),
    ],
)
def test_each_problem_names_the_file_and_the_line(tmp_path, data, expected):
    path = write(tmp_path, data)
    with pytest.raises(ValueError, match="^" + str(path).replace("\\", "\\\\")) as caught:
        list(read_table(path, COLUMNS))
    assert expected in str(caught.value)
    assert type(caught.value) is ValueError
    with pytest.raises(TableError) as caught:  # the NCCI tables' own error type
        list(read_csv_table(path, COLUMNS))
    assert expected in str(caught.value)


def test_a_missing_file_says_it_cannot_be_read(tmp_path):
    with pytest.raises(ValueError, match="cannot be read"):
        list(read_table(tmp_path / "nowhere.csv", COLUMNS))
