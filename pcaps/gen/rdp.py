"""RDP: xrdp (own xrdp.ini, no fork) with TLS, standard RDP and negotiated security;
FreeRDP's xfreerdp drawing into a private Xvnc display, stopped after a few seconds
(connection sequence, security exchange, xrdp's login screen bitmaps)."""

import os
import re

from . import servers
from .core import cmd, deb_version

NAME = "rdp"
PREFIXES = ("rdp",)
MODES = ("random", "iana")

SERVER = ("xrdp", deb_version("xrdp"))
CLIENT = f"xfreerdp {deb_version('freerdp2-x11')}"


def run(ctx):
    crt, key = servers.cert(ctx)
    d = ctx.tmp("xrdp")
    os.makedirs("/run/xrdp", exist_ok=True)
    # The client needs an X display: a private Xvnc on a display and port nobody uses.
    xport = ctx.port_range(1)[0]
    display = 70 + xport % 20
    xvnc = ctx.start("xvnc-display", ["Xvnc", f":{display}", "-rfbport", str(xport), "-localhost",
                                      "-SecurityTypes", "None", "-geometry", "800x600", "-nolisten", "tcp"],
                     wait=("tcp", xport))
    with open("/etc/xrdp/xrdp.ini") as fh:
        base_ini = fh.read()
    for layer, sec in (("tls", "tls"), ("rdp", "rdp"), ("negotiate", "tls")):
        port = ctx.port(3389)
        ini = base_ini.replace("fork=true", "fork=false")
        ini = re.sub(r"(?m)^port=.*$", f"port=tcp://127.0.0.1:{port}", ini)
        ini = re.sub(r"(?m)^security_layer=.*$", f"security_layer={layer}", ini)
        ini = re.sub(r"(?m)^certificate=.*$", f"certificate={crt}", ini)
        ini = re.sub(r"(?m)^key_file=.*$", f"key_file={key}", ini)
        ini = re.sub(r"(?m)^LogFile=.*$", f"LogFile={d}/xrdp.log", ini)
        ini = re.sub(r"(?m)^EnableSyslog=.*$", "EnableSyslog=false", ini)
        conf = ctx.write(os.path.join(d, f"xrdp-{layer}.ini"), ini)
        srv = ctx.start(f"xrdp-{layer}", ["xrdp", "--nodaemon", "--config", conf], wait=("tcp", port))
        argv = ["xfreerdp", f"/v:127.0.0.1:{port}", "/cert:ignore", "/u:alice", "/p:wonderland", f"/sec:{sec}",
                "/size:640x480", "/bpp:16", "-clipboard", "/log-level:ERROR"]
        with ctx.capture("rdp") as cap:
            cap.expect("tcp", port, "rdp", variant=f"security-{layer}", server=SERVER, client=CLIENT,
                       how=f"{cmd(argv)} (stopped after 5 s) against xrdp --nodaemon security_layer={layer}")
            cap.start()
            ctx.run(argv, timeout=5, check=False, env={"DISPLAY": f":{display}", "HOME": d})
        ctx.stop(srv)
    ctx.stop(xvnc)
