"""VNC (RFB): TigerVNC Xvnc; vncdotool, with security types None and VncAuth."""

import os
import subprocess
import sys

from .core import cmd, deb_version, pip_version

NAME = "vnc"
PREFIXES = ("vnc",)
MODES = ("random", "iana")

SERVER = ("tigervnc-Xvnc", deb_version("tigervnc-standalone-server"))
VNCDO = f"vncdotool {pip_version('vncdotool')}"


def run(ctx):
    d = ctx.tmp("xvnc")
    pw = os.path.join(d, "passwd")
    subprocess.run(["vncpasswd", "-f"], input=b"portlens\n", stdout=open(pw, "wb"), check=True)
    for sec, variant in (("None", "rfb-security-none"), ("VncAuth", "rfb-vncauth")):
        port = ctx.port(5900)
        display = 40 + (port % 50)
        argv = ["Xvnc", f":{display}", "-rfbport", str(port), "-localhost", "-interface", "127.0.0.1",
                "-SecurityTypes", sec, "-geometry", "320x200", "-depth", "16", "-nolisten", "tcp"]
        if sec == "VncAuth":
            argv += ["-rfbauth", pw]
        srv = ctx.start(f"xvnc-{sec}", argv, wait=("tcp", port), timeout=20)
        cases = [("capture", ["vncdo", "-s", f"127.0.0.1::{port}", "capture", os.path.join(d, "shot.png")]),
                 ("key-type", ["vncdo", "-s", f"127.0.0.1::{port}", "key", "a", "type", "portlens", "move", "10", "10", "click", "1"])]
        for action, client in cases:
            if sec == "VncAuth":
                client[1:1] = ["-p", "portlens"]
            with ctx.capture("vnc") as cap:
                cap.expect("tcp", port, "vnc", variant=f"{variant}-{action}", server=SERVER, client=VNCDO,
                           how=f"{cmd(client)} against Xvnc -SecurityTypes {sec}")
                cap.start()
                ctx.run(client, timeout=20)
        ctx.stop(srv)
