"""RTSP: ffmpeg as an RTSP server (``-rtsp_flags listen``) receiving a publish
(ANNOUNCE/SETUP/RECORD) from another ffmpeg; RTP interleaved in the TCP connection."""

from .core import cmd, deb_version

NAME = "rtsp"
PREFIXES = ("rtsp",)
MODES = ("random", "iana")

FFMPEG = deb_version("ffmpeg")


def run(ctx):
    cases = [
        ("publish-tcp-pcmu", ["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "pcm_mulaw", "-ar", "8000"]),
        ("publish-tcp-mpeg4", ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2", "-c:v", "mpeg4", "-q:v", "12"]),
        ("publish-tcp-aac", ["-f", "lavfi", "-i", "sine=frequency=550:duration=2", "-c:a", "aac", "-b:a", "32k"]),
    ]
    for variant, args in cases:
        port = ctx.port(554)
        url = f"rtsp://127.0.0.1:{port}/live"
        srv = ctx.start("ffmpeg-rtsp-listen", ["ffmpeg", "-hide_banner", "-loglevel", "error", "-rtsp_flags", "listen",
                                               "-rtsp_transport", "tcp", "-i", url, "-f", "null", "-"],
                        wait=("tcp", port))
        argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", *args, "-f", "rtsp", "-rtsp_transport", "tcp", url]
        with ctx.capture("rtsp") as cap:
            cap.expect("tcp", port, "rtsp", variant=variant, server=("ffmpeg-rtsp-listen", FFMPEG),
                       client=f"ffmpeg {FFMPEG}", how=f"{cmd(argv)} against ffmpeg -rtsp_flags listen")
            cap.start()
            ctx.run(argv, timeout=20)
        ctx.stop(srv)
