"""pack.docx: the same chapters as pack.pdf, with real Word headings so the navigation pane works.

python-docx holds a whole document in memory, and its convenience methods slow down as the document
grows (each new paragraph searches the body for its place). So the pack is written in two pieces:

- the body (stance matrix, responses, answers by question, appendix) is streamed to a file, one
  paragraph or table row at a time, as the responses are read batch by batch;
- python-docx makes a small skeleton: styles, header and footer with "Page X of Y", the cover, and
  the table of contents (filled in once every heading is known), followed by a marker paragraph.

The skeleton's document.xml is then copied into the final file with the streamed body in place of
the marker, so memory holds one batch of responses whatever the size of the pack.
"""

import copy
import re
import shutil
import zipfile
from pathlib import Path
from typing import BinaryIO

from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, nsmap, qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree
from lxml.etree import _Element

from exports.builders.attachments import named_attachments
from exports.builders.xmltext import escape
from exports.pack import STANCE_SHORT, PackSource, text_direction
from responses.models import Response, Stance

# Cell shading per stance, the same colours as the web app and the PDF (always with text too).
STANCE_FILL = {
    Stance.STRONGLY_SUPPORTS: ("0F5132", "FFFFFF"),
    Stance.SUPPORTS: ("D1E7DD", "0F5132"),
    Stance.NEUTRAL: ("FFF3CD", "664D03"),
    Stance.OPPOSES: ("F8D7DA", "842029"),
    Stance.STRONGLY_OPPOSES: ("842029", "FFFFFF"),
    Stance.NOT_ADDRESSED: ("F8F9FA", "495057"),
}
# Word picks these for Chinese and for Arabic (complex script) text when the reader has them.
EAST_ASIAN_FONT = "Noto Sans CJK SC"
COMPLEX_SCRIPT_FONT = "Noto Sans Arabic"
STYLES = [
    "Title",
    "Heading 1",
    "Heading 2",
    "Heading 3",
    "List Bullet",
    "Quote",
    "Intense Quote",
    "TOC 1",
    "TOC 2",
    "Table Grid",
]
# Characters XML 1.0 forbids; a stray one in a submission must not make the whole pack fail.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# The paragraph of the skeleton that the streamed body replaces.
MARKER_XML = '<w:p><w:r><w:t xml:space="preserve">CONSULTRACK-PACK-BODY-GOES-HERE</w:t></w:r></w:p>'
W_DECLARATION = f' xmlns:w="{nsmap["w"]}"'
# Text width of a portrait A4 page with 18 mm margins, in twentieths of a point.
PORTRAIT_WIDTH = int((210 - 36) / 25.4 * 1440)
LANDSCAPE_WIDTH = int((297 - 36) / 25.4 * 1440)


def _element(tag: str, **attributes: str) -> _Element:
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _parse(xml: str) -> _Element:
    """One element written as text (in the w: namespace, undeclared), as python-docx's element."""
    return parse_xml(f"<w:body {nsdecls('w')}>{xml}</w:body>")[0]


def _run(text: str, *, bold: bool = False, size: int = 0, colour: str = "") -> str:
    """A w:r, its properties in the order the schema requires."""
    properties = ""
    if bold:
        properties += "<w:b/>"
    if colour:
        properties += f'<w:color w:val="{colour}"/>'
    if size:
        properties += f'<w:sz w:val="{size * 2}"/>'
    if text_direction(text) == "rtl":
        properties += "<w:rtl/>"
    text = escape(XML_ILLEGAL.sub("", text))
    if "\t" in text:
        text = '</w:t><w:tab/><w:t xml:space="preserve">'.join(text.split("\t"))
    properties = f"<w:rPr>{properties}</w:rPr>" if properties else ""
    return f'<w:r>{properties}<w:t xml:space="preserve">{text}</w:t></w:r>'


