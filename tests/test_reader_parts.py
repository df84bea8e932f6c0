"""The fast paths of read_book outside the sheets' cells give exactly what the careful readers give.

read_book unpacks a small part in one step from the file read whole (xmlstream._whole; zipfile
reads whatever that does not know), reads sharedStrings.xml by pattern (ElementTree reads any
shape the pattern does not know), and answers small parts met before (styles, relationships,
properties) from memory, keyed by their exact bytes. Every test here reads a file both ways
(reader.FAST_PATH on and off) and requires the same Book — or the same refusal.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kpixl.errors import FileProblem
from kpixl.xlsx import reader, sharedstrings, xmlstream
from xlsx_kit import M, package, write

SHEET = (f'<worksheet xmlns="{M}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
         '<c r="C1" t="s"><v>2</v></c><c r="D1" s="1"><v>46000</v></c></row></sheetData></worksheet>')


def parts(sst: str | bytes) -> dict[str, str | bytes]:
    return {
        **package(SHEET, sst),
        "docProps/core.xml": '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
                             'core-properties" xmlns:dcterms="http://purl.org/dc/terms/"><dcterms:modified>'
                             '2026-11-01T00:00:00Z</dcterms:modified><cp:lastModifiedBy>王</cp:lastModifiedBy>'
                             '</cp:coreProperties>',
        "docProps/app.xml": '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                            '<Application>Microsoft Excel</Application></Properties>',
    }


def both(path: Path) -> object:
    """The Book (or the refusal's text) read both ways, which must agree."""
    out = []
    for fast in (True, False):
        try:
            reader.FAST_PATH = fast
            book = reader.read_book(path)
            out.append(([(s.name, s.state, s.protected, s.cells) for s in book.sheets], book.names, book.modified,
                        book.modified_by, book.application))
        except FileProblem as e:
            out.append(str(e))
        finally:
            reader.FAST_PATH = True
    assert repr(out[0]) == repr(out[1])
    return out[0]


def careful_strings(data: bytes) -> list[str]:
    return [reader._text(el) for el in ET.fromstring(data).iter(reader._SI)]


def sst(items: str, head: str = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{M}">') -> str:
    return f"{head}{items}</sst>"


RPR = '<rPr><b/><sz val="11"/><color rgb="FF000000"/><rFont val="宋体"/><family val="2"/><charset val="134"/></rPr>'
PHONETIC = '<phoneticPr fontId="1" type="noConversion"/>'


# ---- shared strings by pattern ---------------------------------------------------------------------


@pytest.mark.parametrize("items, want", [
    # Plain, preserved, empty; entities and character references as expat gives them.
    ("<si><t>甲</t></si><si><t xml:space=\"preserve\">  乙  </t></si><si><t/></si><si><t></t></si>",
     ["甲", "  乙  ", "", ""]),
    ("<si><t>a&amp;b &lt;&gt;&quot;&apos; &#x4E2D;&#20013;&#13;</t></si>", ["a&b <>\"' 中中\r"]),
    # Rich-text runs (Excel, LibreOffice), phonetic properties (a Chinese Excel's every item), whitespace between items.
    (f"<si><r>{RPR}<t>加</t></r><r><t xml:space=\"preserve\"> 粗</t></r><r><rPr><i/></rPr><t/></r></si>\n  "
     f"<si><t>考核</t>{PHONETIC}</si><si><r><t>x</t></r>{PHONETIC}</si>", ["加 粗", "考核", "x"]),
])
def test_known_shapes_are_read_by_pattern(tmp_path, items, want):
    data = sst(items).encode()
    assert sharedstrings.strings_by_pattern(data) == careful_strings(data) == want
    got = both(write(tmp_path / "s.xlsx", parts(data)))
    cells = got[0][0][3]
    assert [cells[ref].value for ref in ("A1", "B1", "C1") if ref in cells] == want[:3]


@pytest.mark.parametrize("name, data", [
    ("comment", sst("<si><t>a</t></si><!-- x --><si><t>b</t></si>")),
    ("cdata", sst("<si><t><![CDATA[a]]></t></si>")),
    ("carriage return", sst("<si><t>a\r\nb</t></si>")),
    ("phonetic run", sst("<si><t>漢</t><rPh sb=\"0\" eb=\"1\"><t>かん</t></rPh></si>")),
    ("nested item", sst("<si><r><rPr><si/></rPr><t>a</t></r></si>")),
    ("prefixed", sst("<x:si xmlns:x=\"" + M + "\"><x:t>a</x:t></x:si>")),
    ("other namespace", sst("<si><t>a</t></si>", head="<sst xmlns=\"urn:other\">")),
    ("redeclared", sst("<si xmlns=\"urn:other\"><t>a</t></si>")),
    ("gbk", sst("<si><t>a</t></si>", head=f'<?xml version="1.0" encoding="GBK"?><sst xmlns="{M}">')),
    ("attribute twice", sst("<si><r><rPr><sz val=\"1\" val=\"2\"/></rPr><t>a</t></r></si>")),
    ("phonetic attribute twice", sst(f"<si><t>a</t><phoneticPr fontId=\"1\" fontId=\"1\"/></si>")),
    ("namespace in a run", sst("<si><r><rPr><b xmlns=\"urn:x\"/></rPr><t>a</t></r></si>")),
    ("other root", f'<root xmlns="{M}"><si><t>a</t></si></root>'),
    ("item as root", f'<si xmlns="{M}"><t>a</t></si>'),
    ("unknown entity", sst("<si><t>&nbsp;</t></si>")),
    ("bare ampersand", sst("<si><t>a & b</t></si>")),
    ("nul reference", sst("<si><t>&#0;</t></si>")),
    ("control character", sst("<si><t>a\x01</t></si>")),
    ("noncharacter", sst("<si><t>a\ufffe</t></si>")),
    ("cdata end", sst("<si><t>a]]>b</t></si>")),
    ("unclosed", sst("<si><t>a</t></si><si>")),
    ("text after", sst("<si><t>a</t></si>") + "x"),
    ("two roots", sst("<si><t>a</t></si>") + f'<sst xmlns="{M}"/>'),
])
def test_odd_shapes_take_the_careful_path(tmp_path, name, data):
    raw = data.encode() if name != "gbk" else data.encode("gbk")
    assert sharedstrings.strings_by_pattern(raw) is None, name
    both(write(tmp_path / "o.xlsx", parts(raw)))


def test_string_limits_are_refused_both_ways(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_STRINGS", 2)
    got = both(write(tmp_path / "n.xlsx", parts(sst("<si><t>a</t></si>" * 3))))
    assert "more text than any scorecard" in got
    monkeypatch.setattr(reader, "MAX_STRINGS", 10)
    monkeypatch.setattr(reader, "MAX_STRING_CHARS", 5)
    got = both(write(tmp_path / "c.xlsx", parts(sst("<si><t>abc</t></si><si><r><t>ab</t></r><r><t>c</t></r></si>"))))
    assert "more text than any scorecard" in got


def test_long_text_is_cut_alike(tmp_path):
    long = "长" * 40_000
    data = sst(f"<si><t>{long}</t></si><si><r><t>{long}</t></r><r><t>x</t></r></si>").encode()
    got = sharedstrings.strings_by_pattern(data)
    assert got == careful_strings(data) == [long[:32_768], long[:32_768]]


TEXTS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)
PIECES = ["<", ">", "/", "&", ";", '"', "=", " ", "\r", "\n", "\x01", "\ufffe", "&amp;", "&#x41;", "&#0;", "&bad;",
          "<t>", "</t>", "<si>", "</si>", "<r>", "</r>", "<rPr>", "</rPr>", "<b/>", '<sz val="1"/>', PHONETIC,
          "<rPh>", "<!--", "-->", "<![CDATA[", "]]>", ' xml:space="preserve"', ' val="2"', 'xmlns="u"', "中"]


def item(kind: int, text: str) -> str:
    esc = text.replace("&", "&amp;").replace("<", "&lt;")
    return [f"<si><t>{esc}</t></si>", f'<si><t xml:space="preserve">{esc}</t></si>', "<si><t/></si>",
            f"<si><r>{RPR}<t>{esc}</t></r><r><t>{esc}</t></r></si>", f"<si><t>{esc}</t>{PHONETIC}</si>"][kind]


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(st.tuples(st.integers(0, 4), TEXTS), max_size=6),
       edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 3), st.sampled_from(PIECES)), max_size=3))
