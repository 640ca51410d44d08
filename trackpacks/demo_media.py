"""Small media made in code for the demo catalog: a 64x64 PNG cover and a half-second WAV tone
per song, different for every token id and the same on every machine (same CIDs)."""

import io
import math
import struct
import wave
import zlib

COVER_SIZE = 64
SAMPLE_RATE = 8000
TONE_SECONDS = 0.5


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def cover_png(token_id: int) -> bytes:
    """A diagonal gradient between two colours picked from the token id."""
    hue = (token_id * 47) % 256
    start = (hue, 255 - hue, (hue * 3) % 256)
    end = ((hue + 128) % 256, (hue * 7) % 256, 255 - (hue * 5) % 256)
    rows = bytearray()
    for y in range(COVER_SIZE):
        rows.append(0)  # filter: none
        for x in range(COVER_SIZE):
            t = (x + y) / (2 * (COVER_SIZE - 1))
            rows += bytes(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
    header = struct.pack(">IIBBBBB", COVER_SIZE, COVER_SIZE, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def tone_wav(token_id: int) -> bytes:
    """A short sine tone (8 kHz, 8-bit mono) whose pitch follows the token id."""
    frequency = 220.0 * 2 ** ((token_id % 24) / 12)
    frames = bytes(
        128 + round(100 * math.sin(2 * math.pi * frequency * n / SAMPLE_RATE))
        for n in range(int(SAMPLE_RATE * TONE_SECONDS))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(frames)
    return buffer.getvalue()
