# C-level declarations of the fast path: the structs every stage shares.
#
# Nothing here allocates per packet. A packet is decoded into a stack `Pkt`, looked
# up in the flow table (open addressing over a growable `Flow` array) and folded into
# its flow; Python sees a flow once, as a `FlowRec` copied into a batch when it ends.
# Field comments say what each field holds and in which unit.

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t, int32_t

# Compile-time sizes (also exported to Python through module constants).
cdef enum:
    NPK = 32            # packets whose size/direction/gap are kept per flow
    MAX_DGRAMS = 8      # UDP datagrams kept per direction
    MAX_OOO = 8         # out-of-order TCP ranges buffered per direction
    MAX_DEPTH = 6       # nested encapsulations decoded before giving up
    NLISTS = 3          # expiry lists: open TCP, UDP/other, closed TCP

# Why a flow ended (FlowRec.end_reason).
cdef enum EndReason:
    END_EOF = 0         # end of input
    END_IDLE = 1        # idle timeout
    END_ACTIVE = 2      # active (maximum lifetime) timeout
    END_CLOSED = 3      # FIN from both sides or RST, then the closed timeout / a new SYN
    END_EVICTED = 4     # pushed out by the flow cap or the payload-memory cap

# Tunnel bits (Flow.tunnel); the Python side renders them as "gre+vxlan" etc.
cdef enum TunnelBit:
    TUN_4IN4 = 1
    TUN_6IN4 = 2
    TUN_4IN6 = 4
    TUN_6IN6 = 8
    TUN_GRE = 16
    TUN_GTPU = 32
    TUN_VXLAN = 64
    TUN_CAPWAP = 128

# Stream flags (Stream.flags / FlowRec.stream_flags).
cdef enum StreamFlag:
    SF_MIDSTREAM = 1    # TCP: no SYN seen in this direction; bytes start at the first data seen
    SF_GAP = 2          # TCP: a hole was never filled; bytes after it are not in the prefix
    SF_TRUNCATED = 4    # more payload existed than the byte budget kept
    SF_OOO_DROPPED = 8  # an out-of-order segment was dropped (no range slot left)
    SF_RESYNC = 16      # TCP: the direction's first bytes were lost for good (see
                        # stream_resync); the bytes kept start after that hole, at a
                        # segment boundary. SF_MIDSTREAM is set with it.

# One packet after decoding, on the stack of the packet loop.
ctypedef struct Pkt:
    int64_t ts                  # capture timestamp, ns since the epoch
    uint32_t wirelen            # original frame length (summed over fragments when reassembled)
    uint8_t ipver               # 4 or 6 (of the innermost IP header)
    uint8_t proto               # innermost IP protocol number (6 TCP, 17 UDP, ...)
    uint8_t tunnel              # TunnelBit mask of encapsulations crossed
    uint8_t tcp_flags           # TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, ...)
    int32_t vlan                # innermost 802.1Q VLAN ID, -1 when untagged
    uint8_t src[16]             # source address; IPv4 in the first 4 bytes, rest zero
    uint8_t dst[16]             # destination address, same layout
    uint16_t sport              # source port (0 for protocols without ports)
    uint16_t dport              # destination port
    uint32_t seq                # TCP sequence number
    uint32_t ack                # TCP acknowledgment number (meaningful with the ACK flag)
    const uint8_t* payload      # L4 payload (TCP/UDP) or IP payload (others)
    uint32_t paylen             # bytes at `payload` that were captured
    uint32_t l4len              # payload length on the wire (>= paylen when snapped)

# One direction of a flow's first payload bytes.
ctypedef struct Stream:
    uint8_t* buf                # heap buffer, allocated on first byte, grown by doubling
    uint32_t cap                # bytes allocated at buf
    uint32_t len                # TCP: in-order bytes from the stream start; UDP: bytes stored
    uint32_t base               # TCP: sequence number of buf[0]
    uint8_t has_base            # TCP: base is known (SYN seen or first data taken)
    uint8_t flags               # StreamFlag mask
    uint8_t nooo                # TCP: out-of-order ranges held beyond `len`
    uint8_t ndgram              # UDP: datagrams stored
    uint32_t ooo_lo[MAX_OOO]    # TCP: sorted, disjoint ranges [lo, hi) relative to base
    uint32_t ooo_hi[MAX_OOO]
    uint16_t dgram_len[MAX_DGRAMS]  # UDP: stored length of each datagram (truncated to the budget)

