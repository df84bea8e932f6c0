"""Bounded streaming of a returned file's XML parts: what a part may cost in bytes, cells, text and time.

A returned file is untrusted: a 1 MB file may unpack to hundreds of MB, and the sizes a
zip header states may lie. Every part is therefore taken by :func:`take`: unpacked and
counted as it arrives (the header sizes are never trusted), whole when it is small, else in
chunks fed to ``xml.etree``'s pull parser (:func:`elements`); the reader keeps only what
kpixl needs and clears each row once read. A
part or a file over its budget, a sheet with more cells than any scorecard, a text over
Excel's cell limit (kept cut, and flagged), or a file that takes longer than its
deadline is refused with a :class:`~kpixl.errors.FileProblem` — never memory exhaustion.

A document type declaration (``<!DOCTYPE``, the carrier of XXE and entity bombs) is
refused outright: no part of an .xlsx has one.

A file is read whole (it is at most 50 MB) and opened by :func:`package`: the plain zip
directory of a card is read in one pass, and a small part unpacked in one step from
memory when it is plainly sound (:func:`take`, :func:`read_small`; entries that overlap are
not) — counted exactly as the chunks would be. zipfile reads whatever is not plain, and decides.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import struct
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterator
from xml.etree import ElementTree as ET

from ..errors import FileProblem

__all__ = ["Budget", "MAX_CELLS", "MAX_PART_BYTES", "MAX_ROWS", "MAX_SMALL_PART", "MAX_STRINGS",
           "MAX_STRING_CHARS", "MAX_TEXT", "TIMEOUT_SECONDS", "WHOLE_PART", "chunks", "elements", "package",
           "read_small", "take"]

#: One part may not unpack to more than this (a scorecard sheet is ~100 KB).
MAX_PART_BYTES = 32 * 1024 * 1024
#: Parts read whole (workbook, relationships, properties, content types).
MAX_SMALL_PART = 4 * 1024 * 1024
#: Cells kept per sheet; a scorecard has a few hundred.
MAX_CELLS = 100_000
#: ``<row>`` elements per sheet (a scorecard has under a hundred).
MAX_ROWS = 200_000
#: Excel's limit on the characters of one cell; a longer text is kept cut to this plus one.
MAX_TEXT = 32_767
#: Shared strings: how many, and how many characters in all.
MAX_STRINGS = 500_000
MAX_STRING_CHARS = 20_000_000
#: Wall-clock seconds one file may take to read.
TIMEOUT_SECONDS = 30.0
CHUNK = 1 << 20

STEP = "reading the workbook"


class Budget:
    """What one file may still cost: unpacked bytes and time (checked as every chunk arrives)."""

    def __init__(self, path: Path, unpacked: int, seconds: float):
        self.path, self.left = path, unpacked
        self.limit = unpacked
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds
        #: Read a part whole in one step when it allows (:func:`take`); tests turn it off to compare.
        self.fast = True

    def refuse(self, reason: str) -> FileProblem:
        return FileProblem(self.path, STEP, reason)

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise self.refuse(f"unpacks to more than {self.limit // 2**20} MB; refused unread")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise self.refuse(f"took over {self.seconds:.0f} s to read; refused (a scorecard reads in milliseconds)")


_PROLOG = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*", re.S)


def _check_prolog(head: bytes, name: str, budget: Budget) -> None:
    """Refuse a part whose prolog declares a document type (XXE, entity bombs) or that is not UTF-8."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:64]:
        raise budget.refuse(f"its part {name} is not UTF-8 XML, as every workbook writes it; refused unread")
    if head.startswith(b"<?xml "):  # the usual prolog, a declaration and then the root, without the pattern
        end = head.find(b"?>", 6, 512)
        after = head[end + 2:end + 10].lstrip(b" \t\n\r\f\v") if end > 0 else b""
        if after[:1] == b"<" and after[1:2] not in (b"?", b"!", b""):
            return
    m = _PROLOG.match(head)
    rest = head[m.end():m.end() + 9]  # (only its start is looked at: no copy of a whole part)
    if rest.upper() == b"<!DOCTYPE":
        raise budget.refuse(f"its part {name} holds a document type declaration (<!DOCTYPE>), which no workbook "
                            "has; refused unread")
    if not rest and len(head) >= CHUNK:
        raise budget.refuse(f"its part {name} starts with over {CHUNK:,} bytes of comments; refused unread")


