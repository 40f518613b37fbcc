"""RFC 6242 message framing: end-of-message (``]]>]]>``, NETCONF 1.0 and every hello) and
chunked framing (NETCONF 1.1, once both sides advertised base:1.1).

The session pulls one message at a time (:meth:`Framer.next_message`) because the framing can
change between two messages of the same read: a client may send its hello and its first
chunked rpc in one packet.
"""

from __future__ import annotations

import re

EOM = b"]]>]]>"
MAX_MESSAGE = 16 * 1024 * 1024
MAX_CHUNK = 4294967295
_SIZE = re.compile(rb"[1-9][0-9]{0,9}")
_PARTIAL_HEADER = re.compile(rb"\n(#(#|[1-9][0-9]{0,9})?)?")


class FramingError(ValueError):
    """The peer broke the framing; RFC 6242 says to close the session."""


class Framer:
    def __init__(self, max_message: int = MAX_MESSAGE):
        self.chunked = False
        self.max_message = max_message
        self._buf = bytearray()
        self._chunks = bytearray()  # the message being assembled in chunked mode

    def feed(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) + len(self._chunks) > self.max_message + 64:
            raise FramingError(f"message larger than {self.max_message} bytes")

    def next_message(self) -> bytes | None:
        return self._next_chunked() if self.chunked else self._next_eom()

    def _next_eom(self) -> bytes | None:
        i = self._buf.find(EOM)
        if i < 0:
            return None
        msg = bytes(self._buf[:i])
        del self._buf[: i + len(EOM)]
        return msg

    def _next_chunked(self) -> bytes | None:
        while True:
            buf = self._buf
            nl = buf.find(b"\n", 1)
            if nl < 0:
                if len(buf) > 13 or (not _PARTIAL_HEADER.fullmatch(bytes(buf)) and buf):
                    raise FramingError("bad chunk header")
                return None
            if not buf.startswith(b"\n#"):
                raise FramingError("bad chunk header")
            header = bytes(buf[2:nl])
            if header == b"#":
                del buf[: nl + 1]
                if not self._chunks:
                    raise FramingError("end-of-chunks without a chunk")
                msg = bytes(self._chunks)
                self._chunks.clear()
                return msg
            if not _SIZE.fullmatch(header) or int(header) > MAX_CHUNK:
                raise FramingError(f"bad chunk size {header[:12]!r}")
            size = int(header)
            start = nl + 1
            if len(buf) < start + size:
                return None
            self._chunks += buf[start : start + size]
            del buf[: start + size]
            if len(self._chunks) > self.max_message:
                raise FramingError(f"message larger than {self.max_message} bytes")


def frame(message: bytes, chunked: bool) -> bytes:
    if chunked:
        return b"\n#%d\n" % len(message) + message + b"\n##\n"
    return message + EOM
