"""The add-in kpixl.xlam, built here and checked with independent readers (DESIGN §8).

Excel is not available, so every layer is read back by something that is not this code:
oletools' ``decompress_stream`` for the MS-OVBA compression, olefile for the compound
file, oletools' strict ``VBA_Parser``/``VBA_Project`` for the VBA project, zipfile and
ElementTree for the package, xlwings' own generator for the UDF wrappers.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, VBA_Project, decompress_stream

import xlwings
from kpixl.addin import build, ovba
from kpixl.addin._xlwings_udfs import install, udf_functions, udf_module, vba_wrapper_source
from kpixl.addin.cfb import Storage, write_compound_file
from kpixl.addin.vbaproject import WORKBOOK_BASE, Module, _decrypt, _encrypt, build_vba_project, project_id
from kpixl.macros.registry import BUTTONS

XLWINGS_DIR = Path(xlwings.__file__).parent
REFERENCE_XLAM = XLWINGS_DIR / "quickstart_addin_ribbon.xlam"
CUSTOM_ADDIN_BAS = XLWINGS_DIR / "xlwings_custom_addin.bas"
SAMPLE = "addin_udfs_sample"  # tests/addin_udfs_sample.py


def _reference_vba() -> olefile.OleFileIO:
    with zipfile.ZipFile(REFERENCE_XLAM) as z:
        return olefile.OleFileIO(z.read("xl/vbaProject.bin"))


def _strict_modules(vba_project: bytes) -> dict[str, bytes]:
    """Module name -> decompressed source, read by oletools in strict mode."""
    ole = olefile.OleFileIO(vba_project, raise_defects=olefile.DEFECT_INCORRECT)
    project = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    project.parse_project_stream()
    list(project.parse_modules())
    assert project.codec == "cp1252"
    return {m.name: bytes(m.code_raw) for m in project.modules}


# --- MS-OVBA compression ---------------------------------------------------------------

VBA_WORDS = st.sampled_from(
    ["Sub ", "End Sub", "Function ", "Dim ", " As ", "String", "Variant", "If ", " Then", "\r\n",
     "    ", "RunPython ", '"', "'", "(", ")", ", ", " = ", "x", "i", "1", "&", "ChrW(20013)"]
)
VBA_TEXT = st.lists(VBA_WORDS | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
                    max_size=2500).map(lambda ws: "".join(ws).encode("ascii")[:20_000])


@settings(max_examples=60, deadline=None)
@given(VBA_TEXT)
def test_ovba_round_trip_on_vba_like_text(data):
    packed = ovba.compress(data)
    assert ovba.decompress(packed) == data
    assert bytes(decompress_stream(bytearray(packed))) == data


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=20_000))
def test_ovba_round_trip_on_random_bytes(data):
    packed = ovba.compress(data)
    out = ovba.decompress(packed)
    assert bytes(decompress_stream(bytearray(packed))) == out
    # Exact, except the spec's padding of a short raw *last* chunk (incompressible bytes).
    pad = len(out) - len(data)
    assert out == data + b"\x00" * pad
    if pad:
        last_header = struct.unpack("<H", packed[-4098:-4096])[0]
        assert not last_header & 0x8000 and len(data) % 4096 > 3640


@pytest.mark.parametrize("size", [1, 3, 1023, 1024, 1025, 4095, 4096, 4097, 8192, 20_000])
def test_ovba_modules_over_1kb(size):
    # The failure of the published package: modules past ~1 KB. Repetitive text exercises
    # long copy tokens and every offset/length split as the chunk fills.
    text = CUSTOM_ADDIN_BAS.read_bytes()[:size]
    packed = ovba.compress(text)
    assert len(packed) < len(text) or size < 16
    assert bytes(decompress_stream(bytearray(packed))) == text
    assert ovba.decompress(packed) == text
    runs = (b"x" * size)
    assert bytes(decompress_stream(bytearray(ovba.compress(runs)))) == runs


def test_ovba_decompresses_what_office_compressed():
    # Streams Excel compressed (xlwings' shipped add-in; these two hold no p-code).
    ole = _reference_vba()
    for name in ("VBA/dir", "VBA/xlwings"):
        raw = ole.openstream(name).read()
        assert ovba.decompress(raw) == bytes(decompress_stream(bytearray(raw)))
    assert ovba.decompress(ole.openstream("VBA/xlwings").read()).replace(b"\r\n", b"\n").startswith(
        CUSTOM_ADDIN_BAS.read_bytes().replace(b"\r\n", b"\n")[:2000]
    )


@pytest.mark.parametrize("bad", [b"", b"\x02\x00\x00", b"\x01\x05\x00\x01"])
def test_ovba_rejects_malformed_containers(bad):
    with pytest.raises(ValueError):
        ovba.decompress(bad)


# --- compound file ---------------------------------------------------------------------


def _tree_cases():
    yield Storage({"Empty": b"", "A": b"a"})
    yield Storage({"Mini4095": b"m" * 4095, "Big4096": bytes(range(256)) * 16, "S": Storage({})})
    yield Storage({f"N{i}": bytes([i]) * (i * 137) for i in range(40)} | {"Sub": Storage({"x": b"1" * 9000})})


@pytest.mark.parametrize("tree", list(_tree_cases()))
def test_cfb_reads_back_with_olefile(tree):
    data = write_compound_file(tree)
    assert len(data) % 512 == 0
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)

    def walk(storage, prefix):
        for name, value in storage.entries.items():
            path = prefix + [name]
            if isinstance(value, Storage):
                assert ole.get_type("/".join(path)) == olefile.STGTY_STORAGE
                walk(value, path)
            else:
                assert ole.openstream("/".join(path)).read() == value

    walk(tree, [])
    expected = set()

    def names(storage, prefix):
        for name, value in storage.entries.items():
            expected.add("/".join(prefix + [name]))
            if isinstance(value, Storage):
                names(value, prefix + [name])

    names(tree, [])
    assert {"/".join(p) for p in ole.listdir(streams=True, storages=True)} == expected
    _assert_red_black(ole)


def _assert_red_black(ole):
    """Every storage's children form a binary search tree in CFB order and a valid red-black tree."""
    entries = ole.direntries
    nostream = 0xFFFFFFFF

    def key(e):
        return (len(e.name), e.name.upper())

    def check(sid, low, high):
        if sid == nostream:
            return 1
        e = entries[sid]
        assert (low is None or key(entries[low]) < key(e)) and (high is None or key(e) < key(entries[high]))
        if e.color == 0:  # red: children black
            for child in (e.sid_left, e.sid_right):
                assert child == nostream or entries[child].color == 1
        left = check(e.sid_left, low, sid)
        right = check(e.sid_right, sid, high)
        assert left == right
        return left + e.color

    for e in entries:
        if e is not None and e.sid_child != nostream:
            assert entries[e.sid_child].color == 1  # root black
            check(e.sid_child, None, None)


