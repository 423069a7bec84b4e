"""QUIC / HTTP/3 peer on aioquic.

``server PORT CERT KEY`` answers HTTP/3 GETs (ALPN h3) and echoes on raw QUIC streams
(ALPN hq-interop).  ``client PORT ALPN [VERSION]`` makes one request.  The address is
127.0.0.1, or $QUIC_PEER_HOST (pcaps/gen/realistic.py: a veth address in a namespace).
"""

import asyncio
import os
import ssl
import sys

from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ProtocolNegotiated, StreamDataReceived


HOST = os.environ.get("QUIC_PEER_HOST", "127.0.0.1")


class ServerProto(QuicConnectionProtocol):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.h3 = None

    def quic_event_received(self, event):
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self.h3 = H3Connection(self._quic)
        if self.h3 is not None:
            for ev in self.h3.handle_event(event):
                if isinstance(ev, HeadersReceived) and ev.stream_ended or isinstance(ev, DataReceived) and ev.stream_ended:
                    body = b"hello from aioquic h3\n" * 4
                    self.h3.send_headers(ev.stream_id, [(b":status", b"200"), (b"server", b"aioquic"),
                                                        (b"content-length", str(len(body)).encode())])
                    self.h3.send_data(ev.stream_id, body, end_stream=True)
        elif isinstance(event, StreamDataReceived) and event.end_stream:
            self._quic.send_stream_data(event.stream_id, b"echo: " + event.data, end_stream=True)
        self.transmit()


class ClientProto(QuicConnectionProtocol):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.done = asyncio.get_event_loop().create_future()
        self.h3 = H3Connection(self._quic) if self._quic.configuration.alpn_protocols[0] in H3_ALPN else None

    def quic_event_received(self, event):
        if self.h3 is not None:
            for ev in self.h3.handle_event(event):
                if isinstance(ev, (HeadersReceived, DataReceived)) and ev.stream_ended and not self.done.done():
                    self.done.set_result(True)
        elif isinstance(event, StreamDataReceived) and event.end_stream and not self.done.done():
            self.done.set_result(True)


async def server(port, cert, key):
    cfg = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN + ["hq-interop"])
    cfg.load_cert_chain(cert, key)
    await serve(HOST, port, configuration=cfg, create_protocol=ServerProto)
    await asyncio.Future()


async def client(port, alpn, version=None):
    cfg = QuicConfiguration(is_client=True, alpn_protocols=[alpn], verify_mode=ssl.CERT_NONE,
                            server_name="portlens.test")
    if version == "v2":
        cfg.supported_versions = [0x6B3343CF, 0x00000001]
        cfg.original_version = 0x6B3343CF
    async with connect(HOST, port, configuration=cfg, create_protocol=ClientProto) as proto:
        sid = proto._quic.get_next_available_stream_id()
        if proto.h3 is not None:
            proto.h3.send_headers(sid, [(b":method", b"GET"), (b":scheme", b"https"),
                                        (b":authority", b"portlens.test"), (b":path", b"/index.html"),
                                        (b"user-agent", b"aioquic-portlens")], end_stream=True)
        else:
            proto._quic.send_stream_data(sid, b"hello quic\n", end_stream=True)
        proto.transmit()
        await asyncio.wait_for(proto.done, 5)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(server(int(sys.argv[2]), sys.argv[3], sys.argv[4]))
    else:
        asyncio.run(client(int(sys.argv[2]), sys.argv[3], *(sys.argv[4:5])))
