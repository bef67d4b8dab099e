"""Hand-built .xlsx files (a zip of XML parts), so the hostile ones can hold what no spreadsheet
program writes: millions of shared strings, entity declarations, external entities."""

from __future__ import annotations

import zipfile
from pathlib import Path

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELS_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} xmlns:r="{RELS_NS}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELS_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELS_NS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
}


def sheet(rows, prolog: str = "") -> str:
    """rows of shared-string indexes (int) or inline numbers (float)."""
    out = [f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet {NS}><sheetData>']
    for r, row in enumerate(rows, start=1):
        out.append(f'<row r="{r}">')
        for c, v in enumerate(row):
            ref = f"{'ABCDEFGHIJ'[c]}{r}"
            out.append(f'<c r="{ref}" t="s"><v>{v}</v></c>' if isinstance(v, int) else f'<c r="{ref}"><v>{v}</v></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def shared(strings, prolog: str = "") -> str:
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<sst {NS}>{items}</sst>'


def write_xlsx(path: Path, parts: dict) -> Path:
    """A workbook from PARTS plus `parts` ({name: str, or an iterable of bytes chunks streamed in})."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in {**PARTS, **parts}.items():
            if isinstance(text, str):
                zf.writestr(name, text)
            else:
                with zf.open(name, "w", force_zip64=True) as f:
                    for chunk in text:
                        f.write(chunk)
    return path


def good(path: Path) -> Path:
    strings = ["text", "label", "refund please", "billing", "lost parcel", "shipping"]
    return write_xlsx(path, {"xl/sharedStrings.xml": shared(strings),
                             "xl/worksheets/sheet1.xml": sheet([[0, 1], [2, 3], [4, 5]])})


def many_shared_strings(path: Path, n: int) -> Path:
    """`n` shared strings streamed into the zip (30 million compress to about a megabyte)."""
    def chunks():
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="{n}" uniqueCount="{n}">'.encode()
        block = b"<si><t>a</t></si>" * 100_000
        for _ in range(n // 100_000):
            yield block
        yield b"</sst>"

    return write_xlsx(path, {"xl/sharedStrings.xml": chunks(),
                             "xl/worksheets/sheet1.xml": sheet([[0, 0], [0, 0]])})


def many_cells(path: Path, n: int) -> Path:
    def chunks():
        yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData><row r="1">'.encode()
        block = b'<c r="A1" t="s"><v>0</v></c>' * 10_000
        for _ in range(n // 10_000):
            yield block
        yield b"</row></sheetData></worksheet>"

    return write_xlsx(path, {"xl/sharedStrings.xml": shared(["text", "label"]), "xl/worksheets/sheet1.xml": chunks()})


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
          + "]>")
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