class _Writer:
    """Writes paragraphs and tables as XML text, to the skeleton or straight into the streamed body.

    Text rather than elements: making an lxml element for each run and property cost most of the time
    of a large pack's DOCX.
    """

    def __init__(self, style_ids: dict[str, str], sink) -> None:
        self.style_ids = style_ids
        self.sink = sink  # called with each finished block, as XML text
        self.contents: list[tuple[int, str]] = []

    def paragraph_xml(self, runs: str, *, style: str = "", rtl: bool = False) -> str:
        properties = ""
        if style:
            properties += f'<w:pStyle w:val="{self.style_ids[style]}"/>'
        if rtl:
            properties += "<w:bidi/>"
        properties = f"<w:pPr>{properties}</w:pPr>" if properties else ""
        return f"<w:p>{properties}{runs}</w:p>"

    def paragraph(self, text: str = "", *, style: str = "", bold: bool = False) -> None:
        runs = "<w:r><w:br/></w:r>".join(_run(line, bold=bold) if line else "" for line in text.splitlines())
        self.sink(self.paragraph_xml(runs, style=style, rtl=text_direction(text) == "rtl"))

    def runs(self, parts: list[tuple[str, bool]], *, style: str = "") -> None:
        """One paragraph of several runs, each (text, bold)."""
        self.sink(self.paragraph_xml("".join(_run(text, bold=bold) for text, bold in parts), style=style))

    def heading(self, text: str, level: int) -> None:
        self.paragraph(text, style=f"Heading {level}")
        if level <= 2:
            self.contents.append((level, text))

    def labelled(self, pairs: list[tuple[str, str]]) -> None:
        """One compact paragraph of facts: bold label, value · label, value."""
        parts: list[tuple[str, bool]] = []
        for index, (label, value) in enumerate(pairs):
            parts += [(f"{' · ' if index else ''}{label}: ", True), (value, False)]
        self.runs(parts)

    def page_break(self) -> None:
        self.sink('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')

    def section_end(self, properties: _Element) -> None:
        """End a section: the paragraph carries the section's properties (page size, header, footer)."""
        section = etree.tostring(properties, encoding="unicode").replace(W_DECLARATION, "", 1)
        self.sink(f"<w:p><w:pPr>{section}</w:pPr></w:p>")

    def table_start(self, widths: list[int]) -> str:
        """A table's opening, properties and grid; the rows and "</w:tbl>" follow."""
        grid = "".join(f'<w:gridCol w:w="{width}"/>' for width in widths)
        return (
            f'<w:tbl><w:tblPr><w:tblStyle w:val="{self.style_ids["Table Grid"]}"/><w:tblW w:type="auto" w:w="0"/>'
            f'<w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
        )

    def row(self, cells: list[list[tuple[str, bool, int, str]]], widths: list[int], *, header: bool = False, fills=()):
        """A table row; each cell is a list of lines, each line (text, bold, size, colour)."""
        # A header row is repeated at the top of every page the table runs onto.
        xml = ['<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>' if header else "<w:tr>"]
        for index, (lines, width) in enumerate(zip(cells, widths, strict=True)):
            shading = ""
            if index < len(fills) and fills[index]:
                shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{fills[index]}"/>'
            xml.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{shading}</w:tcPr>')
            for text, bold, size, colour in lines or [("", False, 0, "")]:
                runs = _run(text, bold=bold, size=size, colour=colour) if text else ""
                xml.append(self.paragraph_xml(runs, rtl=text_direction(text) == "rtl"))
            xml.append("</w:tc>")
        xml.append("</w:tr>")
        return "".join(xml)


class _Stream:
    """Writes body XML to a file as each block is finished."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def __call__(self, xml: str) -> None:
        self.handle.write(xml.encode("utf-8"))


def _table(writer: _Writer, widths: list[int], header: list[str], rows) -> None:
    """A table streamed row by row: its opening, header and rows are written as they come."""
    writer.sink(writer.table_start(widths))
    writer.sink(writer.row([[(title, True, 0, "")] for title in header], widths, header=True))
    for cells, fills in rows:
        writer.sink(writer.row(cells, widths, fills=fills))
    writer.sink("</w:tbl>")


def _field(paragraph: Paragraph, instruction: str, placeholder: str = "1") -> None:
    """A Word field (PAGE, NUMPAGES) that Word computes when it lays out the page."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None), ("text", placeholder)):
        run = paragraph.add_run()
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
            run._r.append(element)
        elif kind == "text":
            run.text = text
        else:
            run._r.append(_element("w:fldChar", fldCharType=kind))
    paragraph.add_run()._r.append(_element("w:fldChar", fldCharType="end"))


def _page_x_of_y(paragraph: Paragraph) -> None:
    for part in re.split(r"(\{page\}|\{pages\})", _("Page {page} of {pages}")):
        if part == "{page}":
            _field(paragraph, "PAGE")
        elif part == "{pages}":
            _field(paragraph, "NUMPAGES")
        elif part:
            paragraph.add_run(part)


