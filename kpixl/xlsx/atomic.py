"""The one way kpixl replaces a file: write beside it, flush to disk, then rename over it.

A crash or a full disk leaves the old file as it was; the new file keeps the old file's
permission bits (a 0664 master stays 0664), and a read-only or locked file is refused.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

from ..errors import FileProblem


def replace_atomically(path: str | Path, write: Callable[[str], None], step: str,
                       busy: str = "the file is open or locked in another program; close it and try again",
                       make_folder: bool = True) -> None:
    """Write a file through a temporary file beside it, then move it into place.

    Args:
        path: The file to write.
        write: ``write(temp_path)`` writes the whole new file.
        step: Names the step in the message (``saving the workbook``).
        busy: What to say when the file is locked (the program that may hold it).
        make_folder: Create a missing folder (False: a missing folder is a problem).

    Raises:
        FileProblem: The file is read-only or locked, or the folder cannot be written.
    """
    path = Path(path)
    if path.is_dir():
        raise FileProblem(path, step, "a folder has that name; give a file name")
    mode = None
    if path.exists():
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise FileProblem(path, step, "the file is read-only; clear its read-only attribute or choose another name")
    tmp = None
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=path.suffix, dir=path.parent)
        os.close(fd)
        write(tmp)
        _flush(tmp)
        # mkstemp makes 0600; the file keeps its own bits, a new file gets the usual ones (umask).
        os.chmod(tmp, mode if mode is not None else _default_mode())
        os.replace(tmp, path)
        tmp = None
        _flush_folder(path.parent)
    except PermissionError:
        raise FileProblem(path, step, busy) from None
    except (FileExistsError, NotADirectoryError):
        raise FileProblem(path, step, "a file stands where its folder should be; choose another folder") from None
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise FileProblem(path, step, "the disk is full; free some space and try again "
                                          "(the file was left as it was)") from None
        raise FileProblem(path, step, e.strerror or str(e)) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _prefix(path: Path) -> str:
    return f".{path.stem}-"


def temp_files(path: str | Path) -> list[Path]:
    """The temporary files :func:`replace_atomically` leaves beside ``path`` when a run is killed."""
    path = Path(path)
    try:
        return [f for f in path.parent.glob(f"{_prefix(path)}*{path.suffix}")
                if len(f.name) == len(_prefix(path)) + 8 + len(path.suffix)]  # mkstemp adds 8 characters
    except OSError:
        return []


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_bytes_atomically(path: str | Path, data: bytes, step: str, **kw: str) -> None:
    """:func:`replace_atomically` for bytes already in memory (config files, schemes)."""
    replace_atomically(path, lambda tmp: Path(tmp).write_bytes(data), step, **kw)


def _flush(name: str) -> None:
    """Make the written bytes durable before the rename makes them visible."""
    with open(name, "rb+") as f:
        os.fsync(f.fileno())


def _flush_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; folders cannot be opened on Windows)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
