"""Realistic training traffic: real servers and clients across an impaired 1500-byte link.

`pcaps/generate --realistic --out DIR [--flows N] [--seed S]` (root) builds, for one run:

- three network namespaces of its own, ``plr<pid>c`` (clients), ``plr<pid>m`` (the wire)
  and ``plr<pid>s`` (servers), joined by two veth pairs at MTU 1500 with segmentation
  and checksum offloads off, so every frame on the wire is what a 1500-byte Ethernet
  link carries (loopback carries 64 KiB segments).  Addresses 10.200.0.1 (client) and
  10.200.0.2 (server); nothing else of the host is touched, and the namespaces (with
  their veths) are deleted at the end, on failure too;
- the wire, pcaps/gen/peers/wire.py in the middle namespace: every frame delayed,
  jittered, dropped or reordered with parameters drawn per session from the seed (this
  kernel has no sch_netem, so `tc netem` cannot do it; the parameters are netem's);
- servers started once, in the server namespace, with pcaps/gen's own helpers (nginx
  from servers.py, the aioquic peer, dnsmasq, redis-server, sshd and dropbear with
  ssh.py's account and keys, aiosmtpd, nghttpd, python http.server, mosquitto, mail.py's
  dovecot), serving a random tree of pages (and mails) whose sizes, names and text come
  from the seed;
- sessions: one client run (curl, wget, python urllib, requests, imaplib and poplib,
  headless Chromium, headless Firefox when installed, nghttp, dig, redis-cli, ssh,
  dbclient, swaks, smtplib, mosquitto_pub/sub, the aioquic client) with random paths,
  headers and payload sizes, captured by tcpdump on the server's veth end (``-s 0``):
  one capture per session, every flow of it labelled from the port the generator
  started the server on (core.Capture.label).

Output (outside the repository: the default is ~/.cache/portlens/training/):
``<protocol>-<n>.pcap``; ``manifest.jsonl``, one line per flow with the corpus keys
(core.MANIFEST_KEYS, ``port_mode`` "realistic") plus ``netem`` (the session's delay,
jitter, loss, reorder) and ``sha256`` (of its capture); ``training-set.json`` with the
run's command, seed, counts, seconds and ``sha256``, the hash of the whole set
(`set_hash`: each capture's name and sha256, then the manifest).  `portlens train
--generated DIR` reads it (classifier/ml/data.py, load_generated).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time

from . import mail, servers, ssh
from .core import MANIFEST_KEYS, Ctx, ExchangeFailed, cmd, deb_version, log, pip_version

# What --realistic needs beyond the corpus's packages (pcaps/generate --install reads these):
# ethtool turns the veths' offloads off; the browsers are the client kind the corpus lacks.
DEBIAN_PACKAGES = ("ethtool", "chromium", "firefox-esr", "wget", "nghttp2-client")
PYPI_PACKAGES = ("requests",)

CLIENT_ADDR, SERVER_ADDR = "10.200.0.1", "10.200.0.2"
MTU = 1500
WIRE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "wire.py")
QUIC_PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "quic_peer.py")
DEFAULT_OUT = os.path.join(os.path.expanduser("~"), ".cache", "portlens", "training")
PY = sys.version.split()[0]

# Server ports inside the server namespace (its own: any port is free there).
PORTS = {"http": 80, "pyhttp": 8000, "h2c": 8080, "https": 443, "quic": 443, "dns": 53,
         "redis": 6379, "ssh": 22, "dropbear": 2222, "smtp": 25, "mqtt": 1883, "imap": 143, "pop3": 110}


# The server each kind of session talks to (a group start_servers starts once).
SERVERS = {"http_curl": "web", "http_wget": "web", "http_python": "web", "http_browser": "web",
           "https_curl": "web", "https_python": "web", "https_wget": "web", "https_browser": "web",
           "h2c": "h2c", "quic": "quic", "dns": "dns", "redis": "redis", "ssh": "ssh", "smtp": "smtp",
           "mqtt": "mqtt", "imap": "mailbox", "pop3": "mailbox"}


# --------------------------------------------------------------------------- namespaces

class Net:
    """The three namespaces and two veth pairs; `down()` removes everything `up()` made."""

    def __init__(self, tag: str):
        self.c, self.m, self.s = f"plr{tag}c", f"plr{tag}m", f"plr{tag}s"
        self.made: list[str] = []

    @staticmethod
    def _ip(*argv):
        r = subprocess.run(["ip", *argv], capture_output=True, text=True)
        if r.returncode:
            raise ExchangeFailed(f"ip {' '.join(argv)}: {r.stderr.strip()}")

    def exec(self, ns: str) -> list[str]:
        return ["ip", "netns", "exec", ns]

    def up(self):
        for ns in (self.c, self.m, self.s):
            self._ip("netns", "add", ns)
            self.made.append(ns)
            self._ip("-n", ns, "link", "set", "lo", "up")
        self._ip("link", "add", "c0", "netns", self.c, "type", "veth", "peer", "name", "m0", "netns", self.m)
        self._ip("link", "add", "m1", "netns", self.m, "type", "veth", "peer", "name", "s0", "netns", self.s)
        for ns, dev in ((self.c, "c0"), (self.m, "m0"), (self.m, "m1"), (self.s, "s0")):
            self._ip("-n", ns, "link", "set", dev, "mtu", str(MTU))
            # Offloads off: no 64 KiB GSO/GRO super-frames, real checksums (the wire
            # forwards frames through AF_PACKET, which would carry partial checksums).
            subprocess.run([*self.exec(ns), "ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off",
                            "gro", "off"], capture_output=True)
            self._ip("-n", ns, "link", "set", dev, "up")
        self._ip("-n", self.m, "link", "set", "m0", "promisc", "on")
        self._ip("-n", self.m, "link", "set", "m1", "promisc", "on")
        self._ip("-n", self.c, "addr", "add", f"{CLIENT_ADDR}/24", "dev", "c0")
        self._ip("-n", self.s, "addr", "add", f"{SERVER_ADDR}/24", "dev", "s0")

    def down(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.made.clear()


def netem_params(rng: random.Random) -> dict:
    """One session's impairment, netem's parameters: a LAN, a WAN, or a bad WAN."""
    kind = rng.choice(("lan", "wan", "wan", "lossy"))
    if kind == "lan":
        return {"delay_ms": round(rng.uniform(0.1, 2), 1), "jitter_ms": round(rng.uniform(0, 0.5), 1),
                "loss": 0.0, "reorder": 0.0}
    if kind == "wan":
        d = rng.uniform(5, 80)
        return {"delay_ms": round(d, 1), "jitter_ms": round(rng.uniform(0, d / 5), 1),
                "loss": round(rng.uniform(0, 0.01), 4), "reorder": round(rng.uniform(0, 0.02), 4)}
    d = rng.uniform(20, 150)
    return {"delay_ms": round(d, 1), "jitter_ms": round(rng.uniform(d / 10, d / 3), 1),
            "loss": round(rng.uniform(0.01, 0.04), 4), "reorder": round(rng.uniform(0.02, 0.1), 4)}


# --------------------------------------------------------------------------- content

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
         "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu news shop "
         "cart login api user item photo video search static assets img css js docs blog").split()
USER_AGENTS = ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
               "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
               "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
               "python-requests/2.31.0", "Go-http-client/1.1", "okhttp/4.12.0", "Wget/1.21.3")


def site(rng: random.Random, root: str, n: int = 40) -> list[str]:
    """A tree of random pages: HTML with links, JSON, text and binary, sizes log-uniform
    from 100 bytes to ~400 KB.  Returns the paths (/...)."""
    paths = []
    for i in range(n):
        d = "/".join(rng.sample(WORDS, rng.randrange(0, 3)))
        kind = rng.choice(("html", "html", "json", "txt", "bin", "css", "js"))
        path = "/" + (d + "/" if d else "") + f"{rng.choice(WORDS)}-{i}.{kind}"
        size = int(10 ** rng.uniform(2, 5.6))
        full = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if kind == "bin":
            data = rng.randbytes(size)
        else:
            text = " ".join(rng.choice(WORDS) for _ in range(size // 6 + 1))[:size]
            if kind == "html":
                links = "".join(f'<a href="{p}">{rng.choice(WORDS)}</a>' for p in paths[-3:])
                text = f"<!doctype html><html><head><title>{rng.choice(WORDS)}</title></head><body>{links}<p>{text}</p></body></html>"
            elif kind == "json":
                text = json.dumps({"id": i, "items": text.split()[:size // 8]})
            data = text.encode()
        with open(full, "wb") as fh:
            fh.write(data)
        paths.append(path)
    with open(os.path.join(root, "index.html"), "w") as fh:
        fh.write("<!doctype html><html><body>" + "".join(f'<a href="{p}">{p}</a><br>' for p in paths) + "</body></html>")
    return ["/index.html"] + paths


# --------------------------------------------------------------------------- the run

class Realistic:
    def __init__(self, ctx: Ctx, net: Net, rng: random.Random):
        self.ctx, self.net, self.rng = ctx, net, rng
        self.paths: list[str] = []
        self.wire = None
        self.netem: dict = {}
        self.key = None
        self.firefox = shutil.which("firefox-esr") or shutil.which("firefox")

    # -- servers
    def start_servers(self, kinds):
        """The servers the session kinds `kinds` talk to (SERVERS), each started once."""
        needed = {SERVERS[k.__name__] for k in kinds}
        ctx, S = self.ctx, self.net.s
        www = ctx.tmp("www")
        self.paths = site(self.rng, www)
        # browsers visit pages only: a .bin or .json URL is a download, which --dump-dom
        # and --screenshot wait for until killed
        self.pages = [p for p in self.paths if p.endswith(".html")]
        if "web" in needed:
            servers.nginx(ctx, "nginx", [(PORTS["http"], ""), (PORTS["https"], "ssl http2")], addr="0.0.0.0",
                          root=www, netns=S)
            ctx.start("pyhttp", [sys.executable, "-m", "http.server", "--bind", SERVER_ADDR, "--directory", www,
                                 str(PORTS["pyhttp"])], wait=("tcp", PORTS["pyhttp"]), netns=S)
        if "h2c" in needed:
            ctx.start("nghttpd", ["nghttpd", "--no-tls", "-a", SERVER_ADDR, "-d", www, str(PORTS["h2c"])],
                      wait=("tcp", PORTS["h2c"]), netns=S)
        if "quic" in needed:
            crt, key = servers.cert(ctx)
            ctx.start("aioquic", [sys.executable, QUIC_PEER, "server", str(PORTS["quic"]), crt, key],
                      wait=("udp", PORTS["quic"]), netns=S, env={"QUIC_PEER_HOST": SERVER_ADDR})
        if "dns" in needed:
            conf = ctx.write(os.path.join(ctx.tmp("dnsmasq"), "dnsmasq.conf"), "\n".join([
                "no-resolv", "no-hosts", "bind-interfaces", f"listen-address={SERVER_ADDR}",
                "address=/portlens.test/10.0.0.1", "address=/example.org/10.0.0.2",
                "mx-host=portlens.test,mail.portlens.test,10", "txt-record=portlens.test,\"v=spf1 -all\"", ""]))
            ctx.start("dnsmasq", ["dnsmasq", "-k", "-C", conf, "-p", str(PORTS["dns"]), "--user=root",
                                  "--pid-file="], wait=("udp", PORTS["dns"]), netns=S)
        if "redis" in needed:
            ctx.start("redis", ["redis-server", "--port", str(PORTS["redis"]), "--bind", SERVER_ADDR, "--save", "",
                                "--appendonly", "no", "--protected-mode", "no", "--dir", ctx.tmp("redis")],
                      wait=("tcp", PORTS["redis"]), netns=S)
        if "ssh" in needed:
            ctx.module = "ssh"                     # ssh.py's account and keys, in its temp dir
            self.key = ssh._account(ctx)
            d = ctx.tmp("sshd")
            hostkey = os.path.join(d, "ssh_host_ed25519_key")
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostkey], check=True)
            os.makedirs("/run/sshd", exist_ok=True)
            ctx.start("sshd", ["/usr/sbin/sshd", "-D", "-e", "-p", str(PORTS["ssh"]), "-o",
                               f"ListenAddress={SERVER_ADDR}", "-o", "StrictModes=no", "-o", "UsePAM=no",
                               "-o", f"PidFile={d}/sshd.pid", "-h", hostkey], wait=("tcp", PORTS["ssh"]), netns=S)
            dkey = os.path.join(d, "dropbear_ed25519")
            subprocess.run(["dropbearkey", "-t", "ed25519", "-f", dkey], check=True, capture_output=True)
            ctx.start("dropbear", ["dropbear", "-F", "-E", "-s", "-p", f"{SERVER_ADDR}:{PORTS['dropbear']}", "-r",
                                   dkey, "-P", f"{d}/dropbear.pid"], wait=("tcp", PORTS["dropbear"]), netns=S)
            ctx.module = "realistic"
        if "mqtt" in needed:
            conf = ctx.write(os.path.join(ctx.tmp("mosquitto"), "mosquitto.conf"),
                             f"listener {PORTS['mqtt']} {SERVER_ADDR}\nallow_anonymous true\npersistence false\n")
            ctx.start("mosquitto", ["mosquitto", "-c", conf], wait=("tcp", PORTS["mqtt"]), netns=S)
        if "mailbox" in needed:               # mail.py's dovecot, with a mailbox of random mails
            r = self.rng
            msgs = [f"From: {r.choice(WORDS)}@example.org\nTo: alice@portlens.test\nSubject: {r.choice(WORDS)}\n\n"
                    + "\n".join(" ".join(r.choice(WORDS) for _ in range(12)) for _ in range(r.randrange(1, 400))) + "\n"
                    for _ in range(12)]
            mail.dovecot(ctx, PORTS["imap"], PORTS["pop3"], listen=SERVER_ADDR, netns=S, messages=msgs)
        if "smtp" in needed:
            ctx.start("aiosmtpd", [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"{SERVER_ADDR}:{PORTS['smtp']}"],
                      wait=("tcp", PORTS["smtp"]), netns=S)

    def set_wire(self, params: dict, seed: str):
        if self.wire is not None:
            self.ctx.stop(self.wire)
        self.netem = params
        self.wire = self.ctx.start("wire", [sys.executable, WIRE, "m0", "m1", str(params["delay_ms"]),
                                            str(params["jitter_ms"]), str(params["loss"]), str(params["reorder"]),
                                            seed], netns=self.net.m, delay=0.2)

    # -- session kinds: each returns (protocol, inner, variant, (server software, version),
    #    client software, transport, server port, client argv)
    def _urls(self, base: str, k: int) -> list[str]:
        return [base + p for p in self.rng.sample(self.paths, k)]

    def _headers(self) -> list[str]:
        r = self.rng
        hs = [f"User-Agent: {r.choice(USER_AGENTS)}"]
        if r.random() < 0.5:
            hs.append(f"Accept-Language: {r.choice(('en-US,en;q=0.9', 'de-DE,de;q=0.8', 'fr', 'ja-JP'))}")
        if r.random() < 0.4:
            hs.append(f"Cookie: session={r.randbytes(r.randrange(8, 40)).hex()}")
        if r.random() < 0.3:
            hs.append(f"X-Request-Id: {r.randbytes(16).hex()}")
        return hs

    def sessions(self):
        """Every kind of session, each a function returning the session's description."""
        return [
            (3, self.http_curl), (2, self.http_wget), (2, self.http_python), (2, self.http_browser),
            (1, self.h2c), (3, self.https_curl), (2, self.https_python), (2, self.https_browser),
            (1, self.https_wget), (2, self.quic), (2, self.dns), (2, self.redis), (2, self.ssh), (2, self.smtp),
            (2, self.mqtt), (1, self.imap), (1, self.pop3),
        ]

    def http_curl(self):
        r = self.rng
        port, srv = r.choice(((PORTS["http"], servers.NGINX), (PORTS["pyhttp"], ("python-http.server", PY))))
        urls = self._urls(f"http://{SERVER_ADDR}:{port}", r.randrange(1, 4))
        argv = ["curl", "-sS", *sum((["-H", h] for h in self._headers()), [])]
        if r.random() < 0.3:
            argv += ["--http1.0"]
        if r.random() < 0.2:
            argv += ["-d", "q=" + r.randbytes(r.randrange(10, 3000)).hex()]
        for u in urls:
            argv += ["-o", "/dev/null", u]
        return "http", None, "curl", srv, f"curl {deb_version('curl')}", "tcp", port, argv

    def http_wget(self):
        r = self.rng
        port, srv = r.choice(((PORTS["http"], servers.NGINX), (PORTS["pyhttp"], ("python-http.server", PY))))
        argv = ["wget", "-q", "-U", r.choice(USER_AGENTS)]
        if r.random() < 0.3:      # recursive: follows the page's links (-O would end it at rc 1)
            argv += ["-r", "-l", "1", "-P", self.ctx.tmp("wget"), "--delete-after"]
        else:
            argv += ["-O", "/dev/null"]
        argv += self._urls(f"http://{SERVER_ADDR}:{port}", r.randrange(1, 3))
        return "http", None, "wget", srv, f"wget {deb_version('wget')}", "tcp", port, argv

    def http_python(self):
        r = self.rng
        port, srv = r.choice(((PORTS["http"], servers.NGINX), (PORTS["pyhttp"], ("python-http.server", PY))))
        urls = self._urls(f"http://{SERVER_ADDR}:{port}", r.randrange(1, 4))
        hdrs = dict(h.split(": ", 1) for h in self._headers())
        if r.random() < 0.5:
            code = ("import requests,sys,json;s=requests.Session();h=json.loads(sys.argv[1])\n"
                    "for u in sys.argv[2:]: s.get(u,headers=h,timeout=20)")
            client = f"python-requests {pip_version('requests')}"
        else:
            code = ("import urllib.request,sys,json;h=json.loads(sys.argv[1])\n"
                    "for u in sys.argv[2:]: urllib.request.urlopen(urllib.request.Request(u,headers=h),timeout=20).read()")
            client = f"python-urllib {PY}"
        return "http", None, client.split()[0], srv, client, "tcp", port, [sys.executable, "-c", code, json.dumps(hdrs), *urls]

    def _chromium(self, url, extra=()):
        return ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
                "--no-first-run", "--disable-background-networking", "--disable-breakpad", "--disable-component-update",
                f"--user-data-dir={self.ctx.tmp('chromium', str(self.rng.randrange(1 << 30)))}",
                "--host-resolver-rules=MAP portlens.test " + SERVER_ADDR, *extra, "--dump-dom", url]

    def _firefox(self, url):
        prof = self.ctx.tmp("firefox", str(self.rng.randrange(1 << 30)))
        self.ctx.write(os.path.join(prof, "user.js"), "\n".join([
            'user_pref("network.dns.forceResolve", "' + SERVER_ADDR + '");',
            'user_pref("app.update.enabled", false);', 'user_pref("network.captive-portal-service.enabled", false);',
            'user_pref("browser.safebrowsing.malware.enabled", false);', 'user_pref("network.connectivity-service.enabled", false);',
            'user_pref("browser.safebrowsing.phishing.enabled", false);', 'user_pref("datareporting.policy.dataSubmissionEnabled", false);',
            'user_pref("network.stricttransportsecurity.preloadlist", false);', ""]))
        return [self.firefox, "--headless", "--no-remote", "--profile", prof, "--screenshot",
                os.path.join(prof, "shot.png"), url]

    def http_browser(self):
        r = self.rng
        port = PORTS["http"]
        url = f"http://portlens.test:{port}" + r.choice(self.pages)
        if self.firefox and r.random() < 0.5:
            return "http", None, "firefox", servers.NGINX, f"firefox-esr {deb_version('firefox-esr')}", "tcp", port, self._firefox(url)
        return "http", None, "chromium", servers.NGINX, f"chromium {deb_version('chromium')}", "tcp", port, self._chromium(url)

    def h2c(self):
        r = self.rng
        port = PORTS["h2c"]
        urls = self._urls(f"http://{SERVER_ADDR}:{port}", r.randrange(1, 4))
        if r.random() < 0.5:
            argv = ["curl", "-sS", "--http2-prior-knowledge", *sum((["-H", h] for h in self._headers()), [])]
            for u in urls:
                argv += ["-o", "/dev/null", u]
            return "http2", None, "curl-h2c", ("nghttpd", deb_version("nghttp2-server")), f"curl {deb_version('curl')}", "tcp", port, argv
        argv = ["nghttp", "-n", *sum((["-H", h.replace("User-Agent", "user-agent")] for h in self._headers()[:1]), []), *urls]
        return "http2", None, "nghttp-h2c", ("nghttpd", deb_version("nghttp2-server")), f"nghttp {deb_version('nghttp2-client')}", "tcp", port, argv

    def https_curl(self):
        r = self.rng
        port = PORTS["https"]
        ver = r.choice(("--http2", "--http2", "--http1.1"))
        tls = r.choice(([], [], ["--tls-max", "1.2"]))
        argv = ["curl", "-sSk", ver, *tls, "--resolve", f"portlens.test:{port}:{SERVER_ADDR}",
                *sum((["-H", h] for h in self._headers()), [])]
        for u in self._urls(f"https://portlens.test:{port}", r.randrange(1, 4)):
            argv += ["-o", "/dev/null", u]
        inner = "http2" if ver == "--http2" else "http"
        return "tls", inner, f"curl{ver}{'-tls1.2' if tls else ''}", servers.NGINX, f"curl {deb_version('curl')}", "tcp", port, argv

    def https_python(self):
        r = self.rng
        port = PORTS["https"]
        urls = self._urls(f"https://{SERVER_ADDR}:{port}", r.randrange(1, 4))
        hdrs = dict(h.split(": ", 1) for h in self._headers())
        code = ("import requests,sys,json,urllib3;urllib3.disable_warnings();s=requests.Session();h=json.loads(sys.argv[1])\n"
                "for u in sys.argv[2:]: s.get(u,headers=h,verify=False,timeout=20)")
        return "tls", "http", "python-requests", servers.NGINX, f"python-requests {pip_version('requests')}", "tcp", port, \
            [sys.executable, "-c", code, json.dumps(hdrs), *urls]

    def https_wget(self):
        r = self.rng
        port = PORTS["https"]
        argv = ["wget", "-q", "--no-check-certificate", "-O", "/dev/null", "-U", r.choice(USER_AGENTS),
                *self._urls(f"https://{SERVER_ADDR}:{port}", r.randrange(1, 3))]
        return "tls", "http", "wget", servers.NGINX, f"wget {deb_version('wget')}", "tcp", port, argv

    def https_browser(self):
        r = self.rng
        port = PORTS["https"]
        url = f"https://portlens.test:{port}" + r.choice(self.pages)
        if self.firefox and r.random() < 0.5:
            return "tls", "http2", "firefox", servers.NGINX, f"firefox-esr {deb_version('firefox-esr')}", "tcp", port, self._firefox(url)
        return "tls", "http2", "chromium", servers.NGINX, f"chromium {deb_version('chromium')}", "tcp", port, self._chromium(url)

    def quic(self):
        r = self.rng
        alpn, inner = r.choice((("h3", "http3"), ("h3", "http3"), ("hq-interop", None)))
        argv = [sys.executable, QUIC_PEER, "client", str(PORTS["quic"]), alpn, *(["v2"] if r.random() < 0.3 else [])]
        return "quic", inner, f"aioquic-{alpn}", ("aioquic", pip_version("aioquic")), f"aioquic {pip_version('aioquic')}", \
            "udp", PORTS["quic"], argv

    def dns(self):
        r = self.rng
        names = [".".join(r.sample(WORDS, r.randrange(1, 3))) + "." + r.choice(("portlens.test", "example.org"))
                 for _ in range(r.randrange(1, 4))]
        tcp = r.random() < 0.2
        argv = ["dig", f"@{SERVER_ADDR}", "-p", str(PORTS["dns"]), *(["+tcp"] if tcp else []),
                *(["+noedns"] if r.random() < 0.3 else [])]
        for n in names:
            argv += [n, r.choice(("A", "AAAA", "MX", "TXT", "A"))]
        return "dns", None, "dig-tcp" if tcp else "dig", ("dnsmasq", deb_version("dnsmasq-base")), \
            f"dig {deb_version('bind9-dnsutils')}", "tcp" if tcp else "udp", PORTS["dns"], argv

    def redis(self):
        r = self.rng
        key = f"{r.choice(WORDS)}:{r.randrange(10000)}"
        cmds = [["SET", key, r.randbytes(r.randrange(1, 4000)).hex()], ["GET", key], ["INCR", f"n:{r.choice(WORDS)}"],
                ["HSET", key + ":h", r.choice(WORDS), r.choice(WORDS)], ["LPUSH", "l:" + key, *r.sample(WORDS, 3)],
                ["INFO", r.choice(("server", "memory", "stats"))], ["PING"]]
        argv = ["redis-cli", "-h", SERVER_ADDR, "-p", str(PORTS["redis"]), *(["-3"] if r.random() < 0.3 else []),
                *r.choice(cmds)]
        return "redis", None, "redis-cli", ("redis-server", deb_version("redis-server")), \
            f"redis-cli {deb_version('redis-tools')}", "tcp", PORTS["redis"], argv

    def ssh(self):
        r = self.rng
        port, srv = r.choice(((PORTS["ssh"], ("openssh-sshd", deb_version("openssh-server"))),
                              (PORTS["dropbear"], ("dropbear", deb_version("dropbear-bin")))))
        remote = r.choice((["echo", r.choice(WORDS)], ["head", "-c", str(r.randrange(10, 200000)), "/dev/urandom"],
                           ["uname", "-a"], ["ls", "-la", "/etc"]))
        if r.random() < 0.6:
            argv = ["ssh", "-i", self.key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", str(port), f"{ssh.USER}@{SERVER_ADDR}", *remote]
            client = f"openssh-ssh {deb_version('openssh-client')}"
        else:
            argv = ["dbclient", "-y", "-y", "-i", self.key + ".db", "-p", str(port), f"{ssh.USER}@{SERVER_ADDR}",
                    " ".join(remote)]
            client = f"dbclient {deb_version('dropbear-bin')}"
        return "ssh", None, client.split()[0], srv, client, "tcp", port, argv

    def smtp(self):
        r = self.rng
        words = [r.choice(WORDS) for _ in range(r.randrange(5, 3000))]
        # lines of at most ~80 characters: RFC 5321 limits a line to 1000 (aiosmtpd enforces it)
        body = "\n".join(" ".join(words[i:i + 12]) for i in range(0, len(words), 12))
        rcpt = f"{r.choice(WORDS)}@portlens.test"
        if r.random() < 0.5:
            argv = ["swaks", "--server", SERVER_ADDR, "--port", str(PORTS["smtp"]), "--to", rcpt,
                    "--from", f"{r.choice(WORDS)}@example.org", "--body", body, "--header", f"Subject: {r.choice(WORDS)}"]
            client = f"swaks {deb_version('swaks')}"
        else:
            code = ("import smtplib,sys;s=smtplib.SMTP(sys.argv[1],int(sys.argv[2]),timeout=20);"
                    "s.sendmail('a@example.org',[sys.argv[3]],'Subject: x\\r\\n\\r\\n'+sys.argv[4].replace('\\n','\\r\\n'));s.quit()")
            argv = [sys.executable, "-c", code, SERVER_ADDR, str(PORTS["smtp"]), rcpt, body]
            client = f"python-smtplib {PY}"
        return "smtp", None, client.split()[0], ("aiosmtpd", pip_version("aiosmtpd")), client, "tcp", PORTS["smtp"], argv

    def mqtt(self):
        r = self.rng
        ver = r.choice(("mqttv311", "mqttv311", "mqttv5", "mqttv31"))
        common = ["-h", SERVER_ADDR, "-p", str(PORTS["mqtt"]), "-V", ver, "-t", "/".join(r.sample(WORDS, r.randrange(1, 4)))]
        if r.random() < 0.7:
            argv = ["mosquitto_pub", *common, "-q", str(r.randrange(3)), *(["-r"] if r.random() < 0.3 else []),
                    "-m", " ".join(r.choice(WORDS) for _ in range(r.randrange(1, 1500)))]
            variant = f"{ver}-pub"
        else:       # a retained message answers at once; -W bounds the wait otherwise
            argv = ["mosquitto_sub", *common[:-2], "-t", "#", "-C", str(r.randrange(1, 4)), "-W", "3"]
            variant = f"{ver}-sub"
        client = f"mosquitto-clients {deb_version('mosquitto-clients')}"
        return "mqtt", None, variant, ("mosquitto", deb_version("mosquitto")), client, "tcp", PORTS["mqtt"], argv

    def imap(self):
        r = self.rng
        port = PORTS["imap"]
        if r.random() < 0.5:
            url = f"imap://{SERVER_ADDR}:{port}/" + r.choice(("", f"INBOX;UID={r.randrange(1, 13)}", "INBOX"))
            return "imap", None, "curl", mail.DOVECOT, f"curl {deb_version('curl')}", "tcp", port, \
                ["curl", "-sS", "-u", "alice:wonderland", "-o", "/dev/null", url]
        code = ("import imaplib,sys;m=imaplib.IMAP4(sys.argv[1],int(sys.argv[2]));m.login('alice','wonderland');"
                "m.select('INBOX');m.search(None,'ALL');m.fetch(sys.argv[3],sys.argv[4]);m.logout()")
        what = r.choice(("(RFC822.HEADER)", "(RFC822)", "(FLAGS)", "(BODY[TEXT])"))
        return "imap", None, "python-imaplib", mail.DOVECOT, f"python-imaplib {PY}", "tcp", port, \
            [sys.executable, "-c", code, SERVER_ADDR, str(port), f"1:{r.randrange(1, 13)}", what]

    def pop3(self):
        r = self.rng
        port = PORTS["pop3"]
        if r.random() < 0.5:
            url = f"pop3://{SERVER_ADDR}:{port}/" + r.choice(("", str(r.randrange(1, 13))))
            return "pop3", None, "curl", mail.DOVECOT, f"curl {deb_version('curl')}", "tcp", port, \
                ["curl", "-sS", "-u", "alice:wonderland", "-o", "/dev/null", url]
        code = ("import poplib,sys;p=poplib.POP3(sys.argv[1],int(sys.argv[2]));p.user('alice');p.pass_('wonderland');"
                "p.stat();p.list();[p.retr(i) for i in range(1,int(sys.argv[3])+1)];p.quit()")
        return "pop3", None, "python-poplib", mail.DOVECOT, f"python-poplib {PY}", "tcp", port, \
            [sys.executable, "-c", code, SERVER_ADDR, str(port), str(r.randrange(1, 5))]

    # -- one session
    def session(self, make) -> int:
        ctx = self.ctx
        proto, inner, variant, server, client, transport, port, argv = make()
        before, t = len(ctx.lines), time.time()
        with ctx.capture(proto) as cap:
            cap.iface, cap.netns = "s0", self.net.exec(self.net.s)
            cap.expect(transport, port, proto, inner=inner, variant=variant, server=server, client=client,
                       how=_how(argv))
            cap.start()
            env = {"HOME": ctx.tmp("home"), "QUIC_PEER_HOST": SERVER_ADDR}
            if argv[0] == self.firefox:
                env["MOZ_HEADLESS"] = "1"
            # Firefox never ends a --screenshot of a page behind a self-signed certificate
            # (its handshakes are on the wire by then): 20 s for a browser, then it is killed.
            browser = argv[0] in ("chromium", self.firefox)
            ctx.run([*self.net.exec(self.net.c), *argv], timeout=20 if browser else 45, env=env,
                    check=not browser)
        new = ctx.lines[before:]
        log(f"  session {proto}/{variant}: {len(new)} flow(s), {time.time() - t:.1f} s, netem {self.netem}")
        if new:
            digest = _sha256(os.path.join(ctx.out_dir, new[0]["capture"]))
            for line in new:
                line["netem"] = dict(self.netem)
                line["sha256"] = digest
        return len(new)


def _how(argv) -> str:
    text = cmd(argv)
    for path, short in ((QUIC_PEER, "pcaps/gen/peers/quic_peer.py"),):
        text = text.replace(path, short)
    return text if len(text) < 300 else text[:280] + " ..."


def _sha256(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def set_hash(out_dir: str) -> str:
    """The hash of a generated set: every capture's name and sha256 (natural order of
    the manifest's captures), then the manifest's bytes."""
    man = os.path.join(out_dir, "manifest.jsonl")
    with open(man, "rb") as fh:
        data = fh.read()
    caps = list(dict.fromkeys(json.loads(l)["capture"] for l in data.splitlines() if l.strip()))
    h = hashlib.sha256()
    for c in caps:
        h.update(f"{c} {_sha256(os.path.join(out_dir, c))}\n".encode())
    h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def generate(out_dir: str, flows: int, seed: int, keep_tmp: bool = False, max_seconds: float = 0,
             kinds: str | None = None) -> int:
    """Generate until at least `flows` flows are captured; 0 on success, 1 on failures
    that left fewer flows than asked.  `kinds`: comma-separated session kinds (the
    methods of Realistic.sessions, e.g. "http_curl,dns"), default all of them."""
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):           # a set is replaced whole
        if f.endswith(".pcap") or f in ("manifest.jsonl", "training-set.json"):
            os.unlink(os.path.join(out_dir, f))
    t0 = time.time()
    kinds_only = kinds.split(",") if kinds else None
    ctx = Ctx(out_dir, seed, settle=0.6, keep_tmp=keep_tmp)
    ctx.module, ctx.mode = "realistic", "realistic"
    rng = random.Random(f"{seed}/realistic")
    net = Net(str(os.getpid() % 100000))
    sessions = 0
    try:
        net.up()
        run = Realistic(ctx, net, rng)
        kinds = run.sessions()
        if kinds_only:
            unknown = set(kinds_only) - {k.__name__ for _, k in kinds}
            if unknown:
                raise SystemExit(f"unknown session kind(s) {sorted(unknown)}; known: {sorted(SERVERS)}")
            kinds = [(w, k) for w, k in kinds if k.__name__ in kinds_only]
        run.start_servers([k for _, k in kinds])
        weights = [w for w, _ in kinds]
        while len(ctx.lines) < flows:
            if max_seconds and time.time() - t0 > max_seconds:
                log(f"stopping after {max_seconds:.0f} s")
                break
            if len(ctx.failures) > max(20, sessions // 4):
                log("too many failures, stopping")
                break
            sessions += 1
            run.set_wire(netem_params(rng), f"{seed}/{sessions}")
            make = rng.choices([k for _, k in kinds], weights)[0]
            try:
                run.session(make)
            except ExchangeFailed as exc:
                ctx.failures.append(f"{make.__name__}: {exc}")
    finally:
        ctx.cleanup()
        net.down()
    lines = sorted(ctx.lines, key=lambda l: _natural(l["capture"]))
    keys = MANIFEST_KEYS + ("netem", "sha256")
    with open(os.path.join(out_dir, "manifest.jsonl"), "w") as fh:
        for line in lines:
            fh.write(json.dumps({k: line[k] for k in keys}) + "\n")
    secs = time.time() - t0
    command = f"pcaps/generate --realistic --flows {flows} --seed {seed}" + (
        f" --kinds {','.join(kinds_only)}" if kinds_only else "")
    info = {"command": command, "seed": seed,
            "captures": len({l['capture'] for l in lines}), "flows": len(lines), "sessions": sessions,
            "failures": len(ctx.failures), "seconds": round(secs), "mtu": MTU,
            "sha256": set_hash(out_dir) if lines else None}
    with open(os.path.join(out_dir, "training-set.json"), "w") as fh:
        json.dump(info, fh, indent=1)
        fh.write("\n")
    log(f"realistic: {info['flows']} flow(s) in {info['captures']} capture(s), {sessions} session(s), "
        f"{len(ctx.failures)} failure(s), {secs:.0f} s; set sha256 {info['sha256']}")
    for f in ctx.failures[:30]:
        log("  FAILED", f[:300])
    return 0 if len(lines) >= flows else 1


def _natural(name: str):
    import re
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def main_args(args) -> int:
    return generate(os.path.expanduser(args.out), args.flows, args.seed, args.keep_tmp, args.max_seconds,
                    args.kinds)

