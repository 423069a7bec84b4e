"""Server setups shared by several protocol modules (nginx, a self-signed cert)."""

import os
import subprocess

from .core import deb_version


def cert(ctx, cn="portlens.test"):
    """A self-signed RSA cert + key for ``cn`` (cached per run, in the temp dir)."""
    d = ctx.tmp("..", "pki")
    crt, key = os.path.join(d, f"{cn}.crt"), os.path.join(d, f"{cn}.key")
    if not os.path.exists(crt):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                        "-subj", f"/CN={cn}", "-addext", f"subjectAltName=DNS:{cn}",
                        "-keyout", key, "-out", crt], check=True, capture_output=True)
        os.chmod(key, 0o644)   # servers that drop privileges (prosody, coturn) read it
    return crt, key


NGINX = ("nginx", deb_version("nginx-light"))


def nginx(ctx, name, listens, extra="", addr="127.0.0.1", root=None, netns=None):
    """Start nginx in the foreground with its own config.

    ``listens``: list of (port, flags) e.g. (8080, "") or (8443, "ssl http2").
    Serves a small static tree: /index.html, /small.txt and /data.bin (16 KiB), or the
    tree ``root`` when given; listens on ``addr`` (in network namespace ``netns``).
    """
    if root is not None:
        return _nginx(ctx, name, listens, extra, addr, root, netns)
    root = ctx.tmp(name, "www")
    ctx.write(os.path.join(root, "index.html"), "<html><body><h1>portlens</h1></body></html>\n")
    ctx.write(os.path.join(root, "small.txt"), "hello from portlens\n" * 4)
    with open(os.path.join(root, "data.bin"), "wb") as fh:
        fh.write(bytes(range(256)) * 64)
    return _nginx(ctx, name, listens, extra, addr, root, netns)


def _nginx(ctx, name, listens, extra, addr, root, netns):
    crt, key = cert(ctx)
    servers = "\n".join(
        f"""  server {{
    listen {addr}:{port} {flags};
    server_name portlens.test;
    ssl_certificate {crt};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    root {root};
    location /echo {{ client_max_body_size 1m; return 200 "posted\\n"; }}
    {extra}
  }}""" for port, flags in listens)
    conf_dir = ctx.tmp(name)
    conf = ctx.write(os.path.join(conf_dir, "nginx.conf"), f"""
daemon off;
master_process off;
worker_processes 1;
pid {conf_dir}/nginx.pid;
error_log {conf_dir}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {conf_dir}/body;
  proxy_temp_path {conf_dir}/proxy;
  fastcgi_temp_path {conf_dir}/fastcgi;
  uwsgi_temp_path {conf_dir}/uwsgi;
  scgi_temp_path {conf_dir}/scgi;
  default_type application/octet-stream;
{servers}
}}
""")
    return ctx.start(name, ["nginx", "-c", conf, "-p", conf_dir], wait=("tcp", listens[0][0]), netns=netns)
