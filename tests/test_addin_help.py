"""The KPI_* functions' Insert Function help in kpixl.xlam, read back without Excel.

The add-in's VBA is read by oletools in strict mode (as tests/test_addin_build.py does)
and the help module is *evaluated* here by a small reader of the few statement forms it
uses (string literals, ``ChrW(n)``, ``&``, ``ReDim``, the ``KpixlDescribe`` calls): what
``MacroOptions`` would receive is compared with the functions' Python docstrings, parsed
here on their own. LibreOffice, reading the package as it reads any .xlsm, is a second,
independent reader of the VBA project.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Project

from kpixl.addin import build, udfhelp
from kpixl.addin._xlwings_udfs import udf_functions, udf_module
from kpixl.libreoffice import find_soffice

NAMES = ["KPI_BONUS", "KPI_CHECK", "KPI_COUNT", "KPI_DISTRIBUTE", "KPI_RATERS", "KPI_RATING", "KPI_RATIO",
         "KPI_RUBRIC", "KPI_STEP", "KPI_TIER", "KPI_TOTAL", "KPI_WEIGHTED"]


@pytest.fixture(scope="module")
def project() -> tuple[str, dict[str, str]]:
    """(Python codec of the project's code page, module name -> source) of the shipped add-in."""
    with zipfile.ZipFile(build.ADDIN_PATH) as z:
        data = z.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    vba = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    vba.parse_project_stream()
    list(vba.parse_modules())
    # Decoded with the codec of the project's own PROJECTCODEPAGE record: a byte the
    # code page cannot decode fails here, as it would garble in the VBA editor.
    return vba.codec, {m.name: bytes(m.code_raw).decode(vba.codec, errors="strict") for m in vba.modules}


# ---- a reader for the help module's VBA ----------------------------------------------------

_TOKEN = re.compile(r'\s*(?:"((?:[^"]|"")*)"|ChrW\((\d+)\)|(\w+(?:\(\d+\))?))\s*(?:&|$)')


def vba_value(expr: str, env: dict[str, str]) -> str:
    """A string expression of literals, ``ChrW(n)`` and variables joined by ``&``."""
    units: list[str] = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        assert m and m.end() > pos, f"not a string expression at {expr[pos:]!r}"
        literal, code, name = m.groups()
        if literal is not None:
            units.append(literal.replace('""', '"'))
        elif code is not None:
            units.append(chr(int(code)))
        else:
            units.append(env[name])
        pos = m.end()
    return "".join(units)  # UTF-16 units, as VBA holds strings (see _text)


def _text(units: str) -> str:
    """VBA's UTF-16 units as text: ChrW surrogate pairs join back into one character."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def evaluate_help(source: str) -> dict[str, tuple[str, str, list[str] | None]]:
    """Run ``KpixlRegisterHelp``'s body: function -> (category, description, argument docs)."""
    body = source.split(f"Public Sub {udfhelp.REGISTER}()", 1)[1].split("\nEnd Sub", 1)[0]
    env: dict[str, str] = {}
    size = 0
    calls = {}
    for line in body.splitlines():
        text = line.strip()
        if not text or text.startswith("'") or text.startswith("Dim ") or text == "ThisWorkbook.Saved = True":
            continue
        if m := re.fullmatch(r"ReDim a\(0 To (\d+)\)", text):
            size = int(m.group(1)) + 1
            env = {k: v for k, v in env.items() if not k.startswith("a(")}
        elif m := re.fullmatch(r"(\w+(?:\(\d+\))?) = (.+)", text):
            env[m.group(1)] = vba_value(m.group(2), env)
        elif m := re.fullmatch(r'KpixlDescribe "(\w+)", (.+), d, (a|Empty)', text):
            args = [_text(env[f"a({i})"]) for i in range(size)] if m.group(3) == "a" else None
            category = m.group(2) if m.group(2).isdigit() else _text(vba_value(m.group(2), env))
            calls[m.group(1)] = (category, _text(env["d"]), args)
        else:
            raise AssertionError(f"unexpected statement {text!r}")
    return calls


def docstring_help(f) -> tuple[str, list[str]]:
    """(summary, argument descriptions in signature order) read from a Google-style docstring."""
    doc = inspect.getdoc(f)
    head, _, rest = doc.partition("\nArgs:\n")
    docs: dict[str, str] = {}
    name = None
    for line in rest.splitlines():
        if line and not line.startswith(" "):
            break
        if m := re.match(r"    (\w+): (.*)", line):
            name = m.group(1)
            docs[name] = m.group(2)
        elif name and line.strip():
            docs[name] += " " + line.strip()
    params = list(inspect.signature(f).parameters)
    assert list(docs) == params, (f.__name__, list(docs), params)
    return " ".join(head.split()), [docs[p] for p in params]


# ---- the help the add-in sets ----------------------------------------------------------------


def test_every_kpi_function_gets_macro_options_from_its_docstring(project):
    _, sources = project
    calls = evaluate_help(sources[udfhelp.HELP_MODULE])
    assert sorted(calls) == NAMES
    functions = {f.__name__: f for f in udf_functions(udf_module("kpixl.udfs"))}
    for name, (category, description, args) in calls.items():
        summary, arg_docs = docstring_help(functions[name])
        assert category == "kpixl", name
        assert description == summary[:255] and 20 < len(description) <= 255, name
        assert args == [d[:255] for d in arg_docs], name  # one per argument, in order
        assert all(0 < len(a) <= 255 for a in args), name
        assert f"={name}(" in description, name  # the docstring's example call is part of the help


def test_macro_options_is_called_as_xlwings_calls_it_and_never_stops_loading(project):
    _, sources = project
    source = sources[udfhelp.HELP_MODULE]
    describe = source.split("Private Sub KpixlDescribe(", 1)[1].split("End Sub", 1)[0]
    first_call = describe.index("MacroOptions")
    assert describe.index("On Error Resume Next") < first_call
    assert "Dim xl As Object" in describe and "Set xl = Application" in describe  # late bound
    assert "target = \"'\" & ThisWorkbook.Name & \"'!\" & fn" in describe
    assert "If Val(xl.Version) >= 14 And IsArray(argDocs) Then" in describe
    assert ("xl.MacroOptions Macro:=target, Description:=desc, Category:=cat, ArgumentDescriptions:=argDocs"
            in describe)
    assert "xl.MacroOptions Macro:=target, Description:=desc, Category:=cat\n" in describe.replace("\r\n", "\n")
    this_workbook = sources["ThisWorkbook"].replace("\r\n", "\n")
    assert "Private Sub Workbook_Open()\n    On Error Resume Next\n    KpixlRegisterHelp\nEnd Sub" in this_workbook
    assert sources[udfhelp.HELP_MODULE].count(f"Public Sub {udfhelp.REGISTER}()") == 1


def test_vba_source_fits_the_code_page_and_line_limits(project):
    codec, sources = project
    assert codec == "cp1252"
    for name, source in sources.items():
        assert source.encode(codec) == source.encode("ascii"), name  # ASCII: same bytes in any ANSI code page
        for statement in re.split(r"(?<! _)\r\n", source):
            assert statement.count(" _\r\n") <= 24, name  # VBA's line-continuation limit
        assert max(len(line) for line in source.split("\r\n")) <= 1023, name
    assert max(len(line) for line in sources[udfhelp.HELP_MODULE].split("\r\n")) <= udfhelp.MAX_LINE


# ---- the generator on awkward text -------------------------------------------------------------


def _assigned(text: str) -> tuple[str, list[str]]:
    help_ = udfhelp.FunctionHelp("F", "kpixl", text, (text,))
    source = udfhelp.help_vba([help_])
    return source, evaluate_help(source)["F"]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_survives_as_ascii_vba(text):
    source, (category, description, args) = _assigned(text)
    assert (category, description, args) == ("kpixl", text, [text])
    source.encode("ascii")
    assert max(len(line) for line in source.splitlines()) <= udfhelp.MAX_LINE


@pytest.mark.parametrize("text", ["", '"', 'say ""hi""', "分值 越高越好", "😀 x", "a" * 1000, '"' * 300, "\t\n\r"])
def test_edge_texts_survive(text):
    _, (_, description, args) = _assigned(text)
    assert description == text and args == [text]


def test_summary_is_the_text_before_args():
    doc = "First line\n    goes on.\n\n    =F(1) is 2.\n\n    Args:\n        x: The x.\n    "
    assert udfhelp.summary(doc) == "First line goes on. =F(1) is 2."


def test_a_function_without_arguments_gets_no_argument_descriptions():
    source = udfhelp.help_vba([udfhelp.FunctionHelp("NOW2", 3, "Now.", ())])
    assert evaluate_help(source)["NOW2"] == ("3", "Now.", None)
    assert 'KpixlDescribe "NOW2", 3, d, Empty' in source


# ---- LibreOffice reads the VBA project -------------------------------------------------------


def test_libreoffice_imports_every_module_of_the_addin(project):
    _, sources = project
    with tempfile.TemporaryDirectory(prefix="kpixl-xlam-") as tmp:
        tmp = Path(tmp)
        (tmp / "kpixl.xlam").write_bytes(build.ADDIN_PATH.read_bytes())
        (tmp / "profile").mkdir()
        subprocess.run(
            [find_soffice(), f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless", "--norestore",
             "--infilter=Calc MS Excel 2007 VBA XML", "--convert-to", "ods", "--outdir", str(tmp),
             str(tmp / "kpixl.xlam")], capture_output=True, timeout=180, check=False)
        with zipfile.ZipFile(tmp / "kpixl.ods") as z:
            basic = {Path(n).stem: z.read(n).decode("utf-8") for n in z.namelist()
                     if n.startswith("Basic/kpixl/") and not n.endswith("script-lb.xml")}
    assert set(basic) == set(sources)
    for name, xml in basic.items():
        code = ET.fromstring(xml).text.replace("\r\n", "\n")
        # LibreOffice drops the Attribute lines and adds its own header; the code is the same.
        ours = "\n".join(line for line in sources[name].replace("\r\n", "\n").split("\n")
                         if not line.startswith("Attribute VB_"))
        assert ours.strip() in code, name
        assert "Option VBASupport 1" in code, name
    assert "KpixlRegisterHelp" in basic["ThisWorkbook"]
