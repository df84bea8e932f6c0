"""Following the README from the top — the demo and the whole tour — in a fresh copy of the
repository works, and leaves ``git status`` clean: no tracked file changed, nothing left
behind that is not git-ignored.

The copy is the working tree's files (tracked and new, not ignored) committed into a new
repository in a temporary folder, so that the test sees uncommitted changes as a clone
would see them once committed. Every command of the README between "The two commands"
and "For finance" runs there, in README order: ``bash`` blocks line by line (set-up
lines ``./scripts/…`` and ``. .venv/bin/activate`` are what the test environment already
did), ``$ kpixl …`` transcripts (their output must be the README's), ``python`` blocks.
``kpixl`` on PATH is this interpreter's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def tour_steps() -> list[tuple[str, str, str | None]]:
    """(kind, text, expected output) of every runnable step of the README's tour, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = text.index("## The two commands"), text.index("## For finance")
    steps: list[tuple[str, str, str | None]] = []
    for lang, body in re.findall(r"```(\w*)\n(.*?)```", text[start:end], flags=re.S):
        if lang == "" and body.startswith("$ kpixl "):
            first, _, rest = body.partition("\n")
            steps.append(("transcript", first[2:], rest.rstrip("\n")))
        elif lang == "bash":
            for line in body.replace("\\\n", " ").splitlines():
                line = re.sub(r"\s+#.*$", "", line).strip()
                if not line or line.startswith(("#", "./scripts/", ". ", "source ")):
                    continue
                steps.append(("bash", line, None))
        elif lang == "python":
            steps.append(("python", body, None))
    return steps


def test_the_tour_has_steps():
    kinds = [(k, t.split()[1] if k != "python" else "") for k, t, _ in tour_steps()]
    for cmd in ("demo", "check", "score", "generate", "distribute", "collect", "rate", "report", "year"):
        assert any(c == cmd for _, c in kinds), f"the README tour has no kpixl {cmd}"
    assert ("python", "") in kinds


def _git(cwd: Path, *args: str) -> str:
    r = subprocess.run(["git", "-c", "user.name=kpixl tests", "-c", "user.email=tests@kpixl.invalid",
                        "-c", "commit.gpgsign=false", *args],
                       cwd=cwd, capture_output=True, text=True, check=True)
    return r.stdout


def _fresh_copy(dest: Path) -> Path:
    if (ROOT / ".git").exists():
        listed = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
        files = sorted({f for f in listed if f and (ROOT / f).is_file()})
    else:  # pragma: no cover - an unpacked archive: every file but the usual litter
        files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()
                 and not {".venv", "__pycache__", ".pytest_cache", ".hypothesis"} & set(p.parts)]
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dest / f)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "fresh copy")
    return dest


def test_readme_tour_leaves_git_status_clean(tmp_path: Path):
    repo = _fresh_copy(tmp_path / "repo")
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "kpixl").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kpixl.cli "$@"\n', encoding="utf-8")
    (shim / "kpixl").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)

    for kind, text, expected in tour_steps():
        if kind == "python":
            r = subprocess.run([sys.executable, "-c", text], cwd=repo, env=env, capture_output=True, text=True)
        else:
            r = subprocess.run(["bash", "-c", text], cwd=repo, env=env, capture_output=True, text=True)
        out = (r.stdout + r.stderr).rstrip("\n")
        assert "Traceback" not in out, f"{text}\n{out}"
        if kind == "transcript":
            assert out == expected, f"README transcript `{text}` differs in a fresh copy"
        else:
            assert r.returncode == 0, f"README tour step failed: {text}\n{out}"

    # The tour did write its outputs — into ignored places.
    for made in ("kpixl-demo.xlsx", "tour/kam_monthly.xlsx", "tour/2026-11.xlsx", "tour/results.xlsx",
                 "tour/out/2026-11", "tour/年度汇总-2026.xlsx", "tour/pay-2026.xlsx"):
        assert (repo / made).exists(), made
    assert not _git(repo, "diff", "--name-only"), "the tour changed tracked files"
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""
