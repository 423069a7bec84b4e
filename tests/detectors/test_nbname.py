"""NetBIOS names (RFC 1001 14.1 first-level encoding) as the three NetBIOS detectors
report them: the 15 name bytes without their padding, spaces or the NULs that follow
the wildcard "*" (RFC 1002 4.2.17)."""
from classifier.detectors import _dnswire, _nbname


def _encode(name: bytes) -> bytes:
    return bytes(c for b in name for c in (0x41 + (b >> 4), 0x41 + (b & 15)))


def test_space_and_nul_padding_are_dropped():
    server = _encode(b"FILESERVER     \x20")          # 15 bytes padded with spaces, suffix 0x20
    wildcard = _encode(b"*" + bytes(15))              # the wildcard, NUL-padded
    for raw, name in ((server, "FILESERVER"), (wildcard, "*")):
        assert _dnswire.decode_netbios(raw) == name
        assert _nbname.decode(b"\x20" + raw, 0) == name   # a length byte (32), then the label