def test_random_items_and_edits_read_as_the_element_reader_reads_them(items, edits):
    """Any string items, any edit: the pattern gives the element reader's strings, or gives up (None)."""
    xml = sst("".join(item(k, t) for k, t in items))
    for at, cut, piece in edits:
        at = min(at, len(xml))
        xml = xml[:at] + piece + xml[at + cut:]
    data = xml.encode("utf-8", "surrogatepass")
    got = sharedstrings.strings_by_pattern(data)
    try:
        want = careful_strings(data)
    except (ET.ParseError, ValueError):
        assert got is None
        return
    if got is not None:
        assert got == want
    elif not edits and all(c not in t for _, t in items for c in "\r\x00\ufffe\uffff") \
            and all(0x20 <= ord(c) or c in "\t\n" for _, t in items for c in t):
        pytest.fail("a plain part was not read by pattern")


# ---- parts unpacked in one step ----------------------------------------------------------------------


def test_stored_and_deflated_parts_unpack_as_zipfile_unpacks_them(tmp_path):
    data = sst("<si><t>甲</t></si>").encode()
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        path = write(tmp_path / f"m{method}.xlsx", parts(data), method)
        mem = xmlstream.package(path.read_bytes())
        budget = xmlstream.Budget(path, 1 << 30, 30)
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                assert xmlstream._whole(mem, name, budget, xmlstream.MAX_PART_BYTES) == z.read(name)
        both(path)


