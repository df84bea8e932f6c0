"""The house layout holds: no import cycle, no private name across modules, small folders.

Runs ``scripts/check-layout`` (the README's architecture section says why each rule).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check-layout"


def run(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(root / "scripts" / "check-layout")], capture_output=True, text=True)


def test_the_repository_keeps_its_layout():
    proc = run(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "layout ok" in proc.stdout


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A tiny copy of the layout: the script, and kpixl/udfs/macros packages to break."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "check-layout").write_text(SCRIPT.read_text(encoding="utf-8"), encoding="utf-8")
    for pkg in ("kpixl", "kpixl/a", "udfs", "macros"):
        (tmp_path / pkg).mkdir(exist_ok=True)
        (tmp_path / pkg / "__init__.py").write_text("")
    return tmp_path


def write(root: Path, name: str, code: str) -> None:
    (root / name).write_text(textwrap.dedent(code), encoding="utf-8")


def test_a_cycle_through_a_late_import_is_found(tree: Path):
    write(tree, "kpixl/a/one.py", "from . import two\n")
    write(tree, "kpixl/a/two.py", "def f():\n    from .one import g\n")
    proc = run(tree)
    assert proc.returncode == 1
    assert "import cycle: kpixl.a.one -> kpixl.a.two -> kpixl.a.one" in proc.stdout


def test_a_cycle_through_a_package_init_is_found(tree: Path):
    # kpixl.b imports kpixl.a.leaf; that runs kpixl/a/__init__ first, which imports kpixl.b back
    # (as report -> relabel -> the collect package -> report did at run time).
    write(tree, "kpixl/a/__init__.py", "from ..b import f\n")
    write(tree, "kpixl/a/leaf.py", "x = 1\n")
    write(tree, "kpixl/b.py", "def f():\n    from .a.leaf import x\n")
    proc = run(tree)
    assert proc.returncode == 1
    assert "import cycle: kpixl.a -> kpixl.b -> kpixl.a" in proc.stdout


def test_a_module_inside_the_package_may_import_its_siblings(tree: Path):
    write(tree, "kpixl/a/__init__.py", "from .one import g\n")
    write(tree, "kpixl/a/one.py", "from .two import x\ng = x\n")
    write(tree, "kpixl/a/two.py", "x = 1\n")
    proc = run(tree)
    assert proc.returncode == 0, proc.stdout


def test_private_names_across_modules_are_found(tree: Path):
    write(tree, "kpixl/a/one.py", "_secret = 1\n")
    write(tree, "kpixl/a/_inner.py", "x = 1\n")
    write(tree, "kpixl/two.py", "from .a.one import _secret\nfrom .a import one\ny = one._secret\n")
    write(tree, "udfs/f.py", "from kpixl.a._inner import x\n")
    write(tree, "kpixl/a/three.py", "from ._inner import x\n")  # its own package: allowed
    out = run(tree).stdout
    assert "kpixl/two.py:1: imports private name _secret from kpixl.a.one" in out
    assert "kpixl/two.py:3: uses private name _secret of kpixl.a.one" in out
    assert "udfs/f.py:1: private module kpixl.a._inner imported from outside kpixl.a" in out
    assert "three.py" not in out


def test_a_crowded_folder_is_found(tree: Path):
    for k in range(16):
        write(tree, f"kpixl/a/m{k}.py", "")
    assert "kpixl/a/: 16 modules (at most 15)" in run(tree).stdout


def test_the_core_runs_without_xlwings():
    """xlwings is the optional ``excel`` extra: nothing but udfs/, macros/ and the add-in build needs it."""
    code = ("import sys; sys.modules['xlwings'] = None\n"  # any import of xlwings now fails
            "import kpixl, kpixl.cli.commands, kpixl.card.generate, kpixl.card.distribute, kpixl.master.collect, "
            "kpixl.master.rate, kpixl.master.report, kpixl.results.verify, kpixl.addin.install, kpixl.demo\n"
            "print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr
