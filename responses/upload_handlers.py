"""Uploads too large are never kept: counted as they stream in, then handed on as an empty stand-in.

Django reads an upload in chunks through its handlers. This one comes first: once a file passes
UPLOAD_MAX_BYTES it stops passing chunks on, so the later handlers (memory, temporary file) hold at
most that much, and at the end it hands the form an empty file carrying the name and the true size.
The form's own size check then says, in words, that the file is too large, and the other fields of
the form are kept.
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """Stands in for a file refused for its size: its name and size, none of its bytes."""

    def __init__(self, name: str, size: int, content_type: str):
        import io

        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.over = False

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.over = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self.over = True
        # Past the limit, nothing more reaches the handlers that keep bytes.
        return None if self.over else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.over:
            return OversizedUpload(self.file_name, self.received, self.content_type)
        return None