FIELDS = zipfile.ZipInfo.__slots__


def directory(z: zipfile.ZipFile) -> list:
    return [tuple(getattr(x, k) for k in FIELDS) for x in z.filelist] + [z.start_dir, z.comment, list(z.NameToInfo)]


@pytest.mark.parametrize("case", ["real", "utf-8 names", "cp437 names", "comment", "prefixed", "extra fields",
                                  "nul in a name"])
def test_the_directory_is_read_as_zipfile_reads_it(tmp_path, case, monkeypatch):
    """Each entry's attributes as zipfile gives them; the plain cases read in one pass, the others by zipfile."""
    import glob

    plain = []
    read = xmlstream._read_directory
    monkeypatch.setattr(xmlstream, "_read_directory", lambda z: plain.append(read(z)) or plain[-1])

    if case == "real":
        root = Path(__file__).resolve().parents[1]
        blobs = [Path(p).read_bytes() for p in sorted(glob.glob(str(root / "examples/returned*/*.xlsx")))
                 + sorted(glob.glob(str(root / "workbooks/*.xlsx")))]
    else:
        path = write(tmp_path / "p.xlsx", parts(sst("<si><t>甲</t></si>")))
        with zipfile.ZipFile(path, "a") as z:
            if case == "utf-8 names":
                z.writestr("xl/media/图.png", b"x")
            elif case == "cp437 names":
                info = zipfile.ZipInfo("xl/media/\u00e9.png")
                z.writestr(info, b"x")
            elif case == "comment":
                z.comment = b"a comment"
            elif case == "extra fields":
                info = zipfile.ZipInfo("xl/media/e.png")
                info.extra = b"\x55\x54\x05\x00\x01\x00\x00\x00\x00"
                z.writestr(info, b"x")
            elif case == "nul in a name":
                z.writestr("xl/media/a\x00b.png", b"x")
        blob = path.read_bytes()
        if case == "cp437 names":  # a name byte over 0x7f without the UTF-8 flag: cp437 (zipfile reads it)
            raw = bytearray(blob.replace("\u00e9".encode("utf-8"), b"\x82\x82"))
            for where, off in (("central", 8), ("local", 6)):
                _patch(raw, "xl/media/\x82\x82.png".encode("latin-1"), where, off, b"\x00\x00")
            blob = bytes(raw)
        if case == "prefixed":  # a stub before the package (a self-extracting archive): offsets shift
            blob = b"MZ" + b"\0" * 100 + blob
        blobs = [blob]
    for blob in blobs:
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            want = directory(z)
        with xmlstream.package(blob) as z:
            assert directory(z) == want
        assert plain[-1] is (case not in ("comment", "cp437 names"))
        path = tmp_path / "b.xlsx"
        path.write_bytes(blob)
        both(path)