def test_cfb_refuses_files_beyond_the_header_difat():
    with pytest.raises(ValueError, match="too large"):
        write_compound_file(Storage({"big": bytes(110 * 128 * 512)}))


def test_cfb_rejects_duplicate_names():
    with pytest.raises(ValueError, match="duplicate"):
        write_compound_file(Storage({"abc": b"1", "ABC": b"2"}))


# --- VBA project ------------------------------------------------------------------------


def test_project_encryption_matches_xlwings_project():
    # xlwings' own PROJECT stream: decrypting its values with our algorithm gives an
    # unprotected, password-less, visible project, and the key matches its project ID.
    text = _reference_vba().openstream("PROJECT").read().decode("cp1252")
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    assert _decrypt(values["CMG"].strip('"')) == b"\x00\x00\x00\x00"
    assert _decrypt(values["DPB"].strip('"')) == b"\x00"
    assert _decrypt(values["GC"].strip('"')) == b"\xff"
    proj_key = int(values["CMG"].strip('"')[:2], 16) ^ int(values["CMG"].strip('"')[4:6], 16)
    assert proj_key == sum(values["ID"].strip('"').encode()) & 0xFF
    for data in (b"\x00" * 4, b"\x00", b"\xff"):
        for seed in (0x00, 0x08, 0x5D, 0xFE):
            assert _decrypt(_encrypt(data, project_id("kpixl"), seed)) == data


