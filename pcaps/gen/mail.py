"""SMTP, IMAP and POP3.

SMTP: aiosmtpd (with STARTTLS) and Postfix; swaks and Python smtplib.  IMAP and POP3:
dovecot with its own config, a passwd-file and a Maildir; curl, imaplib and poplib.
STARTTLS exchanges keep their own protocol name (the flow starts in clear text).
"""

import os
import pwd
import shutil
import subprocess
import sys

from . import servers
from .core import cmd, deb_version, pip_version

NAME = "mail"
PREFIXES = ("smtp", "imap", "pop3")
MODES = ("random", "iana")

PYV = sys.version.split()[0]
SWAKS = f"swaks {deb_version('swaks')}"
CURL = f"curl {deb_version('curl')}"
DOVECOT = ("dovecot", deb_version("dovecot-core"))
AIOSMTPD = ("aiosmtpd", pip_version("aiosmtpd"))
POSTFIX = ("postfix", deb_version("postfix"))

PY_SMTP = """
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.portlens.test")
s.ehlo(); s.sendmail("alice@portlens.test", ["bob@portlens.test"], "Subject: corpus\\r\\n\\r\\nhello from smtplib\\r\\n"); s.quit()
"""
PY_IMAP = """
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
if len(sys.argv) > 2: m.starttls(__import__("ssl")._create_unverified_context())
m.login("alice", "wonderland"); m.select("INBOX"); m.search(None, "ALL"); m.fetch("1", "(RFC822.HEADER)"); m.logout()
"""
PY_POP = """
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]))
p.user("alice"); p.pass_("wonderland"); p.stat(); p.list(); p.retr(1); p.quit()
"""