def _patch(raw: bytearray, name: bytes, where: str, off: int, value: bytes) -> None:
    """Overwrite a field of ``name``'s local header (``local``) or central record (``central``)."""
    sig = b"PK\x03\x04" if where == "local" else b"PK\x01\x02"
    head = 30 if where == "local" else 46
    at = 0
    while True:
        at = raw.index(sig, at)
        if raw[at + head:at + head + len(name)] == name:
            raw[at + off:at + off + len(value)] = value
            return
        at += 1


@pytest.mark.parametrize("where, off, value", [
    ("central", 16, b"\0\0\0\0"),          # a wrong CRC-32
    ("central", 24, (10).to_bytes(4, "little")),  # the size stated smaller than the part
    ("central", 24, (1 << 20).to_bytes(4, "little")),  # larger
    ("central", 20, (3).to_bytes(4, "little")),  # the packed size too small: the stream does not end
    ("central", 8, b"\x01\x00"),            # encrypted
    ("central", 8, b"\x08\x00"),            # a data descriptor (sizes in the directory: still read)
    ("central", 10, b"\x0c\x00"),           # bzip2 said, deflate stored
    ("local", 0, b"PK\x03\x05"),            # not a local header
    ("local", 30, b"X"),                    # the local name differs
    ("local", 28, b"\xff\x00"),             # a local extra field that runs into the data
])
def test_damaged_headers_are_decided_by_zipfile(tmp_path, where, off, value):
    for name in (b"xl/sharedStrings.xml", b"xl/styles.xml", b"xl/worksheets/sheet1.xml"):
        path = write(tmp_path / "d.xlsx", parts(sst("<si><t>甲</t></si><si><t>乙</t></si><si><t>丙</t></si>")))
        raw = bytearray(path.read_bytes())
        _patch(raw, name, where, off, value)
        path.write_bytes(bytes(raw))
        both(path)


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=3))
def test_random_damage_to_the_package_reads_the_same_both_ways(tmp_path, flips):
    path = write(tmp_path / "f.xlsx", parts(sst("<si><t>甲</t></si><si><t>乙</t></si><si><t>丙</t></si>")))
    raw = bytearray(path.read_bytes())
    for at, byte in flips:
        raw[at % len(raw)] = byte
    path.write_bytes(bytes(raw))
    both(path)


# ---- answers from memory -------------------------------------------------------------------------------


def test_parts_met_before_are_answered_alike_and_a_byte_changes_the_answer(tmp_path):
    base = parts(sst("<si><t>甲</t></si><si><t>乙</t></si><si><t>丙</t></si>"))
    first = both(write(tmp_path / "a.xlsx", base))
    assert both(write(tmp_path / "b.xlsx", base)) == first
    changed = dict(base, **{"xl/styles.xml": base["xl/styles.xml"].replace('numFmtId="14"', 'numFmtId="15"'),
                            "docProps/app.xml": base["docProps/app.xml"].replace("Microsoft Excel", "WPS 表格")})
    got = both(write(tmp_path / "c.xlsx", changed))
    assert got[0][0][3]["D1"].date is True and got[4] == "WPS 表格"
    changed["xl/styles.xml"] = changed["xl/styles.xml"].replace('numFmtId="15"', 'numFmtId="1"')
    assert both(write(tmp_path / "d.xlsx", changed))[0][0][3]["D1"].date is False


