"""Text out of a PDF, in a child process with a memory cap: `python -m responses.pdf_text_child`.

Reads the PDF's bytes on stdin and writes JSON on stdout: {"pages": [...]} or {"error": "encrypted"}.
Imports pypdf only (no Django), so it starts fast. A PDF built to exhaust memory or loop fails here,
in a process the caller limits and kills, never in the Celery worker itself.
"""

import io
import json
import sys


def main() -> int:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    reader = PdfReader(io.BytesIO(sys.stdin.buffer.read()))
    if reader.is_encrypted:
        try:
            # Many PDFs are "encrypted" only against editing, with an empty password to read them.
            reader.decrypt("")
            pages = [page.extract_text() or "" for page in reader.pages]
        except (FileNotDecryptedError, NotImplementedError):
            json.dump({"error": "encrypted"}, sys.stdout)
            return 0
    else:
        pages = [page.extract_text() or "" for page in reader.pages]
    json.dump({"pages": pages}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
