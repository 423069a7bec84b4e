"""RTP and RTCP: ffmpeg streaming short generated audio/video (``-f rtp``) to a UDP sink.

ffmpeg sends RTP to port P and RTCP sender reports to P+1; each stream lasts 2 s.
"""

import sys

from .core import cmd, deb_version

NAME = "rtp"
PREFIXES = ("rtp",)
MODES = ("random", "iana")

FFMPEG = f"ffmpeg {deb_version('ffmpeg')}"
SINK = ("import socket,sys,select; p=int(sys.argv[1]); ss=[socket.socket(2,2) for _ in (0,1)]\n"
        "[s.bind(('127.0.0.1', p+i)) for i, s in enumerate(ss)]\n"
        "while True:\n  for s in select.select(ss, [], [])[0]: s.recv(65536)")


def run(ctx):
    cases = [
        ("pcmu-audio", ["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "pcm_mulaw", "-ar", "8000", "-ac", "1"]),
        ("opus-audio", ["-f", "lavfi", "-i", "sine=frequency=660:duration=2", "-c:a", "libopus", "-b:a", "24k"]),
        ("h264-video", ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2", "-c:v", "libx264",
                        "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p"]),
        ("mpeg4-video", ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=2", "-c:v", "mpeg4", "-q:v", "10"]),
    ]
    for variant, args in cases:
        port = ctx.port(5004, "udp")
        port -= port % 2                 # RTP on an even port, RTCP on the next odd one
        sink = ctx.start("udp-sink", [sys.executable, "-c", SINK, str(port)], wait=("udp", port))
        argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", *args, "-f", "rtp", f"rtp://127.0.0.1:{port}"]
        with ctx.capture("rtp") as cap:
            how = f"{cmd(argv)} to a UDP sink"
            cap.expect("udp", port, "rtp", variant=variant, server=("udp-sink", "python " + sys.version.split()[0]),
                       client=FFMPEG, how=how)
            cap.expect("udp", port + 1, "rtcp", variant=variant, server=("udp-sink", "python " + sys.version.split()[0]),
                       client=FFMPEG, how=how, required=False)
            cap.start()
            ctx.run(argv, timeout=20)
        ctx.stop(sink)
