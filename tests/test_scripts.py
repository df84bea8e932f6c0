"""The shell scripts a first hour meets: scripts/setup-system, scripts/kpixl, scripts/build-wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _stub(bin_dir: Path, name: str, body: str) -> None:
    (bin_dir / name).write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    (bin_dir / name).chmod(0o755)


def test_setup_system_waits_for_the_dpkg_lock(tmp_path):
    """apt-get update and install are given DPkg::Lock::Timeout, so a held lock is waited for."""
    stubs, log = tmp_path / "bin", tmp_path / "apt.log"
    stubs.mkdir()
    _stub(stubs, "dpkg-query", "exit 1")                       # every package missing
    _stub(stubs, "id", "echo 0")                               # as root: no sudo
    _stub(stubs, "apt-get", f'echo "$@" >> "{log}"')
    for cmd in ("soffice", "pdftoppm", "python3"):             # present once "installed"
        _stub(stubs, cmd, "exit 0")
    env = {**os.environ, "PATH": f"{stubs}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    r = subprocess.run([str(ROOT / "scripts" / "setup-system")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    calls = log.read_text(encoding="utf-8").splitlines()
    assert len(calls) == 2 and calls[0].endswith("update -q") and " install " in calls[1]
    assert all(c.startswith("-o DPkg::Lock::Timeout=600 ") for c in calls), calls


def test_scripts_kpixl_runs_kpixl(tmp_path):
    if not (ROOT / ".venv" / "bin" / "kpixl").exists():
        pytest.skip("no .venv here (the wrapper would create it)")
    r = subprocess.run([str(ROOT / "scripts" / "kpixl"), "check", str(ROOT / "examples" / "schemes" / "cs_monthly.yaml")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "cs_monthly" in r.stdout or "客服经理" in r.stdout


def test_build_wheel_holds_the_addin_the_templates_and_every_module(tmp_path):
    """scripts/build-wheel makes the wheel the README's Windows install uses."""
    r = subprocess.run([str(ROOT / "scripts" / "build-wheel"), str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = tmp_path.glob("kpixl-*-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert z.read("kpixl/data/kpixl.xlam") == (ROOT / "kpixl" / "data" / "kpixl.xlam").read_bytes()
        entry_points = next(z.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    templates = {p.name for p in (ROOT / "kpixl" / "data" / "templates").glob("*.xlsx")}
    assert templates and {f"kpixl/data/templates/{t}" for t in templates} <= names
    # Every module of the source tree is packaged (a new subpackage must be listed in pyproject.toml).
    sources = {f"kpixl/{p.relative_to(ROOT / 'kpixl').as_posix()}" for p in (ROOT / "kpixl").rglob("*.py")}
    sources |= {f"kpixl/{d}/{p.relative_to(ROOT / d).as_posix()}" for d in ("udfs", "macros") for p in (ROOT / d).rglob("*.py")}
    assert not sources - names, f"not in the wheel: {sorted(sources - names)}"
    assert "kpixl = kpixl.cli:main" in entry_points
    assert not (ROOT / "build").exists()
    # The README's Windows install names exactly this wheel.
    assert f'pip install "dist/{wheel.name}[excel]"' in (ROOT / "README.md").read_text(encoding="utf-8")
