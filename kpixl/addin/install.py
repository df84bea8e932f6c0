"""Install the ribbon add-in where Excel loads it, and tell the add-in which Python to run.

``kpixl addin install`` does what ``xlwings addin install`` and ``xlwings config create``
do for xlwings' own add-in, for ``kpixl.xlam``:

1. copy the packaged add-in (``kpixl/data/kpixl.xlam``) into Excel's per-user start-up
   folder, ``%APPDATA%\\Microsoft\\Excel\\XLSTART`` — Excel opens every workbook there when
   it starts (xlwings asks a running Excel for ``Application.StartupPath``; without
   Excel the folder is that one);
2. write the user configuration the add-in's VBA reads — ``"KEY","VALUE"`` lines in
   ``%USERPROFILE%\\.kpixl\\kpixl.conf``: ``INTERPRETER_WIN`` (this Python, whose folder
   or parent holds ``xlwings64-<version>.dll``) or, in a conda environment,
   ``CONDA PATH``/``CONDA ENV``, as ``xlwings config create`` writes them; and
   ``UDF MODULES`` (``kpixl.udfs``) for *Import Functions*.

Why ``.kpixl\\kpixl.conf`` and not ``.xlwings\\xlwings.conf``: a custom add-in built from
xlwings' ``xlwings_custom_addin.bas`` reads ``%USERPROFILE%\\.<PROJECT_NAME>\\<PROJECT_NAME>.conf``
(``GetConfigFilePath``), and the kpixl add-in's ``PROJECT_NAME`` is :data:`PROJECT_NAME`.
This also leaves the ``INTERPRETER_WIN`` of the user's other xlwings projects alone.
An existing file is merged, never clobbered: other keys and lines stay as they were,
the previous file is kept as ``kpixl.conf.bak``, and what was written is recorded in
``install.json`` so that ``uninstall`` removes exactly that (and nothing the user has
changed since).

Everything takes ``platform``, ``appdata`` and ``home`` (default: this machine), so
the Windows path runs in the tests against a folder tree. On Linux there is no Excel;
on macOS xlwings' add-in differs (AppleScript, sandboxed folders, no UDFs), and kpixl's
add-in is not made for it: :func:`explain` says what would be done and why not.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata, resources
from pathlib import Path, PurePath, PureWindowsPath
from typing import Mapping

from ..xlsx.atomic import write_bytes_atomically
from ..errors import FileProblem, KpixlError

__all__ = [
    "ADDIN_NAME", "PROJECT_NAME", "UDF_MODULES", "NotSupported", "Places", "Status", "explain", "install",
    "is_windows", "packaged_addin", "places", "read_config", "settings", "status", "uninstall",
]

#: The add-in's file name in XLSTART.
ADDIN_NAME = "kpixl.xlam"
#: ``PROJECT_NAME`` in the add-in's VBA module: it names the config file the add-in reads
#: (``%USERPROFILE%\\.kpixl\\kpixl.conf``) and the config sheet (``kpixl.conf``).
PROJECT_NAME = "kpixl"
#: The worksheet functions' module, for the add-in's *Import Functions*.
UDF_MODULES = "kpixl.udfs"
RECORD = "install.json"


class NotSupported(KpixlError):
    """The add-in cannot be installed on this platform; the message says what to do instead."""


def is_windows(platform: str | None = None) -> bool:
    return (platform or sys.platform).startswith("win")


def _is_mac(platform: str) -> bool:
    return platform.startswith("darwin")


@dataclass(frozen=True)
class Places:
    """Where the add-in and its configuration go.

    Attributes:
        platform: ``win32``, ``darwin`` or ``linux``.
        addin: The add-in in Excel's start-up folder (XLSTART).
        config: The configuration file the add-in reads.
    """

    platform: str
    addin: PurePath
    config: PurePath

    @property
    def backup(self) -> PurePath:
        """The configuration as it was before the last change."""
        return self.config.with_name(self.config.name + ".bak")

    @property
    def record(self) -> PurePath:
        """What the last install wrote (``install.json``)."""
        return self.config.with_name(RECORD)


def places(platform: str | None = None, appdata: str | os.PathLike | None = None,
           home: str | os.PathLike | None = None) -> Places:
    """Where the add-in and its configuration go on ``platform``.

    Args:
        platform: ``sys.platform`` by default.
        appdata: The roaming application-data folder (``%APPDATA%``) on Windows.
        home: The user's home folder (``%USERPROFILE%``, ``~``).

    On another platform (Linux, macOS: no kpixl add-in there) the Windows places are
    given as ``%APPDATA%``/``%USERPROFILE%`` patterns, to say what would be used.
    """
    platform = platform or sys.platform
    if is_windows(platform):
        appdata = appdata or os.environ.get("APPDATA")
        home = home or os.environ.get("USERPROFILE") or Path.home()
        if not appdata:
            raise FileProblem("%APPDATA%", "finding Excel's start-up folder", "the APPDATA variable is not set")
        return Places(platform, Path(appdata) / "Microsoft" / "Excel" / "XLSTART" / ADDIN_NAME,
                      Path(home) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf")
    return Places(platform, PureWindowsPath(r"%APPDATA%\Microsoft\Excel\XLSTART") / ADDIN_NAME,
                  PureWindowsPath(r"%USERPROFILE%") / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf")


def packaged_addin() -> Path:
    """The add-in shipped inside the package (``kpixl/data/kpixl.xlam``); it may not be built."""
    return Path(str(resources.files("kpixl.data") / ADDIN_NAME))


def settings(executable: str | None = None, environ: Mapping[str, str] | None = None,
             platform: str | None = None) -> dict[str, str]:
    """The configuration keys the add-in needs, as ``xlwings config create`` chooses them.

    In a conda environment (``CONDA_DEFAULT_ENV`` and ``CONDA_EXE`` set) on Windows,
    ``CONDA PATH`` and ``CONDA ENV`` (the VBA activates the environment); otherwise
    ``INTERPRETER_WIN`` = this Python. And ``UDF MODULES``.
    """
    environ = os.environ if environ is None else environ
    executable = executable or sys.executable
    platform = platform or sys.platform
    env, exe = environ.get("CONDA_DEFAULT_ENV"), environ.get("CONDA_EXE")
    if env and exe and is_windows(platform):
        sep = "\\" if "\\" in exe else os.sep
        keys = {"CONDA PATH": sep.join(exe.split(sep)[:-2]), "CONDA ENV": env}
    else:
        keys = {"INTERPRETER_WIN": executable}
    keys["UDF MODULES"] = UDF_MODULES
    return keys


def _windows_keys() -> dict[str, str]:
    """The keys as they would be on Windows, told from another platform."""
    return {"INTERPRETER_WIN": r"<python.exe of the environment kpixl is installed in>", "UDF MODULES": UDF_MODULES}


# ---- the configuration file -------------------------------------------------------------------
#
# The VBA reads it with ``Input #`` in the ANSI code page (GetConfigFromFile), matching keys
# without regard to case. Lines kpixl does not own are kept byte for byte.


def _encoding() -> str:
    """The ANSI code page on Windows (what VBA reads), UTF-8 elsewhere."""
    try:
        import codecs

        codecs.lookup("mbcs")
        return "mbcs"
    except LookupError:
        return "utf-8"


def _parse(raw: bytes) -> tuple[str, str] | None:
    """``"KEY","VALUE"`` → (key, value); None for a line that is not one."""
    text = raw.decode(_encoding(), errors="replace").strip()
    if not text:
        return None
    try:
        fields = next(csv.reader([text]))
    except (csv.Error, StopIteration):
        return None
    return (fields[0], fields[1]) if len(fields) == 2 else None


def _line(key: str, value: str, path: PurePath) -> bytes:
    if '"' in key + value:
        raise FileProblem(path, "writing the configuration", f"a quote cannot be written in {key} ({value})")
    try:
        return f'"{key}","{value}"\r\n'.encode(_encoding())
    except UnicodeEncodeError:
        raise FileProblem(path, "writing the configuration",
                          f"{key} = {value} holds characters Windows' code page cannot hold, and the add-in reads "
                          "this file in that code page; install Python in a folder with a plain (ASCII) name") from None


def _lines(path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as e:
        raise FileProblem(path, "reading the configuration", e.strerror or str(e)) from None
    return [ln if ln.endswith(b"\n") else ln + b"\r\n" for ln in data.splitlines(keepends=True)]


def read_config(path: str | os.PathLike) -> dict[str, str]:
    """The keys of a configuration file (``{key: value}``, the first of each key), {} when absent."""
    out: dict[str, str] = {}
    for ln in _lines(Path(path)):
        kv = _parse(ln)
        if kv and kv[0].casefold() not in {k.casefold() for k in out}:
            out[kv[0]] = kv[1]
    return out


def _merged(lines: list[bytes], keys: Mapping[str, str], path: PurePath) -> list[bytes]:
    """``lines`` with ``keys`` set: in place where present (later duplicates dropped), else appended."""
    wanted = {k.casefold(): k for k in keys}
    done: set[str] = set()
    out = []
    for ln in lines:
        kv = _parse(ln)
        if kv is None:
            if ln.strip():
                out.append(ln)  # not a key line: kept as it is (blank lines go, as xlwings does)
            continue
        k = kv[0].casefold()
        if k in wanted:
            if k not in done:
                out.append(_line(wanted[k], keys[wanted[k]], path))
                done.add(k)
            continue
        out.append(ln)
    out += [_line(k, keys[k], path) for k in keys if k.casefold() not in done]
    return out


def _without(lines: list[bytes], keys: Mapping[str, str]) -> tuple[list[bytes], list[str], list[str]]:
    """``lines`` without the ``keys`` that still hold the given values; (lines, removed, kept)."""
    want = {k.casefold(): v for k, v in keys.items()}
    out, removed, kept = [], [], []
    for ln in lines:
        kv = _parse(ln)
        if kv is not None and kv[0].casefold() in want:
            if kv[1] == want[kv[0].casefold()]:
                removed.append(kv[0])
                continue
            kept.append(kv[0])
        if ln.strip():
            out.append(ln)
    return out, removed, kept


def _write(path: Path, data: bytes, step: str) -> None:
    write_bytes_atomically(path, data, step, busy="permission denied: if Excel is running, quit Excel and try again")


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _versions() -> dict[str, str]:
    out = {}
    for name in ("kpixl", "xlwings"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# ---- install / uninstall / status --------------------------------------------------------------


def explain(action: str, platform: str | None = None) -> str:
    """What ``kpixl addin <action>`` would do, and why it cannot here (Linux, macOS)."""
    platform = platform or sys.platform
    p = places(platform)
    keys = _windows_keys()
    what = {
        "install": [f"copy {ADDIN_NAME} (from {packaged_addin()}) to Excel's start-up folder: {p.addin}",
                    f"write the add-in's configuration {p.config} (merged with what is there; backup {p.backup.name}):"]
                   + [f'    "{k}","{v}"' for k, v in keys.items()],
        "uninstall": [f"remove {p.addin}", f"remove the keys install wrote from {p.config} ({', '.join(keys)})"],
        "status": [f"look for {p.addin} and compare it with the packaged add-in", f"read {p.config}"],
    }[action]
    if _is_mac(platform):
        why = ("kpixl's add-in is made for Excel on Windows: its worksheet functions (UDFs) need Windows, and on "
               "macOS xlwings' add-in works differently (an AppleScript installed by `xlwings runpython install`, "
               "and sandboxed folders). On a Mac, use the kpixl commands, which do what the buttons do "
               "(kpixl generate, kpixl distribute, …), or Excel on Windows.")
    else:
        why = (f"there is no Excel on {platform}: the add-in runs in Excel on Windows. Here, use the kpixl commands, "
               "which do what the ribbon's buttons do (kpixl generate, kpixl distribute, kpixl check, …); on Windows, "
               "install kpixl's wheel with its excel extra (pip install \"kpixl-<version>-py3-none-any.whl[excel]\", "
               "see the README's Install), then `kpixl addin install`.")
    return "\n".join([f"kpixl addin {action} would, on Windows:"] + [f"  {w}" for w in what]
                     + [f"It cannot here: {why}"])


def _require_windows(action: str, platform: str) -> None:
    if not is_windows(platform):
        raise NotSupported(explain(action, platform))


@dataclass
class Done:
    """What install or uninstall did, one line per step."""

    places: Places
    steps: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "\n".join(self.steps)


def install(*, platform: str | None = None, appdata: str | os.PathLike | None = None, home: str | os.PathLike | None = None,
            source: str | os.PathLike | None = None, executable: str | None = None,
            environ: Mapping[str, str] | None = None) -> Done:
    """Copy the add-in into XLSTART and write its configuration (Windows).

    Running it again changes nothing that is already right (no new copy, no new backup).

    Args:
        platform, appdata, home: This machine by default (see :func:`places`).
        source: The add-in to install; default: the packaged one.
        executable, environ: The Python and environment the add-in is to run
            (default: this one; see :func:`settings`).

    Raises:
        NotSupported: Not Windows; the message says what would be done and why not.
        FileProblem: The add-in is not built, or a file cannot be written (Excel holds it).
    """
    platform = platform or sys.platform
    _require_windows("install", platform)
    p = places(platform, appdata, home)
    if _versions()["xlwings"] == "not installed":  # an optional extra: the core runs without it
        raise FileProblem(Path(sys.executable), "installing the add-in",
                          'the add-in runs Python through xlwings, which is not installed here: install kpixl with its '
                          'excel extra (pip install "kpixl-<version>-py3-none-any.whl[excel]") or pip install '
                          'xlwings==0.37.8, then run this again')
    src = Path(source) if source is not None else packaged_addin()
    if not src.is_file():
        raise FileProblem(src, "finding the add-in",
                          f"{src.name} is not built in this installation of kpixl; install a kpixl release "
                          "(whose wheel holds it) or build it (kpixl/addin/build.py), or give one with --addin FILE")
    done = Done(p)
    target = Path(p.addin)
    data = src.read_bytes()
    if _sha256(target) == hashlib.sha256(data).hexdigest():
        done.steps.append(f"add-in already installed: {target}")
    else:
        _write(target, data, "copying the add-in into Excel's start-up folder")
        done.steps.append(f"copied {src} → {target}")

    keys = settings(executable, environ, platform)
    config = Path(p.config)
    before = _lines(config)
    after = _merged(before, keys, config)
    if after == before:
        done.steps.append(f"configuration already set: {config}")
    else:
        if before:
            _write(Path(p.backup), b"".join(before), "backing up the configuration")
            done.steps.append(f"backup of the previous configuration: {p.backup}")
        _write(config, b"".join(after), "writing the configuration")
        done.steps.append(f"wrote {', '.join(keys)} to {config}")
    record = {"addin": str(target), "addin_sha256": hashlib.sha256(data).hexdigest(), "config": str(config),
              "keys": keys, **_versions(), "installed_at": _now()}
    old = _record(Path(p.record))
    if old is None or {k: v for k, v in old.items() if k != "installed_at"} != {k: v for k, v in record.items() if k != "installed_at"}:
        _write(Path(p.record), (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
                          "recording the install")
    done.steps.append("start (or restart) Excel: the kpixl tab appears on the ribbon")
    return done


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _record(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def uninstall(*, platform: str | None = None, appdata: str | os.PathLike | None = None,
              home: str | os.PathLike | None = None) -> Done:
    """Remove the add-in from XLSTART and the configuration keys install wrote (Windows).

    A key the user changed since the install is kept (and said so); other keys are never
    touched; a configuration left empty is removed. Running it again is harmless.

    Raises:
        NotSupported: Not Windows.
        FileProblem: A file cannot be removed (Excel holds the add-in open).
    """
    platform = platform or sys.platform
    _require_windows("uninstall", platform)
    p = places(platform, appdata, home)
    done = Done(p)
    target = Path(p.addin)
    try:
        target.unlink()
        done.steps.append(f"removed {target}")
    except FileNotFoundError:
        done.steps.append(f"no add-in to remove at {target}")
    except PermissionError:
        raise FileProblem(target, "removing the add-in", "Excel holds it open: quit Excel and try again") from None

    config, record_path = Path(p.config), Path(p.record)
    record = _record(record_path)
    keys = record["keys"] if record else settings(platform=platform)
    before = _lines(config)
    after, removed, kept = _without(before, keys)
    if removed:
        _write(Path(p.backup), b"".join(before), "backing up the configuration")
        if after:
            _write(config, b"".join(after), "writing the configuration")
            done.steps.append(f"removed {', '.join(removed)} from {config}")
        else:
            config.unlink()
            done.steps.append(f"removed {config} (kpixl's keys were all it held)")
        done.steps.append(f"backup of the previous configuration: {p.backup}")
    else:
        done.steps.append(f"no kpixl keys in {config}")
    if kept:
        done.steps.append(f"kept {', '.join(kept)}: changed since kpixl wrote them")
    if record is not None:
        record_path.unlink()
    return done


@dataclass
class Status:
    """What is installed.

    Attributes:
        places: Where things are (or would be).
        supported: Whether this platform can install the add-in.
        addin_present: Whether the add-in is in XLSTART (None: cannot be looked at here).
        addin_current: Whether it is the packaged add-in, byte for byte (None: unknown,
            e.g. the packaged add-in is not built).
        packaged: The packaged add-in, and whether it is built.
        config: The configuration's keys.
        expected: The keys install would write for this Python.
        versions: ``{"kpixl": …, "xlwings": …}``.
    """

    places: Places
    supported: bool
    addin_present: bool | None
    addin_current: bool | None
    packaged: Path
    packaged_built: bool
    config: dict[str, str]
    expected: dict[str, str]
    versions: dict[str, str]

    def summary(self) -> str:
        p = self.places
        if self.addin_present is None:
            addin = f"add-in: {p.addin} (Windows)"
        elif not self.addin_present:
            addin = f"add-in: not installed (kpixl addin install puts it at {p.addin})"
        else:
            same = {True: "the packaged version", False: "NOT the packaged version: run kpixl addin install",
                    None: "cannot compare: the packaged add-in is not built"}[self.addin_current]
            addin = f"add-in: installed at {p.addin} ({same})"
        lines = [addin, f"packaged add-in: {self.packaged}" + ("" if self.packaged_built else " (not built)"),
                 f"configuration: {p.config}" + ("" if self.config or self.addin_present is None else " (none)")]
        lower = {k.casefold(): v for k, v in self.config.items()}
        for k, v in self.expected.items():
            have = lower.get(k.casefold())
            mark = "" if self.addin_present is None else "  ok" if have == v else "  (not set)" if have is None else f"  (set to {have!r})"
            lines.append(f'    "{k}","{v}"{mark}')
        others = [k for k in self.config if k.casefold() not in {e.casefold() for e in self.expected}]
        if others:
            lines.append(f"    other keys: {', '.join(others)}")
        lines.append(f"kpixl {self.versions['kpixl']}, xlwings {self.versions['xlwings']}")
        return "\n".join(lines)


def status(*, platform: str | None = None, appdata: str | os.PathLike | None = None, home: str | os.PathLike | None = None,
           source: str | os.PathLike | None = None, executable: str | None = None,
           environ: Mapping[str, str] | None = None) -> Status:
    """What is installed where; on a platform without the add-in, where it would be.

    Args:
        platform, appdata, home: This machine by default (see :func:`places`).
        source: The add-in to compare the installed one with; default: the packaged one.
        executable, environ: The Python the configuration should name (see :func:`settings`).
    """
    platform = platform or sys.platform
    p = places(platform, appdata, home)
    src = Path(source) if source is not None else packaged_addin()
    built = src.is_file()
    if is_windows(platform):
        target = Path(p.addin)
        present = target.is_file()
        current = (_sha256(target) == _sha256(src)) if present and built else None
        config = read_config(Path(p.config))
        expected = settings(executable, environ, platform)
    else:
        present = current = None
        config = {}
        expected = _windows_keys()
    return Status(p, is_windows(platform), present, current, src, built, config, expected, _versions())