def test_vba_project_parses_strictly_and_keeps_every_source():
    modules = [
        Module("ThisWorkbook", "document", base=WORKBOOK_BASE),
        Module("Sheet1", "document"),
        Module("Helper", "class", "Public Value As Long\n"),
        Module("Main", "standard", "Sub Hello()\r\n    MsgBox \"hi\" & ChrW(20013)\r\nEnd Sub\r\n" * 200),
    ]
    sources = _strict_modules(build_vba_project(modules))
    assert sources == {m.name: m.source.encode("ascii") for m in modules}
    assert sources["Main"].startswith(b'Attribute VB_Name = "Main"\r\nSub Hello()')
    project = olefile.OleFileIO(build_vba_project(modules)).openstream("PROJECT").read().decode("ascii")
    assert "Document=ThisWorkbook/&H00000000" in project and "Class=Helper" in project
    assert "Module=Main" in project and 'Name="kpixl"' in project


def test_vba_project_refuses_non_ascii_source():
    with pytest.raises(ValueError, match="ChrW"):
        build_vba_project([Module("M", "standard", 'MsgBox "考核"')])


def test_vba_project_recompiles_from_source():
    ole = olefile.OleFileIO(build_vba_project([Module("M", "standard", "")]))
    # Same 7 bytes as xlwings' shipped add-in: version 0xFFFF, no p-code cache.
    assert ole.openstream("VBA/_VBA_PROJECT").read() == _reference_vba().openstream("VBA/_VBA_PROJECT").read()


# --- the add-in package -----------------------------------------------------------------


@pytest.fixture(scope="module")
def addin() -> bytes:
    return build.build_addin()


@pytest.fixture(scope="module")
def parts(addin) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(addin)) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


def test_committed_addin_is_up_to_date(addin):
    assert build.ADDIN_PATH.read_bytes() == addin, "stale kpixl/data/kpixl.xlam: run scripts/build-addin"


def test_build_is_deterministic(addin):
    assert build.build_addin() == addin


def test_package_is_valid_ooxml(parts):
    ct = ET.fromstring(parts["[Content_Types].xml"])
    ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    defaults = {d.get("Extension"): d.get("ContentType") for d in ct.iter(ns + "Default")}
    overrides = {o.get("PartName"): o.get("ContentType") for o in ct.iter(ns + "Override")}
    for name in parts:
        if name == "[Content_Types].xml":
            continue
        assert "/" + name in overrides or name.rsplit(".", 1)[-1] in defaults, name
        if name.endswith((".xml", ".rels")):
            ET.fromstring(parts[name])
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    assert all(p.lstrip("/") in parts for p in overrides)

    targeted = set()
    rns = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    for name in [n for n in parts if n.endswith(".rels")]:
        source_dir = posixpath.dirname(posixpath.dirname(name))
        for rel in ET.fromstring(parts[name]).iter(rns + "Relationship"):
            target = posixpath.normpath(posixpath.join(source_dir, rel.get("Target")))
            assert target in parts, f"{name}: {rel.get('Target')} does not resolve"
            targeted.add(target)
    assert targeted == {n for n in parts if not n.endswith(".rels") and n != "[Content_Types].xml"}

    workbook = ET.fromstring(parts["xl/workbook.xml"])
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    assert workbook.find(main + "workbookPr").get("codeName") == "ThisWorkbook"
    sheet = ET.fromstring(parts["xl/worksheets/sheet1.xml"])
    assert sheet.find(main + "sheetPr").get("codeName") == "Sheet1"
    # Every codeName has its document module in the VBA project.
    assert {"ThisWorkbook", "Sheet1"} <= set(_strict_modules(parts["xl/vbaProject.bin"]))


