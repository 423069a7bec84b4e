"""Minimal BER/DER reader shared by snmp, ldap and kerberos (ASN.1 protocols)."""
from __future__ import annotations

MORE_NEEDED = "more"


def tlv(data: bytes, pos: int):
    """(tag, value_start, value_end) or MORE_NEEDED or None (invalid)."""
    if pos + 2 > len(data):
        return MORE_NEEDED
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        return None                      # high tag numbers are not used by these protocols
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            return None                  # indefinite length is forbidden in DER/LDAP
        if pos + k > len(data):
            return MORE_NEEDED
        n = int.from_bytes(data[pos:pos + k], "big")
        pos += k
    return tag, pos, pos + n


def integer(data: bytes, pos: int):
    """(value, next_pos) of an INTEGER at pos, MORE_NEEDED or None."""
    t = tlv(data, pos)
    if t is None or t == MORE_NEEDED:
        return t
    tag, s, e = t
    if tag != 0x02 or e - s > 8 or e == s:
        return None                      # a non-empty INTEGER that fits 64 bits
    if e > len(data):
        return MORE_NEEDED
    return int.from_bytes(data[s:e], "big", signed=True), e
