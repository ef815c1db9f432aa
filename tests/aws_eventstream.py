"""The AWS event-stream binary framing (``application/vnd.amazon.eventstream``), encoded for
tests (not a test file): what Bedrock's ConverseStream sends, so boto3's real decoder reads it.

One message is::

    [total length: uint32][headers length: uint32][prelude CRC32: uint32]
    [headers ...][payload ...][message CRC32: uint32]

all big-endian; the prelude CRC covers the first 8 bytes, the message CRC everything before
it. A header is ``[name length: uint8][name][type: uint8][value]``; the only type used here
is 7, a string: ``[length: uint16][UTF-8 bytes]``.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

STRING = 7


def _crc(data: bytes, start: int = 0) -> int:
    return zlib.crc32(data, start) & 0xFFFFFFFF


def header(name: str, value: str) -> bytes:
    """One header whose value is a string."""
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack(">B", len(raw_name))
        + raw_name
        + struct.pack(">BH", STRING, len(raw_value))
        + raw_value
    )


def message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message."""
    head = b"".join(header(k, v) for k, v in headers.items())
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", _crc(prelude))
    body = prelude + head + payload
    return body + struct.pack(">I", _crc(body))


def event(event_type: str, body: dict[str, Any]) -> bytes:
    """An event message: ``:event-type`` names the member of the stream's union; the
    payload is that member's JSON."""
    return message(
        {
            ":event-type": event_type,
            ":content-type": "application/json",
            ":message-type": "event",
        },
        json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(),
    )


def exception(exception_type: str, text: str) -> bytes:
    """An exception message (a modeled error in the middle of the stream)."""
    return message(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        json.dumps({"message": text}).encode(),
    )


def decode(data: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Messages back from bytes (checks both CRCs): for the encoder's own test."""
    out = []
    while data:
        total, head_len, prelude_crc = struct.unpack(">III", data[:12])
        assert prelude_crc == _crc(data[:8]), "prelude CRC"
        assert struct.unpack(">I", data[total - 4 : total])[0] == _crc(data[: total - 4])
        head, payload = data[12 : 12 + head_len], data[12 + head_len : total - 4]
        headers = {}
        while head:
            n = head[0]
            name = head[1 : 1 + n].decode()
            assert head[1 + n] == STRING
            (length,) = struct.unpack(">H", head[2 + n : 4 + n])
            headers[name] = head[4 + n : 4 + n + length].decode()
            head = head[4 + n + length :]
        out.append((headers, payload))
        data = data[total:]
    return out