def test_config_sheet_sets_only_the_udf_modules(parts):
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    workbook = ET.fromstring(parts["xl/workbook.xml"])
    assert [s.get("name") for s in workbook.iter(main + "sheet")] == ["kpixl.conf"]
    cells = [t.text for t in ET.fromstring(parts["xl/worksheets/sheet1.xml"]).iter(main + "t")]
    assert cells == ["UDF Modules", "kpixl.udfs"]


CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"


def _vba_subs(sources: dict[str, bytes]) -> dict[str, str]:
    subs = {}
    for name, source in sources.items():
        for match in re.finditer(rb"^(?:Public )?Sub (\w+)\(([^)]*)\)", source, re.M):
            subs[match.group(1).decode()] = match.group(2).decode()
    return subs


def test_ribbon_matches_registry_and_vba(parts):
    rels = ET.fromstring(parts["_rels/.rels"])
    kinds = {r.get("Target"): r.get("Type") for r in rels}
    assert kinds["customUI/customUI.xml"] == "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
    ui = ET.fromstring(parts["customUI/customUI.xml"].decode("utf-8"))
    assert ui.tag == CUI + "customUI"
    tabs = ui.findall(f"{CUI}ribbon/{CUI}tabs/{CUI}tab")
    assert [t.get("label") for t in tabs] == ["kpixl"]
    registry = {b.id: b for b in BUTTONS}
    buttons = list(ui.iter(CUI + "button"))
    assert [b.get("tag") for b in buttons] == [b.id for b in BUTTONS]  # every tag in the registry, in order
    ids = [e.get("id") for e in ui.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[A-Za-z_][\w.-]*", i) for i in ids)
    for group in tabs[0].findall(CUI + "group"):
        for b in group.findall(CUI + "button"):
            entry = registry[b.get("tag")]
            assert (b.get("label"), b.get("imageMso"), group.get("label")) == (entry.label, entry.image_mso, entry.group)
            assert b.get("screentip") == entry.help and 0 < len(entry.help) <= 1024
    subs = _vba_subs(_strict_modules(parts["xl/vbaProject.bin"]))
    for callback in {e.get("onAction") for e in ui.iter() if e.get("onAction")}:
        assert subs.get(callback) == "control As IRibbonControl", callback


def test_ribbon_groups_in_first_appearance_order():
    fake = [
        SimpleNamespace(id="b", label="乙", image_mso="Help", group="二", help="h"),
        SimpleNamespace(id="a", label="甲 & <x>", image_mso="Help", group="一", help='say "hi"'),
        SimpleNamespace(id="c", label="丙", image_mso="Help", group="二", help="h"),
    ]
    ui = ET.fromstring(build.ribbon_xml(fake))
    groups = [(g.get("label"), [b.get("tag") for b in g]) for g in ui.iter(CUI + "group")]
    assert groups == [("二", ["b", "c"]), ("一", ["a"])]
    assert [b.get("label") for b in ui.iter(CUI + "button")] == ["乙", "丙", "甲 & <x>"]  # escaped, read back


def test_vba_modules_are_stored_as_built(addin, parts):
    sources = _strict_modules(parts["xl/vbaProject.bin"])
    expected = build.addin_modules()
    assert list(sources) == [m.name for m in expected]
    for m in expected:
        assert sources[m.name] == m.source.encode("ascii"), m.name
    # The VBA_Parser front door (what olevba runs) finds the same modules.
    found = {vba_name for _, _, vba_name, _ in VBA_Parser("kpixl.xlam", data=addin, relaxed=False).extract_all_macros()}
    assert found == {f"{m.name}.{'cls' if m.kind != 'standard' else 'bas'}" for m in expected}


def test_xlwings_module_is_xlwings_custom_addin_configured_for_kpixl(parts):
    stored = _strict_modules(parts["xl/vbaProject.bin"])["xlwings"].decode("ascii")
    shipped = CUSTOM_ADDIN_BAS.read_bytes().decode("ascii")
    old = 'Public Const PROJECT_NAME As String = "myaddin"'
    new = 'Public Const PROJECT_NAME As String = "kpixl"'
    assert stored == shipped.replace(old, new)  # byte for byte, CRLF as shipped
    assert shipped.count(old) == 1
    assert f'Const XLWINGS_VERSION As String = "{xlwings.__version__}"' in stored


def test_ribbon_callback_passes_the_tag_to_the_dispatcher(parts):
    source = _strict_modules(parts["xl/vbaProject.bin"])["KpixlRibbon"].decode("ascii")
    assert source.count("Sub ") == 1
    assert """RunPython "import kpixl.macros; kpixl.macros.dispatch('" & control.Tag & "')\"""" in source
    import kpixl.macros

    assert callable(kpixl.macros.dispatch)


def _generator_output(module_name: str) -> str:
    """xlwings' generator, called directly as ``import_udfs`` calls it for an add-in."""
    udfs = install()
    buffer = io.StringIO()
    buffer.write('Attribute VB_Name = "xlwings_udfs"\n')
    buffer.write("'Autogenerated code by xlwings - changes will be lost with next import!\n")
    buffer.write('#Const App = "Microsoft Excel" \'Adjust when using outside of Excel\n')
    udfs.generate_vba_wrapper(module_name, udf_module(module_name), buffer, SimpleNamespace(Name="kpixl.xlam"))
    return buffer.getvalue()


def test_udf_wrappers_equal_xlwings_generator_output_for_a_sample_module():
    sources = _strict_modules(
        build_vba_project(build.addin_modules(udf_modules=[SAMPLE]))
    )
    wrappers = sources["xlwings_udfs"].decode("ascii")
    assert wrappers.replace("\r\n", "\n") == _generator_output(SAMPLE)
    assert "Function SAMPLE_TIMES(x, Optional factor)" in wrappers
    assert "Function SAMPLE_SUM(ParamArray values())" in wrappers and "Application.Volatile" in wrappers
    assert 'XLPy.CallUDF("addin_udfs_sample", "SAMPLE_TIMES", Array(x, factor), ActiveWorkbook' in wrappers


def test_udf_wrappers_in_the_addin_cover_every_kpixl_udf(parts):
    wrappers = _strict_modules(parts["xl/vbaProject.bin"])["xlwings_udfs"].decode("ascii")
    assert wrappers.replace("\r\n", "\n") == _generator_output("kpixl.udfs")
    names = {f.__xlfunc__["name"] for f in udf_functions(udf_module("kpixl.udfs"))}
    assert set(re.findall(r"^Function (\w+)\(", wrappers, re.M)) == names


def test_udf_module_records_metadata_even_if_imported_before_install(monkeypatch):
    import importlib
    import sys

    install()

    def identity(f=None, *args, **kwargs):  # xlwings' decorators off Windows
        return f if callable(f) else (lambda g: g)

    for name in ("func", "arg", "ret"):
        monkeypatch.setattr(xlwings, name, identity)
    monkeypatch.delitem(sys.modules, SAMPLE, raising=False)
    assert udf_functions(importlib.import_module(SAMPLE)) == []
    module = udf_module(SAMPLE)  # reloads with the recording decorators
    meta = {f.__name__: f.__xlfunc__ for f in udf_functions(module)}
    assert set(meta) == {"SAMPLE_TIMES", "SAMPLE_SUM"}
    assert meta["SAMPLE_TIMES"]["args"][0]["doc"] == "a number"
    assert meta["SAMPLE_SUM"]["volatile"] is True
    assert module.SAMPLE_TIMES(3, 2) == 6  # the recording decorators return the function itself
    assert vba_wrapper_source([SAMPLE]) == _generator_output(SAMPLE)
