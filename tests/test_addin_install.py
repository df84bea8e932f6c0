"""``kpixl addin install|uninstall|status``: the Windows code path on a folder tree, and Linux.

The install functions take ``platform``, ``appdata`` and ``home``, so the Windows steps
run here against ``tmp_path`` and the tests check the exact bytes written: the add-in in
``%APPDATA%\\Microsoft\\Excel\\XLSTART``, and the ``"KEY","VALUE"`` lines (CRLF, as VBA's
``Write #`` and xlwings' ``config create`` on Windows write them) of
``%USERPROFILE%\\.kpixl\\kpixl.conf``, merged with what was there.
"""

from __future__ import annotations

import json
import sys

import pytest

from kpixl import FileProblem
from kpixl.addin import install as inst
from kpixl.cli import main as kpixl_main

PY = r"C:\Users\hr\kpixl\.venv\Scripts\python.exe"
NO_CONDA: dict[str, str] = {}


@pytest.fixture
def tree(tmp_path):
    """A Windows user's folders and a built add-in."""
    appdata, home = tmp_path / "AppData" / "Roaming", tmp_path / "Users" / "hr"
    appdata.mkdir(parents=True)
    home.mkdir(parents=True)
    addin = tmp_path / "build" / "kpixl.xlam"
    addin.parent.mkdir()
    addin.write_bytes(b"PK\x03\x04 a built add-in")
    where = dict(platform="win32", appdata=appdata, home=home)

    class Tree:
        xlstart = appdata / "Microsoft" / "Excel" / "XLSTART" / "kpixl.xlam"
        conf = home / ".kpixl" / "kpixl.conf"
        backup = home / ".kpixl" / "kpixl.conf.bak"
        record = home / ".kpixl" / "install.json"
        source = addin

        @staticmethod
        def install(**kw):
            return inst.install(**where, source=addin, executable=PY, environ=NO_CONDA, **kw)

        @staticmethod
        def uninstall():
            return inst.uninstall(**where)

        @staticmethod
        def status():
            return inst.status(**where, source=addin, executable=PY, environ=NO_CONDA)

    return Tree


OURS = f'"INTERPRETER_WIN","{PY}"\r\n"UDF MODULES","kpixl.udfs"\r\n'.encode()


def test_install_copies_the_addin_to_xlstart_and_writes_the_config(tree):
    done = tree.install()
    assert tree.xlstart.read_bytes() == tree.source.read_bytes()
    assert tree.conf.read_bytes() == OURS
    assert not tree.backup.exists()  # nothing was there to back up
    record = json.loads(tree.record.read_text(encoding="utf-8"))
    assert record["keys"] == {"INTERPRETER_WIN": PY, "UDF MODULES": "kpixl.udfs"}
    assert record["xlwings"] == "0.37.8" and record["addin"] == str(tree.xlstart)
    assert f"copied {tree.source} → {tree.xlstart}" in done.summary()
    assert not [p for p in tree.xlstart.parent.iterdir() if p.name != "kpixl.xlam"]  # no temporary files left


def test_install_merges_an_existing_config_and_keeps_a_backup(tree):
    tree.conf.parent.mkdir(parents=True)
    before = b'"PYTHONPATH","C:\\work"\n\n"interpreter_win","C:\\old\\python.exe"\n"SHOW CONSOLE","True"\n"INTERPRETER_WIN","C:\\dup.exe"\n'
    tree.conf.write_bytes(before)
    tree.install()
    assert tree.conf.read_bytes() == (b'"PYTHONPATH","C:\\work"\n' + f'"INTERPRETER_WIN","{PY}"\r\n'.encode()
                                      + b'"SHOW CONSOLE","True"\n"UDF MODULES","kpixl.udfs"\r\n')
    assert tree.backup.read_bytes() == before
    assert inst.read_config(tree.conf) == {"PYTHONPATH": "C:\\work", "INTERPRETER_WIN": PY, "SHOW CONSOLE": "True",
                                           "UDF MODULES": "kpixl.udfs"}


def test_install_twice_changes_nothing(tree):
    tree.install()
    stamps = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (tree.xlstart, tree.conf, tree.record)}
    done = tree.install()
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in stamps} == stamps
    assert not tree.backup.exists()
    assert "add-in already installed" in done.summary() and "configuration already set" in done.summary()


def test_a_new_addin_replaces_the_old_one(tree):
    tree.install()
    tree.source.write_bytes(b"PK\x03\x04 version 2")
    tree.install()
    assert tree.xlstart.read_bytes() == b"PK\x03\x04 version 2"
    assert json.loads(tree.record.read_text(encoding="utf-8"))["addin_sha256"] == inst._sha256(tree.source)


def test_in_a_conda_environment_the_conda_keys_are_written_as_xlwings_does(tree, tmp_path):
    env = {"CONDA_DEFAULT_ENV": "kpixl", "CONDA_EXE": r"C:\Users\hr\miniconda3\Scripts\conda.exe"}
    inst.install(platform="win32", appdata=tmp_path / "AppData" / "Roaming", home=tmp_path / "Users" / "hr",
                 source=tree.source, executable=PY, environ=env)
    assert tree.conf.read_bytes() == (b'"CONDA PATH","C:\\Users\\hr\\miniconda3"\r\n"CONDA ENV","kpixl"\r\n'
                                      b'"UDF MODULES","kpixl.udfs"\r\n')