# A live flow. Addresses and ports are oriented: "client" opened the flow.
ctypedef struct Flow:
    uint64_t hash               # symmetric hash of the 5-tuple + VLAN
    uint8_t cli[16]             # client address
    uint8_t srv[16]             # server address
    uint16_t cport              # client port
    uint16_t sport              # server port
    int32_t vlan                # VLAN ID, -1 untagged
    uint8_t proto               # IP protocol
    uint8_t ipver               # 4 or 6
    uint8_t tunnel              # TunnelBit mask (union over the flow's packets)
    uint8_t by_syn              # 1: orientation came from a SYN / SYN-ACK
    uint8_t fin                 # bit d: FIN seen from direction d (0 c2s, 1 s2c)
    uint8_t rst                 # an RST was seen
    uint8_t list_id             # which expiry list holds the flow
    uint8_t live                # 1 while in the table
    uint8_t tcpflags[2]         # OR of TCP flags per direction
    uint8_t npk                 # entries used in the pk_* arrays
    uint8_t _pad
    int64_t ts_first            # ns
    int64_t ts_last             # ns
    int64_t touched             # engine clock (latest timestamp seen) at the flow's last packet:
                                # expiry uses it, so a capture whose clock jumps back does not
                                # end every flow at once, and the expiry lists stay in order
    uint64_t pkts[2]            # packets per direction
    uint64_t bytes[2]           # frame bytes per direction
    uint32_t prev               # expiry list links (flow indices, NONE = end)
    uint32_t next
    uint16_t pk_size[NPK]       # L4 payload bytes of each of the first packets
    uint8_t pk_dir[NPK]         # 0 client->server, 1 server->client
    uint32_t pk_iat[NPK]        # microseconds since the flow's previous packet (0 for the first)
    Stream st[2]                # payload prefix per direction

# What Python receives per flow: a flat, fixed-size record; a numpy dtype mirrors it.
ctypedef struct FlowRec:
    int64_t ts_start            # ns
    int64_t ts_end              # ns
    uint64_t pkts_c2s
    uint64_t pkts_s2c
    uint64_t bytes_c2s
    uint64_t bytes_s2c
    uint64_t pay_off            # offset of this flow's payload in the batch arena (c2s, then s2c)
    uint32_t pay_len_c2s
    uint32_t pay_len_s2c
    int32_t vlan
    uint16_t cport
    uint16_t sport
    uint8_t cli[16]
    uint8_t srv[16]
    uint8_t proto
    uint8_t ipver
    uint8_t tunnel
    uint8_t end_reason
    uint8_t by_syn
    uint8_t tcpflags_c2s
    uint8_t tcpflags_s2c
    uint8_t npk
    uint8_t stream_flags_c2s
    uint8_t stream_flags_s2c
    uint8_t ndgram_c2s
    uint8_t ndgram_s2c
    uint16_t dgram_len_c2s[MAX_DGRAMS]
    uint16_t dgram_len_s2c[MAX_DGRAMS]
    uint16_t pk_size[NPK]
    uint8_t pk_dir[NPK]
    uint32_t pk_iat[NPK]

# The key of a flow pushed out at a cap (Core.ev). While the table stays at its cap, a
# later packet of that flow updates this entry instead of starting a new flow that
# would push out another one: under a flood of more concurrent flows than the cap,
# one record per packet would follow otherwise.
ctypedef struct EvictedKey:
    uint64_t hash               # flow_hash of the flow; 0: the entry is empty
    int64_t touched             # engine time of its last packet (the flow's, then ours)
    uint8_t cli[16]
    uint8_t srv[16]
    uint16_t cport
    uint16_t sport
    int32_t vlan
    uint8_t proto

# Run-wide counters, returned to Python as a dict at the end.
ctypedef struct Stats:
    uint64_t packets            # records read
    uint64_t bytes              # sum of original frame lengths
    uint64_t ip_packets         # packets that reached an IP header
    uint64_t non_ip             # ARP, LLDP, STP, ...: not IP, skipped
    uint64_t unsupported_link   # packets of a link type we do not decode
    uint64_t bad_link           # link-layer header truncated or inconsistent
    uint64_t bad_ip             # IP header truncated or with absurd lengths
    uint64_t bad_l4             # TCP/UDP header truncated or with absurd lengths
    uint64_t snapped            # IP packets cut short by the capture snaplen
    uint64_t too_deep           # encapsulation nesting beyond MAX_DEPTH
    uint64_t tunneled           # packets decapsulated from a tunnel
    uint64_t frag_packets       # IP fragments seen
    uint64_t frag_reassembled   # datagrams completed from fragments
    uint64_t frag_overlaps      # fragments that overlapped data already held
    uint64_t frag_dropped       # fragment sets dropped (timeout, table full, inconsistent)
    uint64_t flows              # flows reported
    uint64_t flows_tcp
    uint64_t flows_udp
    uint64_t flows_other
    uint64_t end_idle
    uint64_t end_active
    uint64_t end_closed
    uint64_t end_eof
    uint64_t evicted            # flows pushed out by a cap (subset of flows)
    uint64_t evicted_packets    # later packets of evicted flows, met while the table was
    uint64_t evicted_bytes      # still at its cap: counted here, not made into new flows
    uint64_t max_live           # highest number of live flows at once
    uint64_t tcp_retrans        # TCP segments whose bytes were all already held
    uint64_t tcp_ooo            # TCP segments that arrived ahead of a hole
    uint64_t damaged_records    # capture records skipped as damaged (bad interface id, ...)
    uint64_t caplen_over_snaplen  # records longer than the declared snaplen (kept)
    uint64_t ts_backwards       # records whose timestamp went backwards (kept)
    uint64_t shard_skipped      # packets of another shard's flows (FlowConfig.shard): decoded,
                                # moved the clock, nothing else
