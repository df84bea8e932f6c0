"""A minimal Compound File Binary writer (MS-CFB version 3), enough for a vbaProject.bin.

``vbaProject.bin`` is a compound file: a little FAT file system of storages (folders)
and streams. Only writing is needed and the files are small (tens of KB), so this
writes the simplest valid layout and nothing else:

* 512-byte sectors; header DIFAT only (109 FAT sectors, about 7 MB — asserted);
* streams shorter than 4096 bytes in the mini stream (64-byte mini sectors, mini FAT),
  longer ones in regular sectors;
* sectors in the order FAT, directory, mini FAT, mini stream, large streams;
* each storage's children as a balanced binary tree in the CFB name order, coloured so
  that it is a valid red-black tree (bottom level red, the rest black);
* zero timestamps and CLSIDs, so the output depends on the input alone.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Storage", "write_compound_file"]

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_HEADER_DIFAT = 109
_FAT_PER_SECTOR = _SECTOR // 4
_DIR_ENTRY = 128

_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF

_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


@dataclass
class Storage:
    """A storage: named streams (bytes) and sub-storages.

    Attributes:
        entries: Child name -> ``bytes`` (a stream) or :class:`Storage`. Names are at most
            31 UTF-16 code units and must not contain ``/ \\ : !``.
    """

    entries: Mapping[str, "bytes | Storage"] = field(default_factory=dict)


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    color: int = _BLACK
    start: int = _ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    # MS-CFB 2.6.4: shorter names first, then by upper-cased UTF-16 code points.
    return len(name.encode("utf-16-le")), name.upper()


def _check_name(name: str) -> None:
    if not name or len(name.encode("utf-16-le")) > 62 or any(c in name for c in "/\\:!"):
        raise ValueError(f"invalid compound-file entry name {name!r}")


def _flatten(root: Storage) -> list[_Entry]:
    entries = [_Entry("Root Entry", _ROOT)]

    def add(storage: Storage, parent: int) -> None:
        names = sorted(storage.entries, key=_sort_key)
        if len({n.upper() for n in names}) != len(names):
            raise ValueError(f"duplicate entry names (case-insensitive) in {names}")
        for name in names:
            _check_name(name)
            value = storage.entries[name]
            index = len(entries)
            if isinstance(value, Storage):
                entries.append(_Entry(name, _STORAGE))
                entries[parent].children.append(index)
                add(value, index)
            else:
                entries.append(_Entry(name, _STREAM, bytes(value), size=len(value)))
                entries[parent].children.append(index)

    add(root, 0)
    for entry in entries:
        entry.child = _tree(entries, entry.children, 0, _depth(len(entry.children)))
    return entries


def _depth(count: int) -> int:
    """Depth (root = 0) of the deepest node in a median-split tree of ``count`` nodes."""
    return count.bit_length() - 1


def _tree(entries: list[_Entry], ordered: list[int], depth: int, bottom: int) -> int:
    if not ordered:
        return _NOSTREAM
    middle = (len(ordered) - 1) // 2
    node = entries[ordered[middle]]
    # Median splits leave every level full but the last; colouring that last level red
    # (the root excepted) gives every path the same number of black nodes.
    node.color = _RED if depth == bottom and depth > 0 else _BLACK
    node.left = _tree(entries, ordered[:middle], depth + 1, bottom)
    node.right = _tree(entries, ordered[middle + 1 :], depth + 1, bottom)
    return ordered[middle]


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else _ENDOFCHAIN


def _pad(data: bytes, unit: int) -> bytes:
    return data + b"\x00" * (-len(data) % unit)


def _dir_entry(entry: _Entry | None) -> bytes:
    if entry is None:
        return b"\x00" * 64 + struct.pack(
            "<HBBIII16sIQQIQ", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, b"", 0, 0, 0, 0, 0
        )
    name = (entry.name + "\x00").encode("utf-16-le")
    return name.ljust(64, b"\x00") + struct.pack(
        "<HBBIII16sIQQIQ",
        len(name),
        entry.kind,
        entry.color,
        entry.left,
        entry.right,
        entry.child,
        b"",
        0,
        0,
        0,
        entry.start,
        entry.size,
    )


def write_compound_file(root: Storage) -> bytes:
    """Serialise a tree of storages and streams as a version-3 compound file.

    Args:
        root: The root storage's children.

    Returns:
        The file's bytes.

    Raises:
        ValueError: An entry name is invalid or duplicated, or the file would need more
            than the header's 109 FAT sectors.
    """
    entries = _flatten(root)
    streams = [e for e in entries if e.kind == _STREAM]
    small = [e for e in streams if e.size < _MINI_CUTOFF]
    large = [e for e in streams if e.size >= _MINI_CUTOFF]

    # Mini stream and mini FAT.
    mini_stream = bytearray()
    mini_fat: list[int] = []
    for entry in small:
        if entry.size == 0:
            entry.start = _ENDOFCHAIN
            continue
        count = -(-entry.size // _MINI_SECTOR)
        entry.start = len(mini_fat)
        mini_fat.extend([0] * count)
        _chain(mini_fat, entry.start, count)
        mini_stream += _pad(entry.data, _MINI_SECTOR)
    mini_fat += [_FREESECT] * (-len(mini_fat) % _FAT_PER_SECTOR)
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)

    per_sector = _SECTOR // _DIR_ENTRY
    dir_sectors = -(-len(entries) // per_sector)
    mini_fat_sectors = len(mini_fat_bytes) // _SECTOR
    mini_stream_sectors = -(-len(mini_stream) // _SECTOR)
    large_sectors = [-(-e.size // _SECTOR) for e in large]
    content = dir_sectors + mini_fat_sectors + mini_stream_sectors + sum(large_sectors)
    fat_sectors = 1
    while fat_sectors * _FAT_PER_SECTOR < fat_sectors + content:
        fat_sectors += 1
    if fat_sectors > _HEADER_DIFAT:
        raise ValueError(f"compound file too large for a header-only DIFAT ({fat_sectors} FAT sectors)")

    fat = [_FREESECT] * (fat_sectors * _FAT_PER_SECTOR)
    for i in range(fat_sectors):
        fat[i] = _FATSECT
    sector = fat_sectors
    dir_start = sector
    _chain(fat, sector, dir_sectors)
    sector += dir_sectors
    mini_fat_start = sector if mini_fat_sectors else _ENDOFCHAIN
    _chain(fat, sector, mini_fat_sectors)
    sector += mini_fat_sectors
    entries[0].start = sector if mini_stream_sectors else _ENDOFCHAIN
    entries[0].size = len(mini_stream)
    _chain(fat, sector, mini_stream_sectors)
    sector += mini_stream_sectors
    for entry, count in zip(large, large_sectors):
        entry.start = sector
        _chain(fat, sector, count)
        sector += count
    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _dir_entry(None) * (dir_sectors * per_sector - len(entries))

    difat = list(range(fat_sectors)) + [_FREESECT] * (_HEADER_DIFAT - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        b"",
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # little-endian
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        b"",
        0,  # directory sectors: always 0 in version 3
        fat_sectors,
        dir_start,
        0,  # transaction signature
        _MINI_CUTOFF,
        mini_fat_start,
        mini_fat_sectors,
        _ENDOFCHAIN,  # no DIFAT sectors
        0,
    ) + struct.pack(f"<{_HEADER_DIFAT}I", *difat)
    assert len(header) == _SECTOR

    body = [
        struct.pack(f"<{len(fat)}I", *fat),
        directory,
        mini_fat_bytes,
        _pad(bytes(mini_stream), _SECTOR),
        *(_pad(e.data, _SECTOR) for e in large),
    ]
    return header + b"".join(body)