def test_an_addin_not_built_is_a_clear_problem(tree, tmp_path):
    with pytest.raises(FileProblem, match="not built in this installation"):
        inst.install(platform="win32", appdata=tmp_path / "AppData" / "Roaming", home=tmp_path / "Users" / "hr",
                     source=tmp_path / "missing.xlam", executable=PY, environ=NO_CONDA)
    assert not tree.xlstart.exists() and not tree.conf.exists()


def test_a_quote_cannot_be_written_into_the_config(tree):
    with pytest.raises(FileProblem, match="quote"):
        inst.install(platform="win32", appdata=tree.xlstart.parents[3], home=tree.conf.parents[1],
                     source=tree.source, executable='C:\\a"b\\python.exe', environ=NO_CONDA)


def test_uninstall_removes_the_addin_and_only_the_keys_install_wrote(tree):
    tree.conf.parent.mkdir(parents=True)
    tree.conf.write_bytes(b'"PYTHONPATH","C:\\work"\r\n')
    tree.install()
    done = tree.uninstall()
    assert not tree.xlstart.exists() and not tree.record.exists()
    assert tree.conf.read_bytes() == b'"PYTHONPATH","C:\\work"\r\n'
    assert tree.backup.read_bytes() == b'"PYTHONPATH","C:\\work"\r\n' + OURS
    assert f"removed {tree.xlstart}" in done.summary()
    again = tree.uninstall()  # harmless
    assert "no add-in to remove" in again.summary() and "no kpixl keys" in again.summary()
    assert tree.conf.read_bytes() == b'"PYTHONPATH","C:\\work"\r\n'


def test_uninstall_removes_a_config_that_held_only_kpixl_keys_and_keeps_a_changed_key(tree):
    tree.install()
    tree.uninstall()
    assert not tree.conf.exists() and tree.backup.read_bytes() == OURS

    tree.install()
    tree.conf.write_bytes(tree.conf.read_bytes().replace(b"kpixl.udfs", b"kpixl.udfs;my_udfs"))
    done = tree.uninstall()
    assert tree.conf.read_bytes() == b'"UDF MODULES","kpixl.udfs;my_udfs"\r\n'
    assert "kept UDF MODULES: changed since kpixl wrote them" in done.summary()


def test_status_says_what_is_installed(tree):
    before = tree.status()
    assert before.supported and before.addin_present is False and before.config == {}
    assert "add-in: not installed" in before.summary() and '"UDF MODULES","kpixl.udfs"  (not set)' in before.summary()
    tree.install()
    after = tree.status()
    assert after.addin_present and after.addin_current
    assert after.config == {"INTERPRETER_WIN": PY, "UDF MODULES": "kpixl.udfs"}
    assert f"add-in: installed at {tree.xlstart} (the packaged version)" in after.summary()
    assert f'"INTERPRETER_WIN","{PY}"  ok' in after.summary()
    assert after.versions["xlwings"] == "0.37.8" and "xlwings 0.37.8" in after.summary()
    tree.xlstart.write_bytes(b"an older add-in")
    assert tree.status().addin_current is False and "NOT the packaged version" in tree.status().summary()


# ---- Linux and macOS ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_on_linux_install_and_uninstall_explain_themselves(action, tmp_path):
    with pytest.raises(inst.NotSupported) as e:
        getattr(inst, action)(platform="linux", appdata=tmp_path, home=tmp_path)
    text = str(e.value)
    assert text.startswith(f"kpixl addin {action} would, on Windows:")
    assert r"%APPDATA%\Microsoft\Excel\XLSTART\kpixl.xlam" in text and r"%USERPROFILE%\.kpixl\kpixl.conf" in text
    assert "no Excel on linux" in text
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_on_macos_the_explanation_says_what_to_do_instead():
    with pytest.raises(inst.NotSupported, match="xlwings runpython install") as e:
        inst.install(platform="darwin")
    assert "kpixl generate" in str(e.value)


@pytest.mark.skipif(sys.platform.startswith("win"), reason="the command's Linux/macOS behaviour")
def test_the_command_on_this_machine_explains_itself(capfd):
    assert kpixl_main(["addin", "install"]) == 2
    out, err = capfd.readouterr()
    assert "kpixl addin install would, on Windows:" in err and '"UDF MODULES","kpixl.udfs"' in err
    assert kpixl_main(["addin", "uninstall"]) == 2
    assert kpixl_main(["addin", "status"]) == 0
    out, err = capfd.readouterr()
    assert out.startswith(r"add-in: %APPDATA%\Microsoft\Excel\XLSTART\kpixl.xlam (Windows)")
    assert "xlwings 0.37.8" in out and "It cannot here" in err


def test_the_config_file_is_the_one_the_built_addin_reads():
    from kpixl.addin import build

    # The VBA reads %USERPROFILE%\.<PROJECT_NAME>\<PROJECT_NAME>.conf (xlwings' GetConfigFilePath).
    assert build.PROJECT_NAME == inst.PROJECT_NAME == "kpixl"
    assert inst.places("win32", appdata="A", home="H").config.parts[-2:] == (".kpixl", "kpixl.conf")


def test_install_copies_the_packaged_addin_by_default(tmp_path):
    inst.install(platform="win32", appdata=tmp_path / "AppData", home=tmp_path / "hr", executable=PY, environ=NO_CONDA)
    installed = tmp_path / "AppData" / "Microsoft" / "Excel" / "XLSTART" / "kpixl.xlam"
    assert installed.read_bytes() == inst.packaged_addin().read_bytes()
    assert inst.status(platform="win32", appdata=tmp_path / "AppData", home=tmp_path / "hr").addin_current
