"""CSV responses that stream: rows are written as they are read, never buffered whole.

Under ASGI Django would drain a synchronous iterator into a list before sending it, so
there the rows are pulled through an async generator, one chunk per thread hop, on the
request's own thread (its database connection).
"""

import csv
import io
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse

ROWS_PER_CHUNK = 1000
_DONE = object()


def csv_chunks(*, header: Sequence[str], rows: Iterable[Sequence], rows_per_chunk: int = ROWS_PER_CHUNK) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


async def _async_chunks(chunks: Iterator[str]) -> AsyncIterator[str]:
    next_chunk = sync_to_async(next, thread_sensitive=True)
    try:
        while (chunk := await next_chunk(chunks, _DONE)) is not _DONE:
            yield chunk
    finally:
        await sync_to_async(chunks.close, thread_sensitive=True)()


def csv_streaming_response(*, request: HttpRequest, header: Sequence[str], rows: Iterable[Sequence],
                           filename: str) -> StreamingHttpResponse:
    chunks = csv_chunks(header=header, rows=rows)
    content = _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