def smtp(ctx):
    crt, key = servers.cert(ctx)
    port = ctx.port(25)
    srv = ctx.start("aiosmtpd", [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                                 "--tlscert", crt, "--tlskey", key, "--no-requiretls"], wait=("tcp", port))
    swaks = ["swaks", "--server", "127.0.0.1", "--port", str(port), "--from", "alice@portlens.test",
             "--to", "bob@portlens.test", "--helo", "client.portlens.test", "--silent", "1"]
    cases = [
        ("esmtp", SWAKS, swaks + ["--header", "Subject: portlens"]),
        ("esmtp-starttls", SWAKS, swaks + ["--tls"]),
        ("smtp-helo", SWAKS, swaks + ["--protocol", "SMTP"]),
        ("esmtp", f"python-smtplib {PYV}", [sys.executable, "-c", PY_SMTP, str(port)]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("smtp") as cap:
            cap.expect("tcp", port, "smtp", variant=variant, server=AIOSMTPD, client=client,
                       how=f"{cmd(argv)} against python -m aiosmtpd")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)

    # Postfix, a second server: its own config dir and queue; smtpd on our port only.
    port = ctx.port(25)
    d = ctx.tmp("postfix")
    conf = os.path.join(d, "etc")
    shutil.rmtree(conf, ignore_errors=True)
    shutil.copytree("/etc/postfix", conf)
    queue = os.path.join(d, "spool")
    os.makedirs(queue, exist_ok=True)
    settings = [f"queue_directory={queue}", f"data_directory={d}/lib", "maillog_file=/dev/stdout",
                "inet_interfaces=127.0.0.1", "inet_protocols=ipv4", "myhostname=mx.portlens.test",
                "mydestination=portlens.test", "local_transport=discard", "default_transport=discard",
                "smtpd_tls_cert_file=" + crt, "smtpd_tls_key_file=" + key, "smtpd_tls_security_level=may",
                "alias_maps=", "alias_database=", "local_recipient_maps=", "compatibility_level=3.6"]
    subprocess.run(["postconf", "-c", conf, "-e", *settings], check=True)
    os.makedirs(f"{d}/lib", exist_ok=True)
    shutil.chown(f"{d}/lib", "postfix")
    with open(os.path.join(conf, "master.cf")) as fh:
        master = fh.read()
    master = master.replace("smtp      inet  n       -       y       -       -       smtpd",
                            f"127.0.0.1:{port} inet  n       -       n       -       -       smtpd")
    with open(os.path.join(conf, "master.cf"), "w") as fh:
        fh.write(master)
    subprocess.run(["postfix", "-c", conf, "set-permissions"], capture_output=True)
    srv = ctx.start("postfix", ["postfix", "-c", conf, "start-fg"], wait=("tcp", port), timeout=30)
    for variant, argv in (("esmtp", swaks + ["--port", str(port)]), ("esmtp-starttls", swaks + ["--port", str(port), "--tls"])):
        with ctx.capture("smtp") as cap:
            cap.expect("tcp", port, "smtp", variant=variant, server=POSTFIX, client=SWAKS,
                       how=f"{cmd(argv)} against postfix start-fg")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
    subprocess.run(["postfix", "-c", conf, "stop"], capture_output=True)


def dovecot(ctx, imap_port, pop_port, listen="127.0.0.1", netns=None, messages=None):
    """Start dovecot (IMAP and POP3, STARTTLS offered) for user alice, password
    wonderland, whose Maildir holds ``messages`` (texts; default one short mail)."""
    crt, key = servers.cert(ctx)
    d = ctx.tmp("dovecot")
    nobody = pwd.getpwnam("nobody")
    maildir = os.path.join(d, "mail", "alice", "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    messages = messages or ["From: bob@portlens.test\nTo: alice@portlens.test\nSubject: corpus\n\nhello alice\n"]
    for i, text in enumerate(messages, 1):
        ctx.write(os.path.join(maildir, "new", f"1700000000.{i}.portlens"), text)
    for root, dirs, files in os.walk(os.path.join(d, "mail")):
        for p in [root] + [os.path.join(root, f) for f in files]:
            os.chown(p, nobody.pw_uid, nobody.pw_gid)
    ctx.write(os.path.join(d, "passwd"), "alice:{PLAIN}wonderland::::::\n")
    conf = ctx.write(os.path.join(d, "dovecot.conf"), f"""
protocols = imap pop3
listen = {listen}
base_dir = {d}/run
state_dir = {d}/state
log_path = /dev/stderr
ssl = yes
ssl_cert = <{crt}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
""")
    return ctx.start("dovecot", ["dovecot", "-F", "-c", conf], wait=("tcp", imap_port), netns=netns)


def imap_pop(ctx):
    imap_port, pop_port = ctx.port(143), ctx.port(110)
    srv = dovecot(ctx, imap_port, pop_port)
    imap_cases = [
        ("imap4rev1", CURL, ["curl", "-sS", "-u", "alice:wonderland", f"imap://127.0.0.1:{imap_port}/INBOX;UID=1"]),
        ("imap4rev1-list", CURL, ["curl", "-sS", "-u", "alice:wonderland", f"imap://127.0.0.1:{imap_port}/"]),
        ("imap4rev1", f"python-imaplib {PYV}", [sys.executable, "-c", PY_IMAP, str(imap_port)]),
        ("imap4rev1-starttls", f"python-imaplib {PYV}", [sys.executable, "-c", PY_IMAP, str(imap_port), "tls"]),
    ]
    for variant, client, argv in imap_cases:
        with ctx.capture("imap") as cap:
            cap.expect("tcp", imap_port, "imap", variant=variant, server=DOVECOT, client=client,
                       how=f"{cmd(argv)} against dovecot -F")
            cap.start()
            ctx.run(argv)
    pop_cases = [
        ("pop3-retr", CURL, ["curl", "-sS", "-u", "alice:wonderland", f"pop3://127.0.0.1:{pop_port}/1"]),
        ("pop3-list", CURL, ["curl", "-sS", "-u", "alice:wonderland", f"pop3://127.0.0.1:{pop_port}/"]),
        ("pop3-stls", CURL, ["curl", "-sSk", "--ssl-reqd", "-u", "alice:wonderland", f"pop3://127.0.0.1:{pop_port}/"]),
        ("pop3-user-pass", f"python-poplib {PYV}", [sys.executable, "-c", PY_POP, str(pop_port)]),
    ]
    for variant, client, argv in pop_cases:
        with ctx.capture("pop3") as cap:
            cap.expect("tcp", pop_port, "pop3", variant=variant, server=DOVECOT, client=client,
                       how=f"{cmd(argv)} against dovecot -F")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)


def run(ctx):
    # Each half on its own: a Postfix problem must not cost the IMAP/POP3 captures.
    errors = []
    for part in (smtp, imap_pop):
        try:
            part(ctx)
        except Exception as exc:
            errors.append(f"{part.__name__}: {exc}")
            ctx.stop_all()
    if errors:
        raise RuntimeError("; ".join(errors))