def test_memories_are_bounded(tmp_path):
    base = parts(sst("<si><t>甲</t></si>"))
    for k in range(300):
        reader.read_book(write(tmp_path / "m.xlsx", dict(base, **{"docProps/core.xml": base["docProps/core.xml"].replace(
            "王", f"王{k}")})))
    assert len(reader._SEEN) <= reader._SEEN_MAX and len(xmlstream._UNPACKED) <= xmlstream._UNPACKED_MAX
    big = "x" * (xmlstream._UNPACKED_BYTES + 1)
    got = reader.read_book(write(tmp_path / "big.xlsx", dict(base, **{"docProps/core.xml": base["docProps/core.xml"]
                                                                      .replace("王", big)}), zipfile.ZIP_STORED))
    assert got.modified_by == big[:256]
    assert all(len(v) <= xmlstream._UNPACKED_BYTES and len(k[3]) <= xmlstream._UNPACKED_BYTES
               for k, v in xmlstream._UNPACKED.items())
    assert all(len(k[1]) <= reader._SEEN_BYTES for k in reader._SEEN)


def test_a_deflated_part_is_checked_before_it_is_remembered(tmp_path):
    """Two files whose styles are packed the same but whose directories state another CRC: each decided alone."""
    base = parts(sst("<si><t>甲</t></si>"))
    good = write(tmp_path / "good.xlsx", base)
    both(good)
    raw = bytearray(good.read_bytes())
    _patch(raw, b"xl/styles.xml", "central", 16, (zlib.crc32(b"other")).to_bytes(4, "little"))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bytes(raw))
    assert "Bad CRC-32" in both(bad)


PROLOG_PIECES = [b'<?xml ', b'version="1.0"', b'?>', b"?", b">", b"\n", b"\r", b" ", b"\x0b", b"<", b"!",
                 b"<!DOCTYPE x>", b"<!doctype", b"<!--", b"-->", b"<a/>", b"<?pi?>", b"x", b"\x00", b"\xef\xbb\xbf"]


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(pieces=st.lists(st.sampled_from(PROLOG_PIECES), max_size=8))
def test_the_usual_prolog_is_passed_as_the_pattern_passes_it(pieces):
    """_check_prolog's shortcut for ``<?xml …?><root`` refuses nothing the prolog pattern would refuse."""
    head = b"".join(pieces)
    m = xmlstream._PROLOG.match(head)
    rest = head[m.end():]
    refused = head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:64] or rest[:9].upper() == b"<!DOCTYPE"
    try:
        xmlstream._check_prolog(head, "p", xmlstream.Budget(Path("p"), 1 << 30, 30))
        assert not refused, head
    except FileProblem:
        assert refused, head


APP = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/'
       'officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
       'docPropsVTypes"><Template></Template><TotalTime>0</TotalTime><Application> LibreOffice/7.4 </Application>'
       '<TitlesOfParts><vt:vector size="1" baseType="lpstr"><vt:lpstr>王伟</vt:lpstr></vt:vector></TitlesOfParts>'
       '</Properties>')
APP_PIECES = ["<", ">", "/", "&", "&amp;", ";", '"', " ", "\r", "\n", "\x01", "Application", "<Application>",
              "</Application>", "<Application/>", "<x:Application xmlns:x=\"u\">", "</x:Application>", "<a>", "</a>",
              "<b/>", "<!--", "-->", "<![CDATA[", "]]>", 'encoding="latin-1"', "é", "\xff"]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(edits=st.lists(st.tuples(st.integers(0, len(APP)), st.integers(0, 3), st.sampled_from(APP_PIECES)), max_size=3))
