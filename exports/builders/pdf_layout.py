"""Lay the parts of pack.pdf out in child processes, several at a time.

Laying out is nearly all of a PDF pack's time, and WeasyPrint uses one core. So the builder (pack_pdf)
renders each part's HTML and hands it, as a file, to one of a few child processes, which lays it out,
writes the part's PDF and answers with its page count and the page on which each anchor starts. The
builder keeps reading the database and rendering HTML meanwhile.

The children are plain Python processes running this file: they import WeasyPrint and nothing of the
project (no Django, no database connection), so each starts small, and a Celery worker may start them
(its prefork children may not use multiprocessing). They speak JSON, a line a request and a line an
answer, over their standard input and output. A child whose parent dies reads the end of its input and
exits; the parent stops its children whenever the build ends, however it ends (LayoutPool.close). A
child is replaced after MAX_PARTS_PER_CHILD parts, so memory that WeasyPrint does not give back
cannot pile up over a long pack.
"""

import gc
import json
import os
import selectors
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAX_PARTS_PER_CHILD = 100


@dataclass(frozen=True)
class LaidOut:
    """A part's PDF, written: its page count and the index of the page each anchor starts on."""

    key: object
    pages: int
    anchors: dict[str, int]


class LayoutError(RuntimeError):
    """A child could not lay a part out, or died while doing so."""


class _Child:
    def __init__(self) -> None:
        # -I: the child's imports are WeasyPrint's alone, whatever the current directory holds.
        self.process = subprocess.Popen(  # noqa: S603  (our own interpreter and file)
            [sys.executable, "-I", __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.parts = 0
        self.key: object = None  # the part it is laying out, if any

    @property
    def stdout(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def send(self, key: object, html_path: Path, pdf_path: Path) -> None:
        assert self.process.stdin is not None
        self.key = key
        self.parts += 1
        self.process.stdin.write(json.dumps({"html": str(html_path), "pdf": str(pdf_path)}) + "\n")
        self.process.stdin.flush()

    def receive(self) -> LaidOut:
        line = self.stdout.readline()
        key, self.key = self.key, None
        if not line:
            code = self.process.wait()
            raise LayoutError(f"The PDF layout process stopped (exit code {code}).")
        answer = json.loads(line)
        if "error" in answer:
            raise LayoutError(answer["error"])
        return LaidOut(key, answer["pages"], answer["anchors"])

    def stop(self) -> None:
        """End the child: at once if it is busy (its part is no longer wanted), else by closing its input."""
        if self.process.poll() is None:
            if self.key is not None:
                self.process.kill()
            else:
                assert self.process.stdin is not None
                self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()


class LayoutPool:
    """Up to `processes` parts laid out at once; results come back as each part is done, in any order.

    Use as a context manager: leaving it, normally or by an exception, stops every child.
    """

    def __init__(self, processes: int) -> None:
        self.processes = max(1, processes)
        self.children: list[_Child] = []
        self.selector = selectors.DefaultSelector()

    def __enter__(self) -> "LayoutPool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for child in self.children:
            child.stop()
        self.children.clear()
        self.selector.close()

    @property
    def busy(self) -> int:
        return sum(1 for child in self.children if child.key is not None)

    def submit(self, key: object, html: str, html_path: Path, pdf_path: Path) -> list[LaidOut]:
        """Queue a part, its HTML written to html_path first. Returns the parts finished meanwhile:
        one when every child was busy (it waits for it), else none."""
        finished = [self._next()] if self.busy >= self.processes else []
        html_path.write_text(html, encoding="utf-8")
        self._idle_child().send(key, html_path, pdf_path)
        return finished

    def drain(self) -> Iterator[LaidOut]:
        """The parts still being laid out, as each is done."""
        while self.busy:
            yield self._next()

    def _idle_child(self) -> _Child:
        for child in list(self.children):
            if child.key is None and child.parts >= MAX_PARTS_PER_CHILD:
                self.selector.unregister(child.stdout)
                child.stop()
                self.children.remove(child)
        for child in self.children:
            if child.key is None:
                return child
        child = _Child()
        self.children.append(child)
        self.selector.register(child.stdout, selectors.EVENT_READ, child)
        return child

    def _next(self) -> LaidOut:
        while True:
            for selected, _events in self.selector.select():
                child: _Child = selected.data
                if child.key is not None:
                    return child.receive()
                # An idle child has nothing to say: it ended (killed from outside). Replace it when needed.
                self.selector.unregister(child.stdout)
                child.stop()
                self.children.remove(child)


# The child's side ---------------------------------------------------------------------------------


def _lay_out(html_path: str, pdf_path: str, font_config) -> dict:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # The pack is made of our own templates and escaped user text: it never needs the network or the
    # disk, and a stray URL in the data must not make the worker fetch anything.
    html = Path(html_path).read_text(encoding="utf-8")
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=["data"])).render(font_config=font_config)
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            # A section running over several pages is anchored on each; it starts on the first.
            anchors.setdefault(anchor, index)
    document.write_pdf(target=pdf_path)
    return {"pages": len(document.pages), "anchors": anchors}


def _with_stack_room(function, *args):
    """function(*args), called with some 500 KB of room for Python frames above it."""
    return function(*args)


# CPython 3.11 keeps frames in 16 KB chunks, each mapped when the stack grows into it and unmapped when
# it shrinks out of it. WeasyPrint's layout recursion goes back and forth across such boundaries: some
# 8,000 mmap/munmap pairs and 9,000 page faults a part, an eighth of the layout time spent in the
# kernel. A frame with this much declared stack makes the chunk it starts 1 MB, so the layout's own
# frames fit in the half left free and no chunk is mapped until the part is done.
_with_stack_room.__code__ = _with_stack_room.__code__.replace(co_stacksize=64_600)


def _serve() -> None:
    import logging
    import traceback

    from weasyprint.text.fonts import FontConfiguration

    # WeasyPrint's warnings (a glyph no font has, say) go to the worker's log through standard error.
    logging.basicConfig(level=logging.WARNING, format="pdf layout %(process)d: %(levelname)s %(message)s")
    # Laying out allocates millions of short-lived objects, and each automatic collection walked the
    # modules' objects too. Frozen, those are skipped; a higher first threshold makes the collections
    # rarer (about a tenth off the layout time). A part's cycles are freed by the collection after it.
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    # One font configuration for every part the child lays out: making it anew cost some 12 ms a part.
    # The pack declares no @font-face, so nothing of one part's stays in it for the next.
    font_config = FontConfiguration()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = _with_stack_room(_lay_out, request["html"], request["pdf"], font_config)
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"}
        finally:
            os.unlink(request["html"])
        # A part's boxes and fonts refer to each other in cycles that only the cyclic collector frees;
        # left to its own schedule, several parts' worth pile up.
        gc.collect()
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
