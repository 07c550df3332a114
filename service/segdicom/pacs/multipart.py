"""A streaming reader for multipart/related bodies (WADO-RS answers, PS3.18 8.7.3.3).

It yields each part's content as soon as its closing delimiter arrives, so the
first instance of a series can be stored while the rest is still on the wire,
and never scans a byte twice. RFC 2046 5.1.1: every delimiter is CRLF "--"
boundary; the part's headers end at the first empty line.
"""

from collections.abc import Iterable, Iterator

from segdicom.errors import PacsRefused, PacsStopped


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a multipart Content-Type; PacsRefused if absent."""
    media_type, *params = (p.strip() for p in content_type.split(";"))
    if media_type.lower() != "multipart/related":
        raise PacsRefused(f"expected a multipart/related answer, got {content_type!r}")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "boundary" and value.strip().strip('"'):
            return value.strip().strip('"').encode("ascii")
    raise PacsRefused(f"multipart answer without a boundary: {content_type!r}")


def iter_parts(chunks: Iterable[bytes], boundary: bytes) -> Iterator[bytes]:
    """The contents of the parts of a multipart body given as a stream of chunks.

    PacsStopped (with how many parts arrived) when the body ends before its
    closing delimiter: the sender went away mid-answer."""
    delimiter = b"\r\n--" + boundary
    # A leading CRLF lets the first boundary line match like every other delimiter.
    buffer = bytearray(b"\r\n")
    search = 0
    started = False
    parts = 0
    for chunk in chunks:
        buffer += chunk
        while (end := buffer.find(delimiter, search)) >= 0:
            if started:
                yield _content(buffer, end)
                parts += 1
            del buffer[: end + len(delimiter)]
            started, search = True, 0
        search = max(0, len(buffer) - len(delimiter) + 1)
    if not started or not buffer.startswith(b"--"):
        raise PacsStopped(
            f"multipart answer ended before its closing boundary after {parts} parts (truncated)",
            received=parts,
        )


def _content(buffer: bytearray, end: int) -> bytes:
    """A part's body: what follows the empty line that closes its headers."""
    headers_end = buffer.find(b"\r\n\r\n", 0, end)
    if headers_end < 0:
        raise PacsRefused("multipart part without a header/body separator")
    # Through a memoryview: one copy of the part, not two (bytearray slice, then bytes).
    with memoryview(buffer) as view:
        return bytes(view[headers_end + 4 : end])
