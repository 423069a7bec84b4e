# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The output records of a fast-path batch, compiled for classifier/schema.py
(``batch_records``): the same dicts, key for key and in the same order, as its
column-wise Python original (tests/detectors/test_compiled.py compares both).

Not a detector: this module reads ports and addresses to print them, so it lives
outside classifier/detectors/, and no detector imports it (a test checks).
"""
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DecodeASCII
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcmp, memcpy, memset, strlen

import numpy as np

cdef extern from "arpa/inet.h":
    const char* inet_ntop(int af, const void* src, char* dst, unsigned int size)

cdef extern from "sys/socket.h":
    int AF_INET
    int AF_INET6


cdef inline object _addr_text(const uint8_t* raw, bint v6):
    """socket.inet_ntop's text: dotted quad written here (libc formats it through
    printf, a third of this function's time), IPv6 left to inet_ntop."""
    cdef char buf[64]
    cdef Py_ssize_t n = 0, k
    cdef unsigned int b
    if not v6:
        for k in range(4):
            b = raw[k]
            if b >= 100:
                buf[n] = c'0' + b // 100
                n += 1
            if b >= 10:
                buf[n] = c'0' + (b // 10) % 10
                n += 1
            buf[n] = c'0' + b % 10
            n += 1
            if k < 3:
                buf[n] = c'.'
                n += 1
        return PyUnicode_DecodeASCII(buf, n, NULL)
    if inet_ntop(AF_INET6, raw, buf, sizeof(buf)) == NULL:
        raise ValueError("bad address")
    return PyUnicode_DecodeASCII(buf, strlen(buf), NULL)


# ---------------------------------------------------------------- Community ID v1
# The flow hash Zeek, Suricata, Elastic (network.community_id) and Arkime join flows on
# (github.com/corelight/community-id-spec): base64(SHA-1(seed, the two endpoints in
# order, protocol, 0, the two ports)), "1:" in front.  SHA-1 and base64 are written
# out here because every flow of every batch gets one: hashlib's call costs ten
# times the hash of these 45 bytes.  classifier/communityid.py is the Python original
# (eve), tests/test_output.py checks both on the specification's vector.

# SHA-1 (FIPS 180-4) of at most 119 bytes, in C: the 80 rounds written out, each with
# its own round function and constant, the message schedule in a 16-word ring.
cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #define PL_ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
    #define PL_W(i) (w[(i) & 15] = PL_ROL(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i) & 15], 1))
    #define PL_R(a, b, c, d, e, f, k, wi) do { e += PL_ROL(a, 5) + (f) + (k) + (wi); b = PL_ROL(b, 30); } while (0)
    #define PL_F1(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
    #define PL_F2(x, y, z) ((x) ^ (y) ^ (z))
    #define PL_F3(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
    static void pl_sha1_block(uint32_t h[5], const uint8_t *p) {
        uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        int i;
        for (i = 0; i < 16; i++)
            w[i] = ((uint32_t)p[4*i] << 24) | ((uint32_t)p[4*i+1] << 16) | ((uint32_t)p[4*i+2] << 8) | p[4*i+3];
        PL_R(a, b, c, d, e, PL_F1(b, c, d), 0x5A827999u, w[0]);
        PL_R(e, a, b, c, d, PL_F1(a, b, c), 0x5A827999u, w[1]);
        PL_R(d, e, a, b, c, PL_F1(e, a, b), 0x5A827999u, w[2]);
        PL_R(c, d, e, a, b, PL_F1(d, e, a), 0x5A827999u, w[3]);
        PL_R(b, c, d, e, a, PL_F1(c, d, e), 0x5A827999u, w[4]);
        PL_R(a, b, c, d, e, PL_F1(b, c, d), 0x5A827999u, w[5]);
        PL_R(e, a, b, c, d, PL_F1(a, b, c), 0x5A827999u, w[6]);
        PL_R(d, e, a, b, c, PL_F1(e, a, b), 0x5A827999u, w[7]);
        PL_R(c, d, e, a, b, PL_F1(d, e, a), 0x5A827999u, w[8]);
        PL_R(b, c, d, e, a, PL_F1(c, d, e), 0x5A827999u, w[9]);
        PL_R(a, b, c, d, e, PL_F1(b, c, d), 0x5A827999u, w[10]);
        PL_R(e, a, b, c, d, PL_F1(a, b, c), 0x5A827999u, w[11]);
        PL_R(d, e, a, b, c, PL_F1(e, a, b), 0x5A827999u, w[12]);
        PL_R(c, d, e, a, b, PL_F1(d, e, a), 0x5A827999u, w[13]);
        PL_R(b, c, d, e, a, PL_F1(c, d, e), 0x5A827999u, w[14]);
        PL_R(a, b, c, d, e, PL_F1(b, c, d), 0x5A827999u, w[15]);
        PL_R(e, a, b, c, d, PL_F1(a, b, c), 0x5A827999u, PL_W(16));
        PL_R(d, e, a, b, c, PL_F1(e, a, b), 0x5A827999u, PL_W(17));
        PL_R(c, d, e, a, b, PL_F1(d, e, a), 0x5A827999u, PL_W(18));
        PL_R(b, c, d, e, a, PL_F1(c, d, e), 0x5A827999u, PL_W(19));
        PL_R(a, b, c, d, e, PL_F2(b, c, d), 0x6ED9EBA1u, PL_W(20));
        PL_R(e, a, b, c, d, PL_F2(a, b, c), 0x6ED9EBA1u, PL_W(21));
        PL_R(d, e, a, b, c, PL_F2(e, a, b), 0x6ED9EBA1u, PL_W(22));
        PL_R(c, d, e, a, b, PL_F2(d, e, a), 0x6ED9EBA1u, PL_W(23));
        PL_R(b, c, d, e, a, PL_F2(c, d, e), 0x6ED9EBA1u, PL_W(24));
        PL_R(a, b, c, d, e, PL_F2(b, c, d), 0x6ED9EBA1u, PL_W(25));
        PL_R(e, a, b, c, d, PL_F2(a, b, c), 0x6ED9EBA1u, PL_W(26));
        PL_R(d, e, a, b, c, PL_F2(e, a, b), 0x6ED9EBA1u, PL_W(27));
        PL_R(c, d, e, a, b, PL_F2(d, e, a), 0x6ED9EBA1u, PL_W(28));
        PL_R(b, c, d, e, a, PL_F2(c, d, e), 0x6ED9EBA1u, PL_W(29));
        PL_R(a, b, c, d, e, PL_F2(b, c, d), 0x6ED9EBA1u, PL_W(30));
        PL_R(e, a, b, c, d, PL_F2(a, b, c), 0x6ED9EBA1u, PL_W(31));
        PL_R(d, e, a, b, c, PL_F2(e, a, b), 0x6ED9EBA1u, PL_W(32));
        PL_R(c, d, e, a, b, PL_F2(d, e, a), 0x6ED9EBA1u, PL_W(33));
        PL_R(b, c, d, e, a, PL_F2(c, d, e), 0x6ED9EBA1u, PL_W(34));
        PL_R(a, b, c, d, e, PL_F2(b, c, d), 0x6ED9EBA1u, PL_W(35));
        PL_R(e, a, b, c, d, PL_F2(a, b, c), 0x6ED9EBA1u, PL_W(36));
        PL_R(d, e, a, b, c, PL_F2(e, a, b), 0x6ED9EBA1u, PL_W(37));
        PL_R(c, d, e, a, b, PL_F2(d, e, a), 0x6ED9EBA1u, PL_W(38));
        PL_R(b, c, d, e, a, PL_F2(c, d, e), 0x6ED9EBA1u, PL_W(39));
        PL_R(a, b, c, d, e, PL_F3(b, c, d), 0x8F1BBCDCu, PL_W(40));
        PL_R(e, a, b, c, d, PL_F3(a, b, c), 0x8F1BBCDCu, PL_W(41));
        PL_R(d, e, a, b, c, PL_F3(e, a, b), 0x8F1BBCDCu, PL_W(42));
        PL_R(c, d, e, a, b, PL_F3(d, e, a), 0x8F1BBCDCu, PL_W(43));
        PL_R(b, c, d, e, a, PL_F3(c, d, e), 0x8F1BBCDCu, PL_W(44));
        PL_R(a, b, c, d, e, PL_F3(b, c, d), 0x8F1BBCDCu, PL_W(45));
        PL_R(e, a, b, c, d, PL_F3(a, b, c), 0x8F1BBCDCu, PL_W(46));
        PL_R(d, e, a, b, c, PL_F3(e, a, b), 0x8F1BBCDCu, PL_W(47));
        PL_R(c, d, e, a, b, PL_F3(d, e, a), 0x8F1BBCDCu, PL_W(48));
        PL_R(b, c, d, e, a, PL_F3(c, d, e), 0x8F1BBCDCu, PL_W(49));
        PL_R(a, b, c, d, e, PL_F3(b, c, d), 0x8F1BBCDCu, PL_W(50));
        PL_R(e, a, b, c, d, PL_F3(a, b, c), 0x8F1BBCDCu, PL_W(51));
        PL_R(d, e, a, b, c, PL_F3(e, a, b), 0x8F1BBCDCu, PL_W(52));
        PL_R(c, d, e, a, b, PL_F3(d, e, a), 0x8F1BBCDCu, PL_W(53));
        PL_R(b, c, d, e, a, PL_F3(c, d, e), 0x8F1BBCDCu, PL_W(54));
        PL_R(a, b, c, d, e, PL_F3(b, c, d), 0x8F1BBCDCu, PL_W(55));
        PL_R(e, a, b, c, d, PL_F3(a, b, c), 0x8F1BBCDCu, PL_W(56));
        PL_R(d, e, a, b, c, PL_F3(e, a, b), 0x8F1BBCDCu, PL_W(57));
        PL_R(c, d, e, a, b, PL_F3(d, e, a), 0x8F1BBCDCu, PL_W(58));
        PL_R(b, c, d, e, a, PL_F3(c, d, e), 0x8F1BBCDCu, PL_W(59));
        PL_R(a, b, c, d, e, PL_F2(b, c, d), 0xCA62C1D6u, PL_W(60));
        PL_R(e, a, b, c, d, PL_F2(a, b, c), 0xCA62C1D6u, PL_W(61));
        PL_R(d, e, a, b, c, PL_F2(e, a, b), 0xCA62C1D6u, PL_W(62));
        PL_R(c, d, e, a, b, PL_F2(d, e, a), 0xCA62C1D6u, PL_W(63));
        PL_R(b, c, d, e, a, PL_F2(c, d, e), 0xCA62C1D6u, PL_W(64));
        PL_R(a, b, c, d, e, PL_F2(b, c, d), 0xCA62C1D6u, PL_W(65));
        PL_R(e, a, b, c, d, PL_F2(a, b, c), 0xCA62C1D6u, PL_W(66));
        PL_R(d, e, a, b, c, PL_F2(e, a, b), 0xCA62C1D6u, PL_W(67));
        PL_R(c, d, e, a, b, PL_F2(d, e, a), 0xCA62C1D6u, PL_W(68));
        PL_R(b, c, d, e, a, PL_F2(c, d, e), 0xCA62C1D6u, PL_W(69));
        PL_R(a, b, c, d, e, PL_F2(b, c, d), 0xCA62C1D6u, PL_W(70));
        PL_R(e, a, b, c, d, PL_F2(a, b, c), 0xCA62C1D6u, PL_W(71));
        PL_R(d, e, a, b, c, PL_F2(e, a, b), 0xCA62C1D6u, PL_W(72));
        PL_R(c, d, e, a, b, PL_F2(d, e, a), 0xCA62C1D6u, PL_W(73));
        PL_R(b, c, d, e, a, PL_F2(c, d, e), 0xCA62C1D6u, PL_W(74));
        PL_R(a, b, c, d, e, PL_F2(b, c, d), 0xCA62C1D6u, PL_W(75));
        PL_R(e, a, b, c, d, PL_F2(a, b, c), 0xCA62C1D6u, PL_W(76));
        PL_R(d, e, a, b, c, PL_F2(e, a, b), 0xCA62C1D6u, PL_W(77));
        PL_R(c, d, e, a, b, PL_F2(d, e, a), 0xCA62C1D6u, PL_W(78));
        PL_R(b, c, d, e, a, PL_F2(c, d, e), 0xCA62C1D6u, PL_W(79));
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    #if defined(__x86_64__) && defined(__GNUC__)
    /* The same block with the x86 SHA extensions (Intel, "Intel SHA Extensions", 2013;
       SHA1RNDS4 does four rounds, SHA1NEXTE derives the next E, SHA1MSG1/SHA1MSG2 the
       message schedule), for CPUs that have them: a tenth of the scalar rounds' time.
       Chosen at run time (CPUID leaf 7, EBX bit 29); tests/test_output.py checks both
       against hashlib. */
    #include <cpuid.h>
    #include <immintrin.h>
    #define PL_NI_ROUNDS(f) do { e = _mm_sha1nexte_epu32(prev, w[g]); prev = abcd; \
                                 abcd = _mm_sha1rnds4_epu32(abcd, e, f); g++; } while (0)
    __attribute__((target("sha,sse4.1")))
    static void pl_sha1_block_ni(uint32_t h[5], const uint8_t *p) {
        const __m128i swap = _mm_set_epi64x(0x0001020304050607LL, 0x08090A0B0C0D0E0FLL);
        __m128i w[20], abcd, abcd0, e, e0, prev;
        int g;
        for (g = 0; g < 4; g++)
            w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), swap);
        for (g = 4; g < 20; g++)
            w[g] = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(w[g - 4], w[g - 3]), w[g - 2]),
                                      w[g - 1]);
        abcd = abcd0 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1B);
        e0 = _mm_set_epi32((int)h[4], 0, 0, 0);
        e = _mm_add_epi32(e0, w[0]);
        prev = abcd;
        abcd = _mm_sha1rnds4_epu32(abcd, e, 0);
        g = 1;
        while (g < 5) PL_NI_ROUNDS(0);
        while (g < 10) PL_NI_ROUNDS(1);
        while (g < 15) PL_NI_ROUNDS(2);
        while (g < 20) PL_NI_ROUNDS(3);
        e = _mm_sha1nexte_epu32(prev, e0);
        abcd = _mm_shuffle_epi32(_mm_add_epi32(abcd, abcd0), 0x1B);
        _mm_storeu_si128((__m128i *)h, abcd);
        h[4] = (uint32_t)_mm_extract_epi32(e, 3);
    }
    static int pl_sha_ni = -1;      /* -1: not asked yet */
    static int pl_have_sha_ni(void) {
        unsigned int a, b, c, d;
        if (pl_sha_ni < 0)
            pl_sha_ni = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 29 & 1)
                        && __get_cpuid(1, &a, &b, &c, &d) && (c >> 19 & 1) && (c >> 9 & 1);
        return pl_sha_ni;           /* SHA (leaf 7 EBX 29), SSE4.1 (leaf 1 ECX 19), SSSE3 (ECX 9) */
    }
    #else
    static void pl_sha1_block_ni(uint32_t h[5], const uint8_t *p) { pl_sha1_block(h, p); }
    static int pl_have_sha_ni(void) { return 0; }
    #endif
    static void pl_sha1_with(const uint8_t *msg, size_t n, uint8_t out[20], int ni) {
        uint8_t block[128];
        uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
        size_t nb = n < 56 ? 1 : 2, i;
        uint64_t bits = (uint64_t)n * 8;
        memset(block, 0, sizeof block);
        memcpy(block, msg, n);
        block[n] = 0x80;
        for (i = 0; i < 8; i++) block[nb * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
        for (i = 0; i < nb; i++) {
            if (ni) pl_sha1_block_ni(h, block + 64 * i);
            else pl_sha1_block(h, block + 64 * i);
        }
        for (i = 0; i < 5; i++) {
            out[4*i] = h[i] >> 24; out[4*i+1] = (h[i] >> 16) & 0xFF; out[4*i+2] = (h[i] >> 8) & 0xFF; out[4*i+3] = h[i] & 0xFF;
        }
    }
    static void pl_sha1(const uint8_t *msg, size_t n, uint8_t out[20]) {
        pl_sha1_with(msg, n, out, pl_have_sha_ni());
    }
    """
    void pl_sha1(const uint8_t* msg, size_t n, uint8_t* out) nogil
    void pl_sha1_with(const uint8_t* msg, size_t n, uint8_t* out, int ni) nogil
    int pl_have_sha_ni() nogil


cdef const char* _B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


cdef object _community_id(const uint8_t* ca, const uint8_t* sa, int alen, int proto,
                          unsigned int cport, unsigned int sport):
    """Community ID v1 (seed 0) of a TCP, UDP or SCTP flow; None for other protocols."""
    cdef uint8_t msg[48]
    cdef uint8_t dig[21]
    cdef char txt[32]
    cdef const uint8_t* a = ca
    cdef const uint8_t* b = sa
    cdef unsigned int pa = cport, pb = sport
    cdef int c, i, o
    cdef uint32_t v
    if proto != 6 and proto != 17 and proto != 132:
        return None
    c = memcmp(ca, sa, alen)
    if c > 0 or (c == 0 and cport > sport):
        a, b, pa, pb = sa, ca, sport, cport       # the smaller endpoint first
    msg[0] = 0
    msg[1] = 0                                    # seed 0
    memcpy(msg + 2, a, alen)
    memcpy(msg + 2 + alen, b, alen)
    o = 2 + 2 * alen
    msg[o] = proto
    msg[o + 1] = 0
    msg[o + 2] = pa >> 8
    msg[o + 3] = pa & 0xFF
    msg[o + 4] = pb >> 8
    msg[o + 5] = pb & 0xFF
    pl_sha1(msg, o + 6, dig)
    dig[20] = 0
    txt[0] = c'1'
    txt[1] = c':'
    o = 2
    for i in range(0, 21, 3):                     # 20 bytes: six groups of 3, then 2 + "="
        v = (<uint32_t>dig[i] << 16) | (<uint32_t>dig[i + 1] << 8) | (dig[i + 2] if i + 2 < 20 else 0)
        txt[o] = _B64[(v >> 18) & 63]
        txt[o + 1] = _B64[(v >> 12) & 63]
        txt[o + 2] = _B64[(v >> 6) & 63]
        txt[o + 3] = _B64[v & 63] if i + 2 < 20 else c'='
        o += 4
    return PyUnicode_DecodeASCII(txt, o, NULL)


def sha1_digest(bytes msg, bint extensions):
    """SHA-1 of at most 119 bytes by the scalar rounds (``extensions`` false) or the x86
    SHA extensions (true; the scalar rounds where the CPU lacks them), for tests."""
    cdef uint8_t dig[20]
    if len(msg) > 119:
        raise ValueError("at most 119 bytes")
    pl_sha1_with(<const uint8_t*>msg, len(msg), dig, extensions and pl_have_sha_ni())
    return bytes(dig[:20])


def have_sha_extensions():
    """Whether this CPU has the x86 SHA extensions (the Community ID uses them then)."""
    return bool(pl_have_sha_ni())


def community_id_raw(bytes client, bytes server, int proto, unsigned int cport, unsigned int sport):
    """Community ID from packed addresses (4 or 16 bytes each), for tests."""
    if len(client) != len(server) or len(client) not in (4, 16):
        raise ValueError("addresses must both be 4 or both 16 bytes")
    return _community_id(<const uint8_t*>client, <const uint8_t*>server, len(client), proto, cport, sport)


cdef inline int64_t _floordiv(int64_t a, int64_t b) noexcept:
    cdef int64_t q = a // b
    if (a % b != 0) and ((a < 0) != (b < 0)):
        q -= 1
    return q


def record_dicts(records, capture, list transports, list tunnels, list end_reasons,
                 list flag_text, list notes):
    """One output dict per record (see classifier.schema.batch_records).  The tables
    give the text of every byte value: transport by IP protocol, tunnel bits, end
    reason, TCP flags and stream-flag notes (None: no notes)."""
    cdef Py_ssize_t n = len(records), i
    cdef list out = [None] * n
    if n == 0:
        return out
    cdef const int64_t[::1] ts0 = np.ascontiguousarray(records["ts_start"], dtype=np.int64)
    cdef const int64_t[::1] ts1 = np.ascontiguousarray(records["ts_end"], dtype=np.int64)
    cdef const uint64_t[::1] pc = np.ascontiguousarray(records["packets_c2s"], dtype=np.uint64)
    cdef const uint64_t[::1] ps = np.ascontiguousarray(records["packets_s2c"], dtype=np.uint64)
    cdef const uint64_t[::1] bc = np.ascontiguousarray(records["bytes_c2s"], dtype=np.uint64)
    cdef const uint64_t[::1] bs = np.ascontiguousarray(records["bytes_s2c"], dtype=np.uint64)
    cdef const int64_t[::1] lc = np.ascontiguousarray(records["pay_len_c2s"], dtype=np.int64)
    cdef const int64_t[::1] ls = np.ascontiguousarray(records["pay_len_s2c"], dtype=np.int64)
    cdef const int64_t[::1] vlan = np.ascontiguousarray(records["vlan"], dtype=np.int64)
    cdef const int64_t[::1] cport = np.ascontiguousarray(records["client_port"], dtype=np.int64)
    cdef const int64_t[::1] sport = np.ascontiguousarray(records["server_port"], dtype=np.int64)
    cdef const int64_t[::1] proto = np.ascontiguousarray(records["proto"], dtype=np.int64)
    cdef const int64_t[::1] ipver = np.ascontiguousarray(records["ipver"], dtype=np.int64)
    cdef const int64_t[::1] tun = np.ascontiguousarray(records["tunnel"], dtype=np.int64)
    cdef const int64_t[::1] er = np.ascontiguousarray(records["end_reason"], dtype=np.int64)
    cdef const int64_t[::1] fc = np.ascontiguousarray(records["tcp_flags_c2s"], dtype=np.int64)
    cdef const int64_t[::1] fs = np.ascontiguousarray(records["tcp_flags_s2c"], dtype=np.int64)
    cdef const int64_t[::1] nc = np.ascontiguousarray(records["stream_flags_c2s"], dtype=np.int64)
    cdef const int64_t[::1] ns = np.ascontiguousarray(records["stream_flags_s2c"], dtype=np.int64)
    cdef const uint8_t[:, ::1] caddr = np.ascontiguousarray(records["client_addr"], dtype=np.uint8)
    cdef const uint8_t[:, ::1] saddr = np.ascontiguousarray(records["server_addr"], dtype=np.uint8)
    cdef dict rec, pay
    cdef bint v6
    cdef int64_t nb
    for i in range(n):
        v6 = ipver[i] == 6
        pay = {"c2s": lc[i], "s2c": ls[i]}
        nb = nc[i] | ns[i]
        if nb:
            pay["notes"] = notes[nb]
        rec = {
            "capture": capture,
            "ts_start": <double>_floordiv(ts0[i], 1000) / 1e6,
            "ts_end": <double>_floordiv(ts1[i], 1000) / 1e6,
            "transport": transports[proto[i]],
            "client": _addr_text(&caddr[i, 0], v6),
            "client_port": cport[i],
            "server": _addr_text(&saddr[i, 0], v6),
            "server_port": sport[i],
            "vlan": None if vlan[i] < 0 else vlan[i],
            "tunnel": tunnels[tun[i]],
            "packets_c2s": pc[i],
            "packets_s2c": ps[i],
            "bytes_c2s": bc[i],
            "bytes_s2c": bs[i],
            "protocol": "unknown",
            "source": "none",
            "confidence": None,
            "port_protocol": None,
            "verdict": None,
            "metadata": {},
            "community_id": _community_id(&caddr[i, 0], &saddr[i, 0], 16 if v6 else 4, proto[i],
                                          cport[i], sport[i]),
            "end_reason": end_reasons[er[i]],
            "tcp_flags": {"c2s": flag_text[fc[i]], "s2c": flag_text[fs[i]]} if proto[i] == 6 else None,
            "payload": pay,
        }
        out[i] = rec
    return out


# A (transport, protocol)'s ports are a dict until this many, then a _PortTable: only a
# flood's labels ("unknown" on random ports) get that far.
cdef enum:
    _PORT_TABLE_AFTER = 4096


cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void* PyUnicode_DATA(object o)


cdef class _PortTable:
    """The verdicts of one (transport, protocol) by port, for a flood.  A port's result
    is kept as a template shared by every port that differs only by the number that
    starts its reason ("41632/udp is unassigned; payload not identified" is "41632/udp"
    plus the template's suffix), and the record's reason is written afresh: a flood's
    random ports made two cache misses a record (the port's result tuple and its reason
    string, 65,536 of each), a tenth of its time.  A reason that does not start that way
    is kept whole (the template is the port's own)."""
    cdef uint32_t ids[65536]            # 0: not judged yet, else 1 + the template's index
    cdef list templates                 # (port_protocol, service, class, verdict, suffix, None)
                                        # or (..., None, the whole reason)
    cdef dict index                     # template -> its id
    cdef bytes tname                    # the transport, ASCII

    def __cinit__(self, str transport):
        memset(self.ids, 0, sizeof(self.ids))
        self.templates = []
        self.index = {}
        self.tname = transport.encode("ascii", "replace")

    def __reduce__(self):
        """Picklable like the dict it replaces (a registry's verdict cache goes with it)."""
        return (_port_table, (self.tname.decode("ascii"),
                              PyBytes_FromStringAndSize(<char*>self.ids, sizeof(self.ids)),
                              list(self.templates)))

    cdef uint32_t add(self, Py_ssize_t port, tuple res) except 0:
        cdef object reason = res[4]
        cdef str prefix = f"{port}/{self.tname.decode()}"
        if type(reason) is str and (<str>reason).startswith(prefix) and (<str>reason).isascii():
            t = (res[0], res[1], res[2], res[3], reason[len(prefix):], None)
        else:
            t = (res[0], res[1], res[2], res[3], None, reason)
        tid = self.index.get(t)
        if tid is None:
            self.templates.append(t)
            tid = self.index[t] = len(self.templates)
        self.ids[port] = <uint32_t>tid
        return <uint32_t>tid

    cdef inline object reason(self, Py_ssize_t port, tuple t):
        """The template's reason for this port: "<port>/<transport><suffix>"."""
        cdef object suffix = t[4]
        cdef char digits[8]
        cdef Py_ssize_t nd = 0, k, nt, ns
        cdef unsigned int v = <unsigned int>port
        cdef char* out
        if suffix is None:
            return t[5]
        while True:
            digits[nd] = <char>(48 + v % 10)
            nd += 1
            v //= 10
            if v == 0:
                break
        nt = len(self.tname)
        ns = len(<str>suffix)
        text = PyUnicode_New(nd + 1 + nt + ns, 127)
        out = <char*>PyUnicode_DATA(text)
        for k in range(nd):
            out[k] = digits[nd - 1 - k]
        out[nd] = b'/'
        memcpy(out + nd + 1, <char*>self.tname, nt)
        memcpy(out + nd + 1 + nt, PyUnicode_DATA(suffix), ns)
        return text


def _port_table(str transport, bytes ids, list templates):
    """A _PortTable from its pickled state (_PortTable.__reduce__)."""
    cdef _PortTable t = _PortTable(transport)
    if len(ids) != sizeof(t.ids):
        raise ValueError("a port table holds 65,536 ids")
    memcpy(t.ids, <const char*>ids, sizeof(t.ids))
    t.templates = templates
    t.index = {x: k + 1 for k, x in enumerate(templates)}
    return t


def annotate_known(list recs, dict cache, judge_port, guess):
    """classifier.verdict.annotate's loop, compiled: for each record whose label is not
    a model guess (source != "ml"), the verdict of (transport, protocol, server port)
    from ``cache`` ({(transport, protocol): {port: result}}, the dict becoming a
    _PortTable once it holds _PORT_TABLE_AFTER ports; a port outside 0-65535, or None,
    under the key (transport, protocol, None)), ``judge_port(transport, protocol,
    port)`` filling it on a miss; a model guess goes to ``guess(rec)``, which returns
    its result.  The result tuple sets port_protocol, port_service, port_class, verdict
    and verdict_reason, in that order.

    A flood's records nearly all share one (transport, protocol), so the last table is
    kept and found again by identity, and then a port is an array index: no hashing per
    record."""
    cdef dict rec, d
    cdef _PortTable tbl
    cdef tuple res, t
    cdef object table = None, last_t = None, last_p = None
    cdef Py_ssize_t i
    cdef uint32_t tid
    for r in recs:
        rec = <dict>r
        if rec.get("source") != "ml":
            transport = rec["transport"]
            protocol = rec["protocol"]
            port = rec["server_port"]
            if type(port) is int and 0 <= <object>port <= 65535:
                if transport is not last_t or protocol is not last_p or table is None:
                    key = (transport, protocol)
                    table = cache.get(key)
                    if table is None:
                        table = cache[key] = {}
                    last_t = transport
                    last_p = protocol
                if type(table) is _PortTable:
                    tbl = <_PortTable>table
                    i = port
                    tid = tbl.ids[i]
                    if tid == 0:
                        tid = tbl.add(i, <tuple>judge_port(transport, protocol, port))
                    t = <tuple>tbl.templates[tid - 1]
                    rec["port_protocol"] = t[0]
                    rec["port_service"] = t[1]
                    rec["port_class"] = t[2]
                    rec["verdict"] = t[3]
                    rec["verdict_reason"] = tbl.reason(i, t)
                    continue
                d = <dict>table
                x = d.get(port)
                if x is None:
                    x = d[port] = judge_port(transport, protocol, port)
                    if len(d) >= _PORT_TABLE_AFTER:
                        tbl = _PortTable(transport)
                        for k, v in d.items():
                            tbl.add(<Py_ssize_t>k, <tuple>v)
                        table = cache[(transport, protocol)] = tbl
            else:
                key = (transport, protocol, None)
                p = cache.get(key)
                if p is None:
                    p = cache[key] = {}
                d = <dict>p
                x = d.get(port)
                if x is None:
                    x = d[port] = judge_port(transport, protocol, port)
            res = <tuple>x
        else:
            res = <tuple>guess(rec)
        rec["port_protocol"] = res[0]
        rec["port_service"] = res[1]
        rec["port_class"] = res[2]
        rec["verdict"] = res[3]
        rec["verdict_reason"] = res[4]
