"""FTP control and passive data: vsftpd (anonymous, own config); curl and ftplib.

Data connections go to vsftpd's passive range, captured too and labelled ``ftp-data``.
"""

import os
import sys

from .core import cmd, deb_version

NAME = "ftp"
PREFIXES = ("ftp",)
MODES = ("random", "iana")

VSFTPD = ("vsftpd", deb_version("vsftpd"))
CURL = f"curl {deb_version('curl')}"
PY = f"python-ftplib {sys.version.split()[0]}"

PY_CLIENT = """
import ftplib, sys, io
f = ftplib.FTP(); f.connect("127.0.0.1", int(sys.argv[1])); f.login()
f.set_pasv(True); f.nlst(); f.retrbinary("RETR readme.txt", io.BytesIO().write); f.quit()
"""


def run(ctx):
    port = ctx.port(21)
    pasv = ctx.port_range(8)
    root = ctx.tmp("vsftpd", "anon")
    os.chmod(root, 0o555)          # vsftpd refuses a writable anonymous root
    ctx.write(os.path.join(root, "readme.txt"), "portlens ftp corpus\n" * 20)
    ctx.write(os.path.join(root, "notes.txt"), "short\n")
    os.makedirs("/var/run/vsftpd/empty", exist_ok=True)
    conf = ctx.write(os.path.join(ctx.tmp("vsftpd"), "vsftpd.conf"), "\n".join([
        "listen=YES", "listen_ipv6=NO", "background=NO", f"listen_port={port}",
        "listen_address=127.0.0.1", "anonymous_enable=YES", "local_enable=NO", "write_enable=NO",
        f"anon_root={root}", "pasv_enable=YES", f"pasv_min_port={pasv[0]}", f"pasv_max_port={pasv[1]}",
        "pasv_address=127.0.0.1", "seccomp_sandbox=NO", "xferlog_enable=NO",
        "secure_chroot_dir=/var/run/vsftpd/empty", "ftpd_banner=portlens FTP", ""]))
    srv = ctx.start("vsftpd", ["vsftpd", conf], wait=("tcp", port))
    base = f"ftp://127.0.0.1:{port}"
    cases = [
        ("epsv-retr", CURL, ["curl", "-sS", "-o", "/dev/null", f"{base}/readme.txt"]),
        ("pasv-list", CURL, ["curl", "-sS", "--disable-epsv", "-o", "/dev/null", f"{base}/"]),
        ("pasv-nlst-retr", PY, [sys.executable, "-c", PY_CLIENT, str(port)]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("ftp") as cap:
            how = f"{cmd(argv)} against vsftpd (anonymous, passive range {pasv[0]}-{pasv[1]})"
            cap.expect("tcp", port, "ftp", variant=variant, server=VSFTPD, client=client, how=how)
            cap.expect("tcp", pasv, "ftp-data", variant=variant, server=VSFTPD, client=client, how=how)
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
