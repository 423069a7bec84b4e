"""NetBIOS encoded names (RFC 1001 14.1): length byte 0x20 then 32 chars 'A'..'P'."""


def encoded_name(data: bytes, pos: int) -> bool | None:
    """True/False, or None when data ends inside the name."""
    if pos >= len(data):
        return None
    if data[pos] != 0x20:
        return False
    body = data[pos + 1:pos + 33]
    if not all(0x41 <= b <= 0x50 for b in body):
        return False
    return True if len(body) == 32 else None


def decode(data: bytes, pos: int) -> str:
    b = data[pos + 1:pos + 33]
    raw = bytes(((b[i] - 0x41) << 4) | (b[i + 1] - 0x41) for i in range(0, 32, 2))
    return raw[:15].decode("latin-1").rstrip("\x00").rstrip()     # space or NUL padding (RFC 1002)
