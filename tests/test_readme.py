"""The README's command transcripts are executed: docs that are not run drift.

Every fenced block whose first line is ``$ kpixl …`` is run from the repository root
(in a temporary copy of the working directory for commands that write files) and its
output must equal the lines that follow in the README.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def transcripts() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```\n(\$ kpixl [^\n]*)\n(.*?)```", text, flags=re.S):
        out.append((block[0][2:], block[1].rstrip("\n")))
    return out


def test_readme_has_transcripts():
    cmds = [c for c, _ in transcripts()]
    assert any(c.startswith("kpixl demo") for c in cmds)
    assert any(c.startswith("kpixl score") for c in cmds)
    assert any(c.startswith("kpixl check") for c in cmds)


#: Commands that write into their first argument (a master): it is copied, once, into a
#: folder the transcripts share, so that collect → rate → report run in README order.
WRITES_MASTER = ("collect", "rate", "report")
#: Where the tour's masters come from: a template of workbooks/, or an example period master.
MASTER_SOURCES = (ROOT / "workbooks", ROOT / "examples" / "pay-months")


def _shared_master(shared: Path, arg: str) -> str:
    """The shared copy of a master the README names (tour/master.xlsx: of kam_monthly)."""
    master = shared / Path(arg).name
    if not master.exists():
        # The tour works on git-ignored copies: tour/kam_monthly.xlsx, tour/master.xlsx (the
        # HR master the examples are collected into, of kam_monthly), tour/pay-2026-10.xlsx.
        source = next((d / master.name for d in MASTER_SOURCES if (d / master.name).exists()),
                      ROOT / "workbooks" / "kam_monthly.xlsx")
        shutil.copy2(source, master)
    return str(master)


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("readme-masters")


@pytest.mark.parametrize("command,expected", transcripts(), ids=[c for c, _ in transcripts()])
def test_transcript(command: str, expected: str, tmp_path: Path, shared: Path):
    args = shlex.split(command)[1:]
    if args[0] in WRITES_MASTER:
        args[1] = _shared_master(shared, args[1])
    elif args[0] == "year":  # the year master and its period masters, in the shared folder
        args[1] = str(shared / Path(args[1]).name)
        args[2:] = [a if a.startswith("-") else _shared_master(shared, a) for a in args[2:]]
    # Paths in the README are relative to the repository root; outputs land in tmp_path.
    args = [str(ROOT / a) if (ROOT / a).exists() and not a.startswith("-") else a for a in args]
    r = subprocess.run([sys.executable, "-m", "kpixl.cli", *args], capture_output=True, text=True, cwd=tmp_path)
    assert "Traceback" not in r.stdout + r.stderr
    got = (r.stdout + r.stderr).rstrip("\n")
    assert got == expected