def chunks(z: zipfile.ZipFile, name: str, budget: Budget, limit: int = MAX_PART_BYTES) -> Iterator[bytes]:
    """A part's bytes as they are unpacked, each chunk counted against ``limit`` and the file's budget."""
    total = 0
    with z.open(name) as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                return
            if total == 0:
                _check_prolog(chunk, name, budget)
            total += len(chunk)
            if total > limit:
                raise budget.refuse(f"its part {name} unpacks to more than {limit // 2**20} MB; refused")
            budget.spend(len(chunk))
            yield chunk


#: A part up to this size is parsed whole (fast, and its tree is small); a larger one is streamed.
WHOLE_PART = 4 * 1024 * 1024


def take(z: zipfile.ZipFile, name: str, budget: Budget, limit: int = MAX_PART_BYTES) -> tuple[bytes | None,
                                                                                                Iterator[bytes]]:
    """Unpack a part (counted, its prolog checked): ``(bytes, empty)`` when it is at most
    :data:`WHOLE_PART` bytes, else ``(None, every chunk)`` to be streamed by :func:`elements`.

    Raises:
        FileProblem: The part or the file is over its budget, or has a DOCTYPE.
    """
    data = _whole(z, name, budget, limit) if budget.fast else None
    if data is not None:
        return data, iter(())
    stream = chunks(z, name, budget, limit)
    head: list[bytes] = []
    size = 0
    for chunk in stream:
        head.append(chunk)
        size += len(chunk)
        if size > WHOLE_PART:
            return None, itertools.chain(head, stream)
    return b"".join(head), iter(())


def elements(name: str, budget: Budget, data: bytes | None, stream: Iterator[bytes], tags: tuple[str, ...],
             clear: tuple[str, ...] = ()) -> Iterator[Any]:
    """The elements of a part taken by :func:`take` whose tag is in ``tags`` (complete, with their children),
    in bounded memory.

    A part taken whole (at most :data:`WHOLE_PART` bytes) is parsed whole; a larger one
    through ``xml.etree``'s pull parser, each element of a ``clear`` tag (``row``) emptied
    once read, and at most :data:`MAX_ROWS` of them.

    Raises:
        FileProblem: The part has over :data:`MAX_ROWS` rows, or the file is past its deadline.
        xml.etree.ElementTree.ParseError: The XML is malformed.
    """
    if data is not None:
        root = ET.fromstring(data)
        for tag in tags:
            yield from root.iter(tag)
        return
    parser = ET.XMLPullParser(("end",))
    cleared = 0
    for chunk in stream:
        parser.feed(chunk)
        for _, el in parser.read_events():
            tag = el.tag
            if tag in tags:
                yield el
            if tag in clear:
                el.clear()
                cleared += 1
                if cleared > MAX_ROWS:
                    raise budget.refuse(f"its part {name} has over {MAX_ROWS:,} rows; a scorecard has a few dozen — "
                                        "refused")
        budget.check_time()
    parser.close()


def read_small(z: zipfile.ZipFile, name: str, budget: Budget) -> bytes:
    """A small part's bytes (content types), within :data:`MAX_SMALL_PART`."""
    data = _whole(z, name, budget, MAX_SMALL_PART, remember=True) if budget.fast else None
    return data if data is not None else b"".join(chunks(z, name, budget, MAX_SMALL_PART))


_LOCAL = struct.Struct("<4s2xH18xHH")  # a local file header: signature, flags, name and extra field lengths
_ODD_FLAGS = 0x61  # encrypted, a compressed patch, strong encryption: zipfile refuses those


#: Small parts unpacked before, by (method, size, CRC-32, packed bytes): the files of one batch share
#: their styles, relationships and content types byte for byte. Only bytes that unpacked and checked
#: are kept (unpacking is a pure function of those four); bounded in count and size.
_UNPACKED: dict[tuple[int, int, int, bytes], bytes] = {}
_UNPACKED_MAX = 128
_UNPACKED_BYTES = 1 << 16


