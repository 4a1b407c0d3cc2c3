"""Join the parts of pack.pdf into one file, page by page, without holding the whole pack in memory.

pypdf's PdfWriter keeps every object of the joined document in memory until it writes: about 330 MB
for the 4,000 pages of a 5,000-response pack. This writer copies each part's objects to the output as
soon as it reads them (renumbered, shared objects once per part), so memory holds one part and a list
of offsets. While copying it stamps each page's "Page X of Y" footer (footer.py), and at the end it
writes the page tree, the bookmarks (the PDF's outline) and the cross-reference table.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    RectangleObject,
    StreamObject,
    TextStringObject,
)

from exports.builders.footer import footer_operators, footer_text

# Page attributes a page may inherit from its page tree node.
INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
FOOTER_FONT = NameObject("/FPackFooter")


@dataclass
class Bookmark:
    title: str
    page: int  # index in the joined document
    children: list["Bookmark"] = field(default_factory=list)


def _ref(number: int) -> IndirectObject:
    return IndirectObject(number, 0, None)  # type: ignore[arg-type]  (only written, never resolved)


class StreamingPdfWriter:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.offsets: dict[int, int] = {}
        self.count = 0
        self.handle.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def allocate(self) -> int:
        self.count += 1
        return self.count

    def write(self, number: int, obj: PdfObject, stream_data: bytes | None = None) -> None:
        self.offsets[number] = self.handle.tell()
        self.handle.write(b"%d 0 obj\n" % number)
        obj.write_to_stream(self.handle)
        if stream_data is not None:
            self.handle.write(b"\nstream\n")
            self.handle.write(stream_data)
            self.handle.write(b"\nendstream")
        self.handle.write(b"\nendobj\n")

    def add(self, obj: PdfObject, stream_data: bytes | None = None) -> IndirectObject:
        number = self.allocate()
        self.write(number, obj, stream_data)
        return _ref(number)

    def add_stream(self, data: bytes) -> IndirectObject:
        return self.add(DictionaryObject({NameObject("/Length"): NumberObject(len(data))}), data)

    def finish(self, root: IndirectObject, info: IndirectObject) -> None:
        missing = set(range(1, self.count + 1)) - set(self.offsets)
        if missing:
            raise ValueError(f"objects allocated but never written: {sorted(missing)[:5]}")
        start = self.handle.tell()
        self.handle.write(b"xref\n0 %d\n0000000000 65535 f \n" % (self.count + 1))
        for number in range(1, self.count + 1):
            self.handle.write(b"%010d 00000 n \n" % self.offsets[number])
        trailer = DictionaryObject(
            {
                NameObject("/Size"): NumberObject(self.count + 1),
                NameObject("/Root"): root,
                NameObject("/Info"): info,
            }
        )
        self.handle.write(b"trailer\n")
        trailer.write_to_stream(self.handle)
        self.handle.write(b"\nstartxref\n%d\n%%%%EOF\n" % start)


class PartCopier:
    """Copies the pages of one part, and every object they use, to the output."""

    def __init__(self, out: StreamingPdfWriter, reader: PdfReader, page_numbers: dict[int, int]) -> None:
        self.out = out
        self.reader = reader
        self.page_numbers = page_numbers  # the part's page objects -> their numbers in the output
        self.numbers: dict[int, int] = {}
        self.pending: list[IndirectObject] = []
        self.resources: dict[int, IndirectObject] = {}

    def remap(self, obj: PdfObject) -> PdfObject:
        if isinstance(obj, IndirectObject):
            if obj.idnum in self.page_numbers:
                return _ref(self.page_numbers[obj.idnum])
            if obj.idnum not in self.numbers:
                self.numbers[obj.idnum] = self.out.allocate()
                self.pending.append(obj)
            return _ref(self.numbers[obj.idnum])
        if isinstance(obj, DictionaryObject):
            # A /Parent leads to the part's page tree, which the output replaces.
            return DictionaryObject({key: self.remap(value) for key, value in dict.items(obj) if key != "/Parent"})
        if isinstance(obj, ArrayObject):
            return ArrayObject(self.remap(value) for value in list.__iter__(obj))
        return obj

    def flush(self) -> None:
        while self.pending:
            source = self.pending.pop()
            number = self.numbers[source.idnum]
            obj = source.get_object()
            if isinstance(obj, StreamObject):
                data = obj._data  # the stream as stored, still compressed
                header = DictionaryObject(
                    {key: self.remap(value) for key, value in dict.items(obj) if key != "/Length"}
                )
                header[NameObject("/Length")] = NumberObject(len(data))
                self.out.write(number, header, data)
            elif obj is None:
                self.out.write(number, NullObject())
            else:
                self.out.write(number, self.remap(obj))

    def page_resources(self, resources: PdfObject, font: IndirectObject) -> PdfObject:
        """The page's resources with the footer's font added; shared resources are copied once."""
        key = resources.idnum if isinstance(resources, IndirectObject) else None
        if key is not None and key in self.resources:
            return self.resources[key]
        source = resources.get_object()
        copied = DictionaryObject({key: self.remap(value) for key, value in dict.items(source) if key != "/Font"})
        fonts = self.remap(source["/Font"]) if "/Font" in source else DictionaryObject()
        fonts[FOOTER_FONT] = font
        copied[NameObject("/Font")] = fonts
        if key is None:
            return copied
        self.resources[key] = self.out.add(copied)
        return self.resources[key]


@contextmanager
def _collections_skip_existing_objects() -> Iterator[None]:
    """Each part's objects are freed by a collection after it (a reader's objects refer back to it). A
    full collection walks every object of the process, Django's included, about 0.1 s in a worker: as
    much as copying a part. Frozen, the objects that exist beforehand are left out of every collection."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def join_parts(
    part_paths: list[Path],
    sections: list[str],
    path: Path,
    *,
    total: int,
    title: str,
    footer: str,
    bookmarks: list[Bookmark],
) -> None:
    """Write the parts' pages, in order, to `path`, and the bookmarks. Each page gets its footer: its
    part's section, if any, and "Page X of `total`"."""
    with _collections_skip_existing_objects(), path.open("wb") as handle:
        out = StreamingPdfWriter(handle)
        pages_root = out.allocate()
        font = out.add(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject("/Helvetica"),
                    NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
                }
            )
        )
        # The page's own drawing runs between "q" and "Q", so whatever graphics state it leaves
        # (WeasyPrint flips the y axis, for one) is undone before the footer is drawn.
        save = out.add_stream(b"q\n")
        kids = ArrayObject()
        for part_path, section in zip(part_paths, sections, strict=True):
            reader = PdfReader(str(part_path))
            pages = list(reader.pages)
            numbers = {page.indirect_reference.idnum: out.allocate() for page in pages}
            copier = PartCopier(out, reader, numbers)
            for page in pages:
                number = numbers[page.indirect_reference.idnum]
                kids.append(_ref(number))
                copied = DictionaryObject(
                    {
                        key: copier.remap(value)
                        for key, value in dict.items(page)
                        if key not in ("/Parent", "/Contents", *INHERITED)
                    }
                )
                copied[NameObject("/Parent")] = _ref(pages_root)
                box = page.mediabox
                copied[NameObject("/MediaBox")] = RectangleObject(box)
                if page.cropbox != box:
                    copied[NameObject("/CropBox")] = RectangleObject(page.cropbox)
                if page.rotation:
                    copied[NameObject("/Rotate")] = NumberObject(page.rotation)
                resources = _raw_inherited(page, "/Resources") or DictionaryObject()
                copied[NameObject("/Resources")] = copier.page_resources(resources, font)
                contents = ArrayObject([save])
                if "/Contents" in page:
                    raw = dict.__getitem__(page, "/Contents")
                    items = raw.get_object()
                    contents.extend(copier.remap(item) for item in (items if isinstance(items, ArrayObject) else [raw]))
                text = footer_text(footer, page=len(kids), pages=total, section=section)
                contents.append(out.add_stream(footer_operators(text, box, FOOTER_FONT)))
                copied[NameObject("/Contents")] = contents
                copier.flush()
                out.write(number, copied)
            copier.flush()
            del reader, copier, pages
            gc.collect()
        if len(kids) != total:
            raise RuntimeError(f"The parts hold {len(kids)} pages, not the {total} that were laid out.")

        out.write(
            pages_root,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Pages"),
                    NameObject("/Kids"): kids,
                    NameObject("/Count"): NumberObject(len(kids)),
                }
            ),
        )
        outlines = _write_outline(out, bookmarks, kids)
        info = out.add(
            DictionaryObject(
                {
                    NameObject("/Title"): TextStringObject(title),
                    NameObject("/Creator"): TextStringObject("Consultrack"),
                }
            )
        )
        catalog = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Catalog"),
                NameObject("/Pages"): _ref(pages_root),
            }
        )
        if outlines is not None:
            catalog[NameObject("/Outlines")] = outlines
            catalog[NameObject("/PageMode")] = NameObject("/UseOutlines")
        out.finish(out.add(catalog), info)


