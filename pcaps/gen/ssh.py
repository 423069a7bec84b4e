"""SSH: OpenSSH sshd and dropbear; OpenSSH ssh/sftp and dropbear's dbclient.

Logs in as a dedicated account (``portlens-gen``, created if missing, home under
/var/lib) with an ed25519 key made per run, and runs one short command.
"""

import os
import pwd
import subprocess

from .core import cmd, deb_version

NAME = "ssh"
PREFIXES = ("ssh",)
MODES = ("random", "iana")

USER = "portlens-gen"
HOME = "/var/lib/portlens-gen"
SSHD = ("openssh-sshd", deb_version("openssh-server"))
DROPBEAR = ("dropbear", deb_version("dropbear-bin"))
SSH = f"openssh-ssh {deb_version('openssh-client')}"
DBCLIENT = f"dbclient {deb_version('dropbear-bin')}"


def _account(ctx):
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-d", HOME, "-s", "/bin/sh", USER], check=True)
    # '*' (no password, not locked): key logins work with sshd UsePAM=no and dropbear.
    subprocess.run(["usermod", "-p", "*", USER], check=True)
    d = ctx.tmp("keys")
    key = os.path.join(d, "id_ed25519")
    if not os.path.exists(key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        subprocess.run(["dropbearconvert", "openssh", "dropbear", key, key + ".db"],
                       check=True, capture_output=True)
    sshdir = os.path.join(HOME, ".ssh")
    os.makedirs(sshdir, exist_ok=True)
    with open(key + ".pub") as src, open(os.path.join(sshdir, "authorized_keys"), "w") as dst:
        dst.write(src.read())
    pw = pwd.getpwnam(USER)
    for p in (HOME, sshdir, os.path.join(sshdir, "authorized_keys")):
        os.chown(p, pw.pw_uid, pw.pw_gid)
    os.chmod(sshdir, 0o700)
    return key


def run(ctx):
    key = _account(ctx)
    os.makedirs("/run/sshd", exist_ok=True)
    d = ctx.tmp("sshd")
    hostkey = os.path.join(d, "ssh_host_ed25519_key")
    if not os.path.exists(hostkey):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostkey], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", hostkey.replace("ed25519", "rsa")], check=True)
    ssh = ["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
           "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]

    port = ctx.port(22)
    srv = ctx.start("sshd", ["/usr/sbin/sshd", "-D", "-e", "-p", str(port), "-o", "ListenAddress=127.0.0.1",
                             "-o", "StrictModes=no", "-o", "UsePAM=no", "-o", f"PidFile={d}/sshd.pid",
                             "-h", hostkey, "-h", hostkey.replace("ed25519", "rsa")],
                    wait=("tcp", port))
    cases = [
        ("openssh-default", SSH, ssh + ["-p", str(port), f"{USER}@127.0.0.1", "echo", "portlens"]),
        ("openssh-aes128ctr-dh14-rsa", SSH, ssh + ["-c", "aes128-ctr", "-o", "KexAlgorithms=diffie-hellman-group14-sha256",
                                                   "-o", "HostKeyAlgorithms=rsa-sha2-256", "-p", str(port),
                                                   f"{USER}@127.0.0.1", "uname"]),
        ("openssh-sftp", f"openssh-sftp {deb_version('openssh-client')}",
         ["sftp", "-b", "-", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
          "-P", str(port), f"{USER}@127.0.0.1"]),
        ("openssh-dbclient", DBCLIENT, ["dbclient", "-y", "-y", "-i", key + ".db", "-p", str(port),
                                        f"{USER}@127.0.0.1", "id"]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("ssh") as cap:
            cap.expect("tcp", port, "ssh", variant=variant, server=SSHD, client=client,
                       how=f"{cmd(argv)} against sshd -D")
            cap.start()
            ctx.run(argv, input="ls\n" if argv[0] == "sftp" else None)
    ctx.stop(srv)

    port = ctx.port(22)
    dkey = os.path.join(d, "dropbear_ed25519")
    if not os.path.exists(dkey):
        subprocess.run(["dropbearkey", "-t", "ed25519", "-f", dkey], check=True, capture_output=True)
    srv = ctx.start("dropbear", ["dropbear", "-F", "-E", "-s", "-p", f"127.0.0.1:{port}", "-r", dkey,
                                 "-P", f"{d}/dropbear.pid"], wait=("tcp", port))
    cases = [
        ("dropbear-openssh", SSH, ssh + ["-p", str(port), f"{USER}@127.0.0.1", "echo", "portlens"]),
        ("dropbear-dbclient", DBCLIENT, ["dbclient", "-y", "-y", "-i", key + ".db", "-p", str(port),
                                         f"{USER}@127.0.0.1", "echo portlens"]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("ssh") as cap:
            cap.expect("tcp", port, "ssh", variant=variant, server=DROPBEAR, client=client,
                       how=f"{cmd(argv)} against dropbear -F")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
