"""Checks an .xlsx must pass before openpyxl parses it: a zip bomb must not fill the memory.

An .xlsx is a zip of XML. Its central directory declares each member's uncompressed size, and
Python's zipfile never inflates a member past that size (a lie fails its CRC), so the declared
sizes bound what parsing can read. The one reader of .xlsx, crm_data.files.reader (for canonical
files and other CRMs' exports alike), calls check_xlsx first and caps cells with check_cell.
"""

from __future__ import annotations

import zipfile
from typing import IO
from xml.etree import ElementTree

from crm_data.model import CrmError

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""The upload limit (.streamlit/config.toml, maxUploadSize = 50 MB)."""

MAX_TOTAL_UNCOMPRESSED = 12 * MAX_UPLOAD_BYTES
"""600 MB: real workbooks' XML deflates 4 to 10 times, so the largest upload that is real data
unpacks to about 500 MB; a zip bomb of the same upload declares tens of gigabytes."""

MAX_MEMBER_RATIO = 100
"""Real sheets and shared strings deflate at most a few tens of times; deflate's ceiling, which
bombs use, is about 1 000. Checked on members declaring more than RATIO_FLOOR bytes."""

RATIO_FLOOR = 1024 * 1024

MAX_SHARED_STRINGS_BYTES = 2 * MAX_UPLOAD_BYTES
"""100 MB: openpyxl holds every shared string in memory before the first row (several times its
XML size as Python strings); a 50 MB upload of real text stays below that."""

MAX_CELL_CHARS = 32_767
"""Excel's own limit on a cell's text: a longer one was not written by Excel."""

_SHARED_STRINGS = "xl/sharedStrings.xml"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_TEXT_TAG = _MAIN + "t"
_SI_TAG = _MAIN + "si"


class XlsxRefusedError(CrmError):
    """The workbook would take too much memory to read; the message says why, in French."""


def check_xlsx(handle: IO[bytes]) -> None:
    """Refuse (XlsxRefusedError) a workbook whose declared sizes or shared strings are out of
    bounds; the handle is left at its start. A damaged zip is left for openpyxl to refuse."""
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            _check_sizes(members)
            if any(m.filename == _SHARED_STRINGS for m in members):
                _check_shared_strings(archive)
    except (zipfile.BadZipFile, ElementTree.ParseError, EOFError, OSError):
        pass
    finally:
        handle.seek(0)


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    total = sum(m.file_size for m in members)
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise XlsxRefusedError(
            f"Ce classeur se décompresse en {_mb(total)} Mo (au plus "
            f"{_mb(MAX_TOTAL_UNCOMPRESSED)} Mo) : il n'est pas lu. Enregistrez-le en CSV."
        )
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_MEMBER_RATIO * max(
            member.compress_size, 1
        ):
            raise XlsxRefusedError(
                f"Ce classeur n'est pas lu : sa partie « {member.filename} » se décompresse "
                f"{member.file_size // max(member.compress_size, 1)} fois (au plus "
                f"{MAX_MEMBER_RATIO}), ce qui ne ressemble pas à un vrai classeur."
            )
        if member.filename == _SHARED_STRINGS and member.file_size > MAX_SHARED_STRINGS_BYTES:
            raise XlsxRefusedError(
                f"Les textes de ce classeur pèsent {_mb(member.file_size)} Mo (au plus "
                f"{_mb(MAX_SHARED_STRINGS_BYTES)} Mo) : il n'est pas lu. Enregistrez-le en CSV."
            )


def _check_shared_strings(archive: zipfile.ZipFile) -> None:
    # Streamed, the tree emptied after each string: the pass holds one string at a time.
    with archive.open(_SHARED_STRINGS) as stream:
        root: ElementTree.Element | None = None
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            if root is None:
                root = element
            if event != "end":
                continue
            if element.tag == _TEXT_TAG and len(element.text or "") > MAX_CELL_CHARS:
                raise XlsxRefusedError(_cell_message(len(element.text or "")))
            if element.tag == _SI_TAG:
                root.clear()


def check_cell(text: str, line: int) -> str:
    """text, or XlsxRefusedError when it is longer than a cell can be."""
    if len(text) > MAX_CELL_CHARS:
        raise XlsxRefusedError(f"Ligne {line} : {_cell_message(len(text))}")
    return text


def _cell_message(length: int) -> str:
    return (
        f"une cellule contient {_thousands(length)} caractères (au plus "
        f"{_thousands(MAX_CELL_CHARS)}) : le classeur n'est pas lu."
    )


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _mb(size: int) -> int:
    return round(size / 1_000_000)