def test_the_saving_program_is_read_as_the_element_reader_reads_it(edits):
    """docProps/app.xml: the shortcut gives the element reader's Application, or its error."""
    xml = APP
    for at, cut, piece in edits:
        xml = xml[:at] + piece + xml[at + cut:]
    data = xml.encode("utf-8")
    got = []
    for fast in (True, False):
        try:
            got.append(reader._app(data, fast))
        except ET.ParseError as e:
            got.append(f"ParseError {e}")
    assert got[0] == got[1]
    if not edits:
        assert got[0] == "LibreOffice/7.4" and reader._APP.match(data, reader.XML_DECL.match(data).end())


def test_string_items_met_before_are_read_alike_and_bounded(monkeypatch):
    monkeypatch.setattr(sharedstrings, "_SEEN_ITEMS_MAX", 10)
    sharedstrings._SEEN_ITEMS.clear()
    long = "长" * 600
    items = "".join(f"<si><r>{RPR}<t>{k}</t></r><r><t>x&amp;{k}</t></r></si>" for k in range(30)) \
        + f"<si><r><t>{long}</t></r></si>"
    data = sst(items).encode()
    first = sharedstrings.strings_by_pattern(data)
    assert first == careful_strings(data) and first[3] == "3x&3" and first[-1] == long
    assert len(sharedstrings._SEEN_ITEMS) <= 10 and all(len(k) <= sharedstrings._SEEN_ITEM_CHARS for k in sharedstrings._SEEN_ITEMS)
    assert sharedstrings.strings_by_pattern(data) == first  # (partly from memory)
    odd = sst(items.replace("<t>7</t>", "<t>7</t><rPh/>")).encode()
    assert sharedstrings.strings_by_pattern(odd) is None


# ---- entries that overlap (the review of the speed work) ----------------------------------------


def test_an_entry_listed_twice_is_left_to_zipfile(tmp_path):
    """xl/workbook.xml listed twice in the directory, both at one local header: newer zipfiles
    refuse such overlapping entries (a possible zip bomb), so the part is not unpacked from memory
    but by zipfile, whose answer (refused, or read on an older Python) both paths then share."""
    src = (Path(__file__).resolve().parents[1] / "examples/returned/2026-11-周建国.xlsx").read_bytes()
    end = src[-22:]
    sig, disk, disk_cd, n_disk, n, size_cd, offset_cd, comment = struct.unpack("<4s4H2LH", end)
    directory = src[offset_cd:offset_cd + size_cd]
    at, dup = 0, b""
    while at < len(directory):
        name_len, extra_len, comment_len = struct.unpack("<3H", directory[at + 28:at + 34])
        entry = directory[at:at + 46 + name_len + extra_len + comment_len]
        if directory[at + 46:at + 46 + name_len] == b"xl/workbook.xml":
            dup = entry
        at += len(entry)
    assert dup
    blob = src[:offset_cd] + directory + dup + struct.pack("<4s4H2LH", sig, disk, disk_cd, n_disk + 1, n + 1,
                                                              size_cd + len(dup), offset_cd, 0)
    z = xmlstream.package(blob)
    budget = xmlstream.Budget(tmp_path / "x.xlsx", 1 << 30, 60)
    assert xmlstream._whole(z, "xl/workbook.xml", budget, 1 << 20) is None  # the later entry overlaps the earlier
    assert xmlstream._whole(z, "xl/styles.xml", budget, 1 << 20) is not None
    path = tmp_path / "dup.xlsx"
    path.write_bytes(blob)
    both(path)


def test_a_part_twice_in_the_package_is_damaged(tmp_path):
    """Two entries named xl/worksheets/sheet1.xml (zipfile reads the last, with a warning; Excel
    calls the file corrupt): refused, where the last copy had been collected."""
    import warnings

    contents = parts(sst("<si><t>甲</t></si><si><t>乙</t></si><si><t>丙</t></si>"))
    path = write(tmp_path / "twice.xlsx", contents)
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as z:
        warnings.simplefilter("ignore")  # zipfile's "Duplicate name"
        z.writestr("xl/worksheets/sheet1.xml", SHEET.replace("46000", "1"))
    got = both(path)
    assert isinstance(got, str) and "is damaged (the part xl/worksheets/sheet1.xml is in it twice)" in got