def _skeleton(source: PackSource) -> DocxDocument:
    """The document minus its body: styles, page set-up, header and footer."""
    document = Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(10)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    fonts.set(qn("w:cs"), COMPLEX_SCRIPT_FONT)
    normal.element.get_or_add_rPr().append(_element("w:lang", eastAsia="zh-CN", bidi="ar-SA"))
    for level in (1, 2):
        style = document.styles.add_style(f"TOC {level}", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.paragraph_format.left_indent = Mm(6 * (level - 1))
        style.paragraph_format.space_after = Pt(2)
        style.font.bold = level == 1
    # Ask Word to refresh the fields (contents, page numbers) when the document is opened.
    document.settings.element.append(_element("w:updateFields", val="true"))

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin = section.bottom_margin = Mm(20)
    section.header.paragraphs[0]._p.append(_parse(_run(source.consultation.title, size=8)))
    footer = section.footer.paragraphs[0]
    footer.alignment = 1  # centred
    _page_x_of_y(footer)
    document.core_properties.title = source.consultation.title[:255]
    document.core_properties.subject = _("Response pack")
    return document


def _cover(writer: _Writer, source: PackSource) -> None:
    consultation = source.consultation
    counts = source.counts()
    writer.paragraph(_("Response pack"), bold=True)
    writer.paragraph(consultation.title, style="Title")
    facts = [
        (_("Issuing body"), consultation.issuer.name),
        (_("Reference"), consultation.reference),
        (_("Deadline"), source.deadline_text()),
        (_("Web page"), consultation.url),
        (
            _("Filters"),
            "; ".join(f"{label}: {value}" for label, value in source.describe_filters()) or _("None: every response"),
        ),
        (_("Generated"), f"{formats.date_format(source.generated_at, 'DATETIME_FORMAT')} ({source.zone})"),
    ]
    widths = [PORTRAIT_WIDTH // 3, PORTRAIT_WIDTH - PORTRAIT_WIDTH // 3]
    rows = [writer.row([[(label, True, 0, "")], [(value, False, 0, "")]], widths) for label, value in facts if value]
    writer.sink(writer.table_start(widths) + "".join(rows) + "</w:tbl>")
    writer.paragraph()
    writer.labelled(
        [
            (_("Responses"), str(counts.responses)),
            (_("Organisations"), str(counts.organisations)),
            (_("Positions"), str(counts.positions)),
            (_("Answers"), str(counts.answers)),
            (_("Attachments"), str(counts.attachments)),
        ]
    )
    if consultation.summary:
        writer.paragraph(consultation.summary)


def _contents(writer: _Writer, entries: list[tuple[int, str]]) -> None:
    """A TOC field whose cached text already lists every chapter and response.

    So the contents read right before Word refreshes the field (which also adds the page numbers).
    """
    writer.paragraph(_("Contents"), style="Heading 1")
    writer.sink(
        '<w:p><w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> TOC \\o "1-2" \\h \\z \\u </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r></w:p>'
    )
    for level, text in entries:
        writer.paragraph(text, style=f"TOC {level}")
    writer.sink('<w:p><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


def _matrix(writer: _Writer, source: PackSource) -> None:
    writer.heading(_("Stance matrix"), 1)
    legend: list[tuple[str, bool]] = []
    for value, label in Stance.choices:
        legend += [(f"{STANCE_SHORT[Stance(value)]} ", True), (f"{label}   ", False)]
    writer.runs(legend)
    if not source.topics:
        writer.paragraph(_("This consultation has no topics, so no positions were coded."))
        return
    first = LANDSCAPE_WIDTH // 4
    other = (LANDSCAPE_WIDTH - first) // len(source.topics)
    widths = [first] + [other] * len(source.topics)

    def rows():
        for row in source.iter_matrix():
            detail = row.kind + (f" · {row.country}" if row.country else "")
            cells = [[(row.organisation, True, 0, ""), (detail, False, 8, "")]]
            fills = [""]
            for stance, short, label in row.cells:
                fill, colour = STANCE_FILL[Stance(stance)]
                cells.append([(f"{short} {label}", False, 8, colour)])
                fills.append(fill)
            yield cells, fills

    _table(writer, widths, [_("Organisation")] + [topic.name for topic in source.topics], rows())


def _response(writer: _Writer, source: PackSource, response: Response) -> None:
    organisation = response.organisation
    writer.heading(organisation.name, 2)
    facts = [
        (_("Kind"), source.kind_labels.get(organisation.kind, organisation.kind)),
        (_("Country"), organisation.country.name or "—"),
        (_("Status"), source.status_labels.get(response.status, response.status)),
        (_("Channel"), source.channel_labels.get(response.channel, "—")),
        (_("Received on"), formats.date_format(response.received_on, "DATE_FORMAT") if response.received_on else "—"),
    ]
    if response.submitted_at:
        facts.append((_("Submitted"), formats.date_format(source.local(response.submitted_at), "DATETIME_FORMAT")))
    writer.labelled(facts)
    if response.summary:
        writer.heading(_("Summary"), 3)
        writer.paragraph(response.summary)
    writer.heading(_("Positions"), 3)
    positions = response.positions.all()
    if not positions:
        writer.paragraph(_("No position coded yet."))
    for position in positions:
        parts = [(f"{position.topic.name}: ", True), (source.stance_labels[position.stance], True)]
        if position.summary:
            parts.append((f" — {position.summary}", False))
        writer.runs(parts, style="List Bullet")
        if position.quote:
            writer.paragraph(f"“{position.quote}”", style="Quote")
    answers = response.answers.all()
    if answers:
        writer.heading(_("Answers"), 3)
        for answer in answers:
            writer.paragraph(_("Question %(number)s") % {"number": answer.question.number}, bold=True)
            writer.paragraph(answer.text)
    attachments = response.attachments.all()
    if attachments:
        writer.heading(_("Attachments"), 3)
        for attachment in attachments:
            writer.paragraph(f"{attachment.original_name} ({filesizeformat(attachment.size)})", style="List Bullet")


def _by_question(writer: _Writer, source: PackSource) -> None:
    writer.heading(_("Answers by question"), 1)
    for question in source.questions:
        writer.heading(_("Question %(number)s") % {"number": question.number}, 2)
        writer.paragraph(question.text, style="Intense Quote")
        empty = True
        for answer in source.iter_answers(question):
            empty = False
            writer.paragraph(answer.response.organisation.name, bold=True)
            writer.paragraph(answer.text)
        if empty:
            writer.paragraph(_("No answer to this question."))


def _appendix(writer: _Writer, source: PackSource, *, include_attachments: bool) -> None:
    writer.heading(_("Appendix: attachments"), 1)
    if include_attachments:
        note = _("The files are in the attachments folder of the ZIP pack, at the path shown.")
    else:
        note = _("The files themselves are not part of this pack. Each SHA-256 checksum identifies the file received.")
    writer.paragraph(note)
    widths = [PORTRAIT_WIDTH * 3 // 10, PORTRAIT_WIDTH * 3 // 10, PORTRAIT_WIDTH // 10, PORTRAIT_WIDTH * 3 // 10]

    def rows():
        for entry in named_attachments(source):
            attachment = entry.attachment
            name = entry.path if include_attachments else attachment.original_name
            yield (
                [
                    [(attachment.response.organisation.name, False, 0, "")],
                    [(name, False, 0, "")],
                    [(filesizeformat(attachment.size), False, 0, "")],
                    [(attachment.sha256, False, 7, "")],
                ],
                (),
            )

    _table(writer, widths, [_("Organisation"), _("File"), _("Size"), "SHA-256"], rows())


def write_docx(source: PackSource, path: Path, *, include_attachments: bool) -> None:
    workdir = path.parent
    body_path = workdir / f"{path.stem}-body.xml"
    skeleton_path = workdir / f"{path.stem}-skeleton.docx"
    with timezone.override(source.zone):
        document = _skeleton(source)
        style_ids = {name: document.styles[name].style_id for name in STYLES}
        portrait = document.element.body.get_or_add_sectPr()
        landscape = copy.deepcopy(portrait)
        landscape.orientation = WD_ORIENT.LANDSCAPE
        landscape.page_width, landscape.page_height = Mm(297), Mm(210)

        # The body, streamed to a file.
        with body_path.open("wb") as handle:
            writer = _Writer(style_ids, _Stream(handle))
            writer.section_end(copy.deepcopy(portrait))  # ends the cover and contents
            _matrix(writer, source)
            writer.section_end(landscape)
            writer.heading(_("Responses"), 1)
            empty = True
            for response in source.iter_responses():
                empty = False
                _response(writer, source, response)
            if empty:
                writer.paragraph(_("No response matches the filters."))
            if source.questions:
                writer.page_break()
                _by_question(writer, source)
            writer.page_break()
            _appendix(writer, source, include_attachments=include_attachments)

        # The skeleton: cover and contents, then the marker the body replaces.
        front = _Writer(style_ids, lambda xml: portrait.addprevious(_parse(xml)))
        _cover(front, source)
        front.page_break()
        _contents(front, writer.contents)
        portrait.addprevious(_parse(MARKER_XML))
        document.save(str(skeleton_path))

    _splice(skeleton_path, body_path, path)
    skeleton_path.unlink()
    body_path.unlink()
    source.progress.advance()


def _splice(skeleton_path: Path, body_path: Path, path: Path) -> None:
    """Copy the skeleton to `path`, with the streamed body in place of the marker paragraph."""
    marker = etree.tostring(_parse(MARKER_XML), encoding="unicode").replace(W_DECLARATION, "", 1)
    with zipfile.ZipFile(skeleton_path) as skeleton, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in skeleton.infolist():
            if info.filename != "word/document.xml":
                target.writestr(info, skeleton.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
                continue
            xml = skeleton.read(info.filename).decode("utf-8")
            if xml.count(marker) != 1:
                raise RuntimeError("The DOCX skeleton lost its body marker.")
            head, tail = xml.split(marker)
            with target.open(info.filename, "w") as document_xml, body_path.open("rb") as body:
                document_xml.write(head.encode("utf-8"))
                shutil.copyfileobj(body, document_xml, 1024 * 1024)
                document_xml.write(tail.encode("utf-8"))