def _whole(z: zipfile.ZipFile, name: str, budget: Budget, limit: int, remember: bool = False) -> bytes | None:
    """A part of at most :data:`WHOLE_PART` bytes unpacked in one step, counted as :func:`chunks` counts it.

    zipfile's reader costs more than unpacking a card's small parts (a file object, a
    decompressor and three reads a part). This reads the part's bytes from the package in
    memory (``z.blob``, set by :func:`package`) and inflates them at once, and gives them only
    when the part is plainly sound: the local header names the part as the directory does,
    the data is stored or deflated, not encrypted, all there, inflates to exactly the size
    the directory states (never more is unpacked) and has its CRC-32. Those are the bytes
    zipfile would give. Anything else gives None, and :func:`chunks` reads the part with
    zipfile, which decides (its answer or its error).
    """
    info = z.NameToInfo.get(name)
    blob = getattr(z, "blob", None)
    if info is None or blob is None or info.file_size > WHOLE_PART or info.flag_bits & _ODD_FLAGS \
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    try:
        at = info.header_offset
        if at < 0 or at + _LOCAL.size > len(blob):
            return None
        sig, flags, name_len, extra_len = _LOCAL.unpack_from(blob, at)
        at += _LOCAL.size
        raw_name = blob[at:at + name_len]
        if raw_name.isascii():  # (what UTF-8 and cp437 give for ASCII; an encoding zipfile was told takes its path)
            local = raw_name.decode("ascii") if not getattr(z, "metadata_encoding", None) else None
        else:
            local = raw_name.decode("utf-8") if flags & 0x800 else raw_name.decode(getattr(z, "metadata_encoding", None)
                                                                                   or "cp437")
        if sig != b"PK\x03\x04" or local != info.orig_filename:
            return None
        at += name_len + extra_len
        raw = blob[at:at + info.compress_size]
        if len(raw) != info.compress_size or at + info.compress_size > _end_of(z, info):
            return None  # (entries that overlap: newer zipfiles refuse them as a possible zip bomb)
        key = (info.compress_type, info.file_size, info.CRC, raw)
        data = _UNPACKED.get(key) if remember else None
        if data is None:
            if info.compress_type == zipfile.ZIP_DEFLATED:
                inflate = zlib.decompressobj(-15)
                data = inflate.decompress(raw, info.file_size + 1)
                if not inflate.eof:
                    return None
            else:
                data = raw
            if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
                return None
            if remember and len(data) <= _UNPACKED_BYTES and len(raw) <= _UNPACKED_BYTES:
                if len(_UNPACKED) >= _UNPACKED_MAX:
                    _UNPACKED.clear()
                _UNPACKED[key] = data
    except (ValueError, LookupError, zlib.error, OSError, struct.error):
        return None
    # As chunks() counts: the prolog of the first chunk, then each chunk against the part's limit and the file's budget.
    if len(data) <= CHUNK and len(data) <= limit:
        if data:
            _check_prolog(data, name, budget)
            budget.spend(len(data))
        return data
    total = 0
    for at in range(0, len(data), CHUNK):
        n = min(CHUNK, len(data) - at)
        if at == 0:
            _check_prolog(data[:CHUNK], name, budget)
        total += n
        if total > limit:
            raise budget.refuse(f"its part {name} unpacks to more than {limit // 2**20} MB; refused")
        budget.spend(n)
    return data