def _raw_inherited(page: DictionaryObject, key: str) -> PdfObject | None:
    """The page's own or inherited entry, unresolved, so a shared object is recognised as such."""
    node: DictionaryObject | None = page
    while node is not None:
        if key in node:
            return dict.__getitem__(node, key)
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
    return None


def _write_outline(out: StreamingPdfWriter, bookmarks: list[Bookmark], kids: ArrayObject) -> IndirectObject | None:
    """The outline: top-level bookmarks open, their children (one a response or question) folded."""
    if not bookmarks:
        return None
    root = out.allocate()

    def write_level(items: list[Bookmark], parent: int) -> tuple[int, int]:
        numbers = [out.allocate() for _item in items]
        for index, item in enumerate(items):
            entry = DictionaryObject(
                {
                    NameObject("/Title"): TextStringObject(item.title),
                    NameObject("/Parent"): _ref(parent),
                    NameObject("/Dest"): ArrayObject([kids[item.page], NameObject("/Fit")]),
                }
            )
            if index:
                entry[NameObject("/Prev")] = _ref(numbers[index - 1])
            if index < len(items) - 1:
                entry[NameObject("/Next")] = _ref(numbers[index + 1])
            if item.children:
                first, last = write_level(item.children, numbers[index])
                entry[NameObject("/First")] = _ref(first)
                entry[NameObject("/Last")] = _ref(last)
                entry[NameObject("/Count")] = NumberObject(-len(item.children))
            out.write(numbers[index], entry)
        return numbers[0], numbers[-1]

    first, last = write_level(bookmarks, root)
    out.write(
        root,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Outlines"),
                NameObject("/First"): _ref(first),
                NameObject("/Last"): _ref(last),
                NameObject("/Count"): NumberObject(len(bookmarks)),
            }
        ),
    )
    return _ref(root)
