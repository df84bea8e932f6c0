"""The project's one gateway to LibreOffice headless (recalculation and conversion).

Every call starts ``soffice`` with its own fresh, temporary user profile whose
``registrymodifications.xcu`` forces recalculation on load for OOXML and ODF files
(LibreOffice's default for OOXML is "never", so re-saved or templated files would be
read back with stale cached values). Private profiles also let concurrent calls and
parallel test workers run side by side, and keep LibreOffice out of ``~/.config``.

Inputs are copied into a private staging folder under unique names, so files with the
same name in different folders can go through one ``soffice`` call. Outputs are named
``<stem>.<ext>`` in ``outdir``; a repeated stem gets ``-2``, ``-3``, ... appended, in
input order. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

__all__ = ["LibreOfficeError", "find_soffice", "recalculate", "convert", "pdf_to_png"]

_PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_FALLBACKS = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)


class LibreOfficeError(RuntimeError):
    """A LibreOffice (or pdftoppm) step failed; the message names the step and stderr."""


def find_soffice() -> str | None:
    """Locate the LibreOffice executable.

    Returns:
        The path from ``$KPIXL_SOFFICE`` if set, else ``soffice`` or ``libreoffice`` on
        ``PATH``, else a usual install location; ``None`` when none exists.
    """
    env = os.environ.get("KPIXL_SOFFICE")
    if env:
        return env if os.access(env, os.X_OK) else None
    found = shutil.which("soffice") or shutil.which("libreoffice")
    return found or next((p for p in _FALLBACKS if os.access(p, os.X_OK)), None)


def _run(step: str, cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run ``cmd`` in its own process group; kill the whole group on timeout."""
    try:  # own session = own process group, so a timeout kills soffice.bin too
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
    except OSError as exc:
        raise LibreOfficeError(f"{step}: cannot start {cmd[0]!r}: {exc}") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        raise LibreOfficeError(f"{step}: timed out after {timeout} s (process group "
                               f"killed); stderr: {err.strip()}") from None
    err = "\n".join(line for line in err.splitlines() if "javaldx" not in line)  # noise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _unique_stems(paths: list[Path]) -> list[str]:
    """One output stem per input, in order; repeats become ``stem-2``, ``stem-3``, ..."""
    used: set[str] = set()
    stems = []
    for p in paths:
        stem, n = p.stem, 1
        while stem.casefold() in used:
            n += 1
            stem = f"{p.stem}-{n}"
        used.add(stem.casefold())
        stems.append(stem)
    return stems


def convert(paths: list[Path], outdir: Path, fmt: str, *, timeout: float = 300) -> list[Path]:
    """Convert many files in one ``soffice --convert-to`` call, recalculating on load.

    Args:
        paths: Input documents (xlsx, ods, ...); they are only read.
        outdir: Folder for the outputs; created if missing. Existing files are replaced,
            so ``outdir`` may be the inputs' own folder.
        fmt: A ``--convert-to`` target such as ``"pdf"`` or ``"xlsx:Calc MS Excel 2007
            XML"``; the part before ``:`` is the output extension.
        timeout: Seconds before the ``soffice`` process group is killed.

    Returns:
        The output paths, in input order.

    Raises:
        LibreOfficeError: If an input or ``soffice`` is missing, ``soffice`` times out,
            or an output was not written (then no output is moved into ``outdir``).
    """
    return _soffice(f"convert to {fmt.split(':', 1)[0]}", paths, outdir, fmt, timeout)


def recalculate(paths: list[Path], outdir: Path, *, timeout: float = 300) -> list[Path]:
    """Recalculate many .xlsx files in one ``soffice`` call and save them as .xlsx.

    Every formula is recomputed on load, ignoring cached values, so
    ``openpyxl.load_workbook(out, data_only=True)`` reads LibreOffice's results.
    Arguments, return value and errors are as for :func:`convert`.
    """
    return _soffice("recalculate", paths, outdir, "xlsx:Calc MS Excel 2007 XML", timeout)


def _soffice(step: str, paths, outdir, fmt: str, timeout: float) -> list[Path]:
    paths, outdir, ext = [Path(p) for p in paths], Path(outdir), fmt.split(":", 1)[0]
    if not paths:
        return []
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise LibreOfficeError(f"{step}: input file(s) not found: {', '.join(missing)}")
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError(f"{step}: soffice not found; run scripts/setup-system")
    stems = _unique_stems(paths)
    with tempfile.TemporaryDirectory(prefix="kpixl-lo-") as tmp:
        profile, staged, produced = Path(tmp, "profile"), Path(tmp, "in"), Path(tmp, "out")
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE_XCU, "utf-8")
        staged.mkdir()
        inputs = [shutil.copyfile(p, staged / f"{s}{p.suffix}") for p, s in zip(paths, stems)]
        cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--convert-to", fmt,
               "--outdir", str(produced), *map(str, inputs)]
        result = _run(step, cmd, timeout)
        for p, stem in zip(paths, stems):
            if not (produced / f"{stem}.{ext}").is_file():
                raise LibreOfficeError(
                    f"{step}: no output for {p} (soffice exit {result.returncode}); "
                    f"stderr: {result.stderr.strip()} stdout: {result.stdout.strip()}")
        outdir.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.move(produced / f"{s}.{ext}", outdir / f"{s}.{ext}"))
                for s in stems]


def pdf_to_png(pdf: Path, out_prefix: Path, dpi: int = 70, first_page_only: bool = True,
               *, timeout: float = 120) -> Path:
    """Render a PDF to PNG with ``pdftoppm``.

    Args:
        pdf: The PDF file.
        out_prefix: Output path without extension.
        dpi: Resolution.
        first_page_only: Render only page 1, as ``<out_prefix>.png``. Otherwise every page
            is written as ``<out_prefix>-<n>.png`` (pdftoppm's numbering).
        timeout: Seconds before ``pdftoppm`` is killed.

    Returns:
        The PNG of the first page.

    Raises:
        LibreOfficeError: If ``pdftoppm`` is missing, fails, or writes no PNG.
    """
    pdf, out_prefix = Path(pdf), Path(out_prefix)
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise LibreOfficeError("pdf_to_png: pdftoppm not found; run scripts/setup-system")
    out_prefix.parent.mkdir(parents=True, exist_ok=True)
    pages = ["-f", "1", "-l", "1", "-singlefile"] if first_page_only else []
    result = _run("pdf_to_png", [exe, "-r", str(dpi), "-png", *pages, str(pdf),
                                 str(out_prefix)], timeout)
    if first_page_only:
        first = out_prefix.with_name(out_prefix.name + ".png")
    else:  # pdftoppm pads page numbers to the page count's width: page-01.png, ...
        n = len(out_prefix.name) + 1
        pngs = [q for q in out_prefix.parent.glob(f"{out_prefix.name}-*.png")
                if q.stem[n:].isdigit()]
        first = min(pngs, key=lambda q: int(q.stem[n:]), default=out_prefix)
    if result.returncode != 0 or first.suffix != ".png" or not first.is_file():
        raise LibreOfficeError(f"pdf_to_png: pdftoppm exit {result.returncode} for {pdf}; "
                               f"stderr: {result.stderr.strip()}")
    return first
