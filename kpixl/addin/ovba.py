"""MS-OVBA compression (MS-OVBA §2.4.1), written out because the published one is broken.

VBA source inside a ``vbaProject.bin`` is stored as a *CompressedContainer*: a signature
byte ``0x01`` and a run of chunks, each holding up to 4096 bytes of decompressed data.
A chunk is either compressed (flag bytes, each followed by eight literal bytes or
2-byte *CopyTokens*) or, when compression would not make it smaller, raw.

The published ``ms-ovba`` package corrupts modules larger than about 1 KB, and the
algorithm is short, so it is written here straight from the specification. The one
corner the specification leaves sharp: a raw chunk always carries 4096 bytes, so a
*last* chunk that is both short (> 3640 bytes) and incompressible decompresses padded
with NUL bytes. VBA source text never hits it (it always compresses); random bytes can.
"""

from __future__ import annotations

__all__ = ["compress", "decompress"]

_CHUNK = 4096
_SIGNATURE = 0x01
_MAX_CANDIDATES = 48  # hash-chain depth: plenty for source text, keeps it fast


def _copy_token_help(difference: int) -> tuple[int, int]:
    """Return (bit count of the offset part, maximum length) at ``difference`` (§2.4.1.3.19.1)."""
    bit_count = max((difference - 1).bit_length(), 4)
    return bit_count, (0xFFFF >> bit_count) + 3


def _match_length(data: bytes, candidate: int, current: int, limit: int) -> int:
    n = 0
    while n + 32 <= limit and data[candidate + n : candidate + n + 32] == data[current + n : current + n + 32]:
        n += 32
    while n < limit and data[candidate + n] == data[current + n]:
        n += 1
    return n


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    out = bytearray()
    chains: dict[bytes, list[int]] = {}
    current = start

    def remember(position: int) -> None:
        if position + 3 <= end:
            chains.setdefault(data[position : position + 3], []).append(position)

    while current < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if current >= end:
                break
            best_length, best_offset = 0, 0
            if current + 3 <= end:
                difference = current - start
                bit_count, max_length = _copy_token_help(difference)
                limit = min(max_length, end - current)
                candidates = chains.get(data[current : current + 3], ())
                for candidate in reversed(candidates[-_MAX_CANDIDATES:]):
                    if best_length and data[candidate + best_length] != data[current + best_length]:
                        continue  # cannot beat the best match found so far
                    length = _match_length(data, candidate, current, limit)
                    if length > best_length:
                        best_length, best_offset = length, current - candidate
                        if length == limit:
                            break
            if best_length >= 3:
                token = ((best_offset - 1) << (16 - bit_count)) | (best_length - 3)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                for position in range(current, current + best_length):
                    remember(position)
                current += best_length
            else:
                out.append(data[current])
                remember(current)
                current += 1
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress bytes into an MS-OVBA CompressedContainer.

    Args:
        data: The decompressed bytes (for VBA: module source in the project code page).

    Returns:
        The container: ``0x01`` then one chunk per 4096 input bytes, each compressed
        unless compression would not fit, in which case it is stored raw (§2.4.1.3.10).
    """
    data = bytes(data)
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), _CHUNK):
        end = min(start + _CHUNK, len(data))
        body = _compress_chunk(data, start, end)
        if len(body) <= _CHUNK:
            header = (len(body) + 2 - 3) | (0b011 << 12) | 0x8000
        else:
            body = data[start:end].ljust(_CHUNK, b"\x00")
            header = (_CHUNK + 2 - 3) | (0b011 << 12)
        out += header.to_bytes(2, "little") + body
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (§2.4.1.3.1).

    Args:
        container: The compressed bytes, starting with the signature byte ``0x01``.

    Returns:
        The decompressed bytes.

    Raises:
        ValueError: The container or one of its chunks is malformed.
    """
    container = bytes(container)
    if not container or container[0] != _SIGNATURE:
        raise ValueError("not an MS-OVBA compressed container (signature byte is not 0x01)")
    out = bytearray()
    position = 1
    while position < len(container):
        if position + 2 > len(container):
            raise ValueError(f"truncated chunk header at byte {position}")
        header = int.from_bytes(container[position : position + 2], "little")
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad chunk signature at byte {position}")
        chunk_end = min(position + size, len(container))
        position += 2
        chunk_start = len(out)
        if not header & 0x8000:
            out += container[position : position + _CHUNK]
            position += _CHUNK
            continue
        while position < chunk_end:
            flags = container[position]
            position += 1
            for bit in range(8):
                if position >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(container[position])
                    position += 1
                    continue
                if position + 2 > chunk_end:
                    raise ValueError(f"truncated copy token at byte {position}")
                token = int.from_bytes(container[position : position + 2], "little")
                position += 2
                difference = len(out) - chunk_start
                if difference == 0:
                    raise ValueError(f"copy token before any literal at byte {position - 2}")
                bit_count, _ = _copy_token_help(difference)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > difference:
                    raise ValueError(f"copy token reaches before its chunk at byte {position - 2}")
                source = len(out) - offset
                for k in range(length):
                    out.append(out[source + k])
    return bytes(out)
