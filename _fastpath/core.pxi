# The engine's state: configuration, flow table, fragment table and the batch of
# finished flows waiting for Python. One `Core` per capture being read.

cdef enum:
    NONE = 0xFFFFFFFF       # "no flow" in index links
    MAX_UNSUP = 8           # distinct unsupported link types remembered by value

cdef enum ListId:
    L_TCP = 0               # open TCP flows, expire after idle_tcp
    L_UDP = 1               # UDP and other protocols, expire after idle_udp
    L_CLOSED = 2            # TCP after FIN both ways or RST, expire after closed


ctypedef struct Config:
    uint32_t payload_bytes      # payload prefix kept per direction
    uint32_t udp_datagrams      # UDP datagrams kept per direction (<= MAX_DGRAMS)
    int64_t idle_tcp            # ns without a packet before an open TCP flow ends
    int64_t idle_udp            # same for UDP and other protocols
    int64_t closed              # ns a closed TCP flow lingers for its last ACKs
    int64_t active              # ns after its first packet a flow is cut, whatever it does
    uint32_t max_flows          # hard cap on live flows (oldest-idle eviction beyond)
    uint64_t max_payload_mem    # cap on bytes held in payload buffers (eviction beyond)
    int decap                   # decapsulate GRE/IP-in-IP/GTP-U/VXLAN
    uint32_t frag_slots         # IP datagrams under reassembly at once
    int64_t frag_timeout        # ns a partial datagram waits for its other fragments
    uint32_t shard_k            # keep only the flows of shard k of shard_n (parallel
    uint32_t shard_n            # workers over one capture; shard_n 1: every flow)


ctypedef struct FragEnt:
    uint8_t used
    uint8_t ipver
    uint8_t proto               # protocol of the datagram (IPv6: next header after the fragment header)
    uint8_t have_last           # the fragment without "more fragments" arrived
    uint8_t src[16]
    uint8_t dst[16]
    uint32_t ident
    uint32_t total              # datagram payload length, known once have_last
    uint32_t wire               # frame bytes of the fragments so far
    int64_t ts_first
    uint8_t* buf                # 65536 bytes, allocated on first use and kept
    uint8_t* blk                # one flag per 8-byte block: 1 = filled (first arrival wins)
    uint32_t nblk               # blocks below this may be set (what reuse must clear)


ctypedef struct Core:
    Config cfg
    Stats stats
    int64_t now                 # latest timestamp seen (ns); timestamps going back do not rewind it
    int64_t next_sweep          # `now` at which the expiry lists are next swept
    int64_t timeout[NLISTS]     # idle timeout of each expiry list (idle_tcp, idle_udp, closed)
    # flow table
    Flow* flows                 # flow slab, indices stable, grown by doubling
    uint32_t fcap               # slots in `flows`
    uint32_t nlive              # live flows
    uint32_t* freel             # stack of free indices into `flows`
    uint32_t nfree
    uint64_t* slots             # open addressing: (hash & 0xFFFFFFFF) << 32 | (index + 1); 0 empty.
                                # The high half holds the hash's low half: a tag to compare
                                # and the ideal slot (hash & smask) without reading the flow
    uint32_t smask              # slots - 1 (power of two)
    uint32_t last               # flow of the previous packet (NONE after it ended): most
                                # packets follow one of the same flow, and then skip the
                                # hash and the probe
    uint32_t head[NLISTS]       # expiry lists, least recently active first
    uint32_t tail[NLISTS]
    uint64_t paymem             # bytes allocated in payload buffers
    EvictedKey* ev              # keys of evicted flows, EV_WAYS-way sets (flowtable.pxi)
    uint32_t evmask             # sets - 1 (power of two)
    # Recycled payload buffers, one stack per size class (small first buffer, full
    # budget): a flow's buffers go back here when it ends, so the steady state makes
    # no malloc/free per flow. Bounded by POOL_KEEP; the rest is freed.
    uint8_t** pool_small
    uint32_t npool_small
    uint8_t** pool_big
    uint32_t npool_big
    # IP fragments
    FragEnt* frags
    uint8_t* frag_out[MAX_DEPTH + 1]  # completed datagrams, one buffer per nesting depth
    # finished flows waiting for Python
    FlowRec* recs
    uint32_t nrec
    uint32_t reccap
    uint8_t* arena              # their payload bytes
    uint64_t alen
    uint64_t acap
    uint32_t batch_recs         # FlowTable.process: a batch is full at this many flows ...
    uint64_t batch_bytes        # ... or this many payload bytes
    int full                    # set by the export when the batch is full
    int oom                     # an allocation failed: stop with an error
    int unsup_lt[MAX_UNSUP]     # unsupported link types seen, and how many packets each
    uint64_t unsup_n[MAX_UNSUP]
    int nunsup