def _end_of(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where an entry's data must end: the next local header or the directory, as newer zipfiles
    work it out (each entry, by header offset, ends where the one after it starts; of two at
    one offset, the later in the directory ends where the earlier starts — they overlap)."""
    ends = getattr(z, "ends", None)
    if ends is None:
        ends = {}
        end = getattr(z, "start_dir", len(z.blob))
        for i in sorted(z.filelist, key=lambda i: i.header_offset, reverse=True):
            ends[id(i)] = end
            end = i.header_offset
        z.ends = ends
    return ends.get(id(info), 0)


def package(blob: bytes, fast: bool = True) -> zipfile.ZipFile:
    """A zip package read from its bytes in memory (a file read whole): its directory read by
    :class:`_Package` when ``fast``, else by zipfile.

    Raises:
        zipfile.BadZipFile: Not a zip package (and whatever else zipfile raises for its directory).
    """
    z = (_Package if fast and _PLAIN_INFO else zipfile.ZipFile)(io.BytesIO(blob))
    if fast:
        z.blob = blob  # (the package's bytes, which _whole reads parts from)
    return z


_DIRECTORY = struct.Struct(zipfile.structCentralDir)
_END = struct.Struct(zipfile.structEndArchive)
#: The attributes zipfile gives an entry it reads (Python 3.11); another set (another Python) means
#: zipfile reads directories differently, and it reads them itself.
_PLAIN_INFO = set(zipfile.ZipInfo.__slots__) == {
    "orig_filename", "filename", "date_time", "compress_type", "_compresslevel", "comment", "extra", "create_system",
    "create_version", "extract_version", "reserved", "flag_bits", "volume", "internal_attr", "external_attr",
    "header_offset", "CRC", "compress_size", "file_size", "_raw_time"}


class _Package(zipfile.ZipFile):
    """A zip file whose central directory is read in one pass when it is plainly sound.

    zipfile reads a directory of fifty entries (a card) in ~0.1 ms, through a file object and
    an entry object built field by field. This reads the same directory from its bytes when it
    is the plain case — no archive comment, no Zip64 record, every entry there, whole and named
    in ASCII or UTF-8 — giving each entry exactly the attributes zipfile gives it (its extra
    field decoded by zipfile). Anything else is read by zipfile itself, which decides.
    """

    def _RealGetContents(self) -> None:
        try:
            plain = _read_directory(self)
        except Exception:  # noqa: BLE001 — whatever is odd, zipfile reads the directory and decides
            plain = False
        if not plain:
            self.filelist, self.NameToInfo = [], {}
            super()._RealGetContents()


def _read_directory(z: zipfile.ZipFile) -> bool:
    fp = z.fp
    size = fp.seek(0, 2)
    if size < _END.size + 20 or getattr(z, "metadata_encoding", None):
        return False
    fp.seek(size - _END.size - 20)
    tail = fp.read()
    end = tail[20:]
    # The end record last (no archive comment), no Zip64 locator before it.
    if end[:4] != zipfile.stringEndArchive or end[-2:] != b"\0\0" or tail[:4] == zipfile.stringEndArchive64Locator:
        return False
    size_cd, offset_cd = _END.unpack(end)[5:7]
    concat = size - _END.size - size_cd - offset_cd
    start = offset_cd + concat
    if start < 0:
        return False
    fp.seek(start)
    cd = fp.read(size_cd)
    if len(cd) != size_cd:
        return False
    entries, names = [], {}
    new, unpack, head = zipfile.ZipInfo.__new__, _DIRECTORY.unpack_from, _DIRECTORY.size
    at = 0
    while at < size_cd:
        if at + head > size_cd:
            return False
        (sig, create_version, create_system, extract_version, reserved, flags, method, t, d, crc, packed, unpacked,
         name_len, extra_len, comment_len, volume, internal, external, offset) = unpack(cd, at)
        name_at = at + head
        at = name_at + name_len + extra_len + comment_len
        if sig != zipfile.stringCentralDir or at > size_cd or extract_version > zipfile.MAX_EXTRACT_VERSION:
            return False
        raw = cd[name_at:name_at + name_len]
        if flags & 0x800:
            name = raw.decode("utf-8")
        elif raw.isascii():
            name = raw.decode("ascii")  # (what cp437 gives for ASCII)
        else:
            return False
        x = new(zipfile.ZipInfo)
        x.orig_filename = name
        if "\0" in name:
            name = name[:name.index("\0")]
        if os.sep != "/" and os.sep in name:
            name = name.replace(os.sep, "/")
        x.filename = name
        x._compresslevel = None
        x.extra = cd[name_at + name_len:name_at + name_len + extra_len]
        x.comment = cd[name_at + name_len + extra_len:at]
        x.header_offset = offset
        x.create_version, x.create_system, x.extract_version, x.reserved = \
            create_version, create_system, extract_version, reserved
        x.flag_bits, x.compress_type, x.CRC, x.compress_size, x.file_size = flags, method, crc, packed, unpacked
        x.volume, x.internal_attr, x.external_attr = volume, internal, external
        x._raw_time = t
        x.date_time = ((d >> 9) + 1980, (d >> 5) & 0xF, d & 0x1F, t >> 11, (t >> 5) & 0x3F, (t & 0x1F) * 2)
        if x.extra:
            x._decodeExtra()
        x.header_offset = x.header_offset + concat
        entries.append(x)
        names[x.filename] = x
    z._comment = b""
    z.start_dir = start
    z.filelist, z.NameToInfo = entries, names
    return True
