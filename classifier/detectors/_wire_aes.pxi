# AES-256 (FIPS-197) for one counter block: telegram's obfuscated-transport check decrypts
# 4 bytes of a 64-byte preamble with the key and IV the preamble carries (telegram.py).
# Building a cipher object of the cryptography library for each TCP flow offered cost
# ~20k instructions; the key schedule and one block here cost a few thousand.  Checked
# against FIPS-197's example and against cryptography (tests/detectors/test_telegram.py).

cdef uint8_t _AES_SBOX[256]


cdef inline uint8_t _xtime(uint8_t x) noexcept:
    return <uint8_t>((x << 1) ^ (0x1B if x & 0x80 else 0))


cdef void _aes_sbox_init() noexcept:
    """The S-box from its definition (FIPS-197 5.1.1): the multiplicative inverse in
    GF(2^8), then the affine map.  p runs over the field's non-zero elements as powers
    of the generator 3 while q runs over their inverses (powers of 3's inverse), so the
    inverses come in one pass of 255 steps."""
    cdef uint8_t p = 1, q = 1, x
    while True:
        p = p ^ _xtime(p)                  # p * 3
        q ^= q << 1                        # q / 3
        q ^= q << 2
        q ^= q << 4
        if q & 0x80:
            q ^= 0x09
        x = q ^ <uint8_t>((q << 1) | (q >> 7)) ^ <uint8_t>((q << 2) | (q >> 6)) \
            ^ <uint8_t>((q << 3) | (q >> 5)) ^ <uint8_t>((q << 4) | (q >> 4))
        _AES_SBOX[p] = x ^ 0x63
        if p == 1:
            break
    _AES_SBOX[0] = 0x63


_aes_sbox_init()


cdef void _aes256_block(const uint8_t* key, const uint8_t* inp, uint8_t* out) noexcept:
    """out = AES-256_key(inp), 16 bytes (FIPS-197 5.1 and 5.2)."""
    cdef uint8_t w[240]
    cdef uint8_t st[16]
    cdef uint8_t t[16]
    cdef uint8_t tmp[4]
    cdef uint8_t rcon = 1, x, a0, a1, a2, a3
    cdef int i, r, c
    for i in range(32):
        w[i] = key[i]
    for i in range(8, 60):                 # words
        for c in range(4):
            tmp[c] = w[4 * (i - 1) + c]
        if i % 8 == 0:
            x = tmp[0]
            tmp[0] = _AES_SBOX[tmp[1]] ^ rcon
            tmp[1] = _AES_SBOX[tmp[2]]
            tmp[2] = _AES_SBOX[tmp[3]]
            tmp[3] = _AES_SBOX[x]
            rcon = _xtime(rcon)
        elif i % 8 == 4:
            for c in range(4):
                tmp[c] = _AES_SBOX[tmp[c]]
        for c in range(4):
            w[4 * i + c] = w[4 * (i - 8) + c] ^ tmp[c]
    for i in range(16):
        st[i] = inp[i] ^ w[i]
    for r in range(1, 15):
        # SubBytes and ShiftRows: row k of column c comes from column c + k
        for c in range(4):
            for i in range(4):
                t[4 * c + i] = _AES_SBOX[st[4 * ((c + i) % 4) + i]]
        if r < 14:                         # MixColumns
            for c in range(4):
                a0, a1, a2, a3 = t[4 * c], t[4 * c + 1], t[4 * c + 2], t[4 * c + 3]
                x = a0 ^ a1 ^ a2 ^ a3
                t[4 * c] = a0 ^ x ^ _xtime(a0 ^ a1)
                t[4 * c + 1] = a1 ^ x ^ _xtime(a1 ^ a2)
                t[4 * c + 2] = a2 ^ x ^ _xtime(a2 ^ a3)
                t[4 * c + 3] = a3 ^ x ^ _xtime(a3 ^ a0)
        for i in range(16):
            st[i] = t[i] ^ w[16 * r + i]
    for i in range(16):
        out[i] = st[i]


def aes256_block(bytes key, bytes block):
    """AES-256 encryption of one 16-byte block (for tests: FIPS-197 C.3)."""
    cdef uint8_t out[16]
    if len(key) != 32 or len(block) != 16:
        raise ValueError("aes256_block: a 32-byte key and a 16-byte block")
    _aes256_block(<const uint8_t*>PyBytes_AS_STRING(key), <const uint8_t*>PyBytes_AS_STRING(block), out)
    return PyBytes_FromStringAndSize(<char*>out, 16)


def aes256_ctr_at(bytes key, bytes iv, Py_ssize_t pos, Py_ssize_t n):
    """Bytes pos..pos+n of AES-256-CTR's key stream (the counter block is the 16-byte
    IV as a big-endian number, plus one per block, modulo 2^128), within one block."""
    cdef uint8_t ctr[16]
    cdef uint8_t out[16]
    cdef Py_ssize_t blk = pos // 16, i
    cdef unsigned int carry
    if len(key) != 32 or len(iv) != 16 or pos < 0 or n < 0 or pos % 16 + n > 16:
        raise ValueError("aes256_ctr_at: a 32-byte key, a 16-byte IV, bytes within one block")
    memcpy(ctr, PyBytes_AS_STRING(iv), 16)
    carry = <unsigned int>blk
    i = 15
    while carry and i >= 0:
        carry += ctr[i]
        ctr[i] = carry & 0xFF
        carry >>= 8
        i -= 1
    _aes256_block(<const uint8_t*>PyBytes_AS_STRING(key), ctr, out)
    return PyBytes_FromStringAndSize(<char*>out + pos % 16, n)
