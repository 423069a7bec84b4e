"""FastCGI: PHP-FPM (real) on loopback, asked by cgi-fcgi (libfcgi's client, real) to run
a PHP script: BEGIN_REQUEST, PARAMS, STDIN from the web-server side; STDOUT and
END_REQUEST back."""

import os

from .core import deb_version

NAME = "fastcgi"
PREFIXES = ("fastcgi",)
MODES = ("random", "iana")

SERVER = ("php-fpm", deb_version("php8.2-fpm"))
CLIENT = f"cgi-fcgi {deb_version('libfcgi-bin')}"


def run(ctx):
    d = ctx.tmp("fastcgi")
    script = ctx.write(os.path.join(d, "www", "hello.php"), "<?php echo 'hello from php-fpm';\n")
    port = ctx.port(9000)           # php-fpm's customary port (IANA: cslistener)
    conf = ctx.write(os.path.join(d, "php-fpm.conf"), "\n".join([
        "[global]", f"pid = {d}/php-fpm.pid", f"error_log = {d}/php-fpm.log", "daemonize = no",
        "[www]", "user = nobody", "group = nogroup", f"listen = 127.0.0.1:{port}",
        "pm = static", "pm.max_children = 1", ""]))
    srv = ctx.start("php-fpm", ["php-fpm8.2", "-F", "-R", "-n", "-y", conf], wait=("tcp", port), delay=0.5)
    env = {"SCRIPT_FILENAME": script, "REQUEST_METHOD": "GET", "QUERY_STRING": "a=1",
           "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1"}
    for variant in ("get-php-script",):
        with ctx.capture("fastcgi") as cap:
            cap.expect("tcp", port, "fastcgi", variant=variant, server=SERVER, client=CLIENT,
                       how=f"SCRIPT_FILENAME=hello.php REQUEST_METHOD=GET cgi-fcgi -bind -connect 127.0.0.1:{port}"
                           " against php-fpm -F")
            cap.start()
            ctx.run(["cgi-fcgi", "-bind", "-connect", f"127.0.0.1:{port}"], env=env, timeout=20, input="")
    ctx.stop(srv)
