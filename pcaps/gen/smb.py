"""SMB 1, 2 and 3: samba smbd (own smb.conf, guest share); smbclient with -m.

smbd refuses to start as a session leader unless given ``--no-process-group``, and with
that flag it signals its whole process group on exit: safe here only because the
generator starts every server in a session (and group) of its own.
"""

import os

from .core import cmd, deb_version

NAME = "smb"
PREFIXES = ("smb",)
MODES = ("random", "iana")

SERVER = ("samba", deb_version("samba"))
CLIENT = f"smbclient {deb_version('smbclient')}"


def run(ctx):
    d = ctx.tmp("samba")
    share = ctx.tmp("samba", "share")
    os.chmod(share, 0o777)
    ctx.write(os.path.join(share, "readme.txt"), "portlens smb corpus\n" * 30)
    port = ctx.port(445)
    for sub in ("lock", "state", "cache", "private", "pid", "ncalrpc"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    conf = ctx.write(os.path.join(d, "smb.conf"), f"""[global]
workgroup = PORTLENS
server string = portlens corpus
smb ports = {port}
interfaces = 127.0.0.1
bind interfaces only = yes
lock directory = {d}/lock
state directory = {d}/state
cache directory = {d}/cache
private dir = {d}/private
pid directory = {d}/pid
ncalrpc dir = {d}/ncalrpc
log file = {d}/log.%m
map to guest = Bad User
server min protocol = NT1
disable netbios = yes
load printers = no
printing = bsd
printcap name = /dev/null
server role = standalone server
[corpus]
path = {share}
guest ok = yes
read only = no
""")
    srv = ctx.start("smbd", ["smbd", "--foreground", "--no-process-group", "--debug-stdout",
                                 "-s", conf], wait=("tcp", port), timeout=30)
    base = ["smbclient", "-s", conf, "-p", str(port), "-N", "//127.0.0.1/corpus"]
    cases = [
        ("smb3-ls-get", base + ["-m", "SMB3", "-c", "ls; get readme.txt /dev/null"]),
        ("smb3-put", base + ["-m", "SMB3", "-c", f"put {conf} uploaded-{ctx.mode}.conf; ls"]),
        ("smb2-ls", base + ["-m", "SMB2", "--option=client max protocol=SMB2_10", "-c", "ls"]),
        ("smb1-ls", base + ["-m", "NT1", "--option=client min protocol=NT1", "-c", "ls"]),
        ("smb3-list-shares", ["smbclient", "-s", conf, "-p", str(port), "-N", "-m", "SMB3", "-L", "//127.0.0.1"]),
    ]
    for variant, argv in cases:
        with ctx.capture("smb") as cap:
            cap.expect("tcp", port, "smb", variant=variant, server=SERVER, client=CLIENT,
                       how=f"{cmd(argv)} against smbd --foreground")
            cap.start()
            ctx.run(argv, timeout=20, check=variant != "smb3-list-shares")
    ctx.stop(srv)
