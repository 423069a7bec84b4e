"""AMQP 0-9-1: RabbitMQ (own node name, ports, epmd port and dirs); pika and amqp-tools."""

import os
import sys

from .core import cmd, deb_version, pip_version

NAME = "amqp"
PREFIXES = ("amqp",)
MODES = ("random", "iana")

SERVER = ("rabbitmq-server", deb_version("rabbitmq-server"))
PIKA = f"pika {pip_version('pika')}"
TOOLS = f"amqp-tools {deb_version('amqp-tools')}"
PY = """
import pika, sys
port, variant = int(sys.argv[1]), sys.argv[2]
params = pika.ConnectionParameters("127.0.0.1", port, heartbeat=30 if variant == "heartbeat" else None,
                                   credentials=pika.PlainCredentials("guest", "guest"))
c = pika.BlockingConnection(params); ch = c.channel()
ch.queue_declare("portlens", durable=False)
if variant == "confirm": ch.confirm_delivery()
for i in range(3):
    ch.basic_publish("", "portlens", f"corpus message {i}".encode(), pika.BasicProperties(content_type="text/plain"))
for _ in range(3):
    ch.basic_get("portlens", auto_ack=True)
c.close()
"""


def run(ctx):
    d = ctx.tmp("rabbitmq")
    port, dist, epmd = ctx.port(5672), ctx.port_range(1)[0], ctx.port_range(1)[0]
    conf = ctx.write(os.path.join(d, "rabbitmq.conf"), "loopback_users = none\nlog.console = true\n")
    ctx.write(os.path.join(d, "enabled_plugins"), "[].\n")
    env = {"RABBITMQ_NODE_PORT": str(port), "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
           "RABBITMQ_NODENAME": f"portlens{port}@localhost", "RABBITMQ_DIST_PORT": str(dist),
           "ERL_EPMD_PORT": str(epmd), "ERL_EPMD_ADDRESS": "127.0.0.1",
           "RABBITMQ_MNESIA_BASE": f"{d}/mnesia", "RABBITMQ_LOG_BASE": f"{d}/log",
           "RABBITMQ_CONFIG_FILE": conf[:-5], "RABBITMQ_ENABLED_PLUGINS_FILE": f"{d}/enabled_plugins",
           "RABBITMQ_PID_FILE": f"{d}/rabbit.pid", "HOME": d, "RABBITMQ_LOGS": "-"}
    srv = ctx.start("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env=env, wait=("tcp", port), timeout=60,
                    delay=1)
    url = f"amqp://guest:guest@127.0.0.1:{port}"
    cases = [
        ("amqp0-9-1-publish-get", PIKA, [sys.executable, "-c", PY, str(port), "plain"]),
        ("amqp0-9-1-heartbeat", PIKA, [sys.executable, "-c", PY, str(port), "heartbeat"]),
        ("amqp0-9-1-confirm", PIKA, [sys.executable, "-c", PY, str(port), "confirm"]),
        ("amqp0-9-1-publish", TOOLS, ["amqp-publish", "--url", url, "-r", "portlens", "-b", "from amqp-tools"]),
        ("amqp0-9-1-declare", TOOLS, ["amqp-declare-queue", "--url", url, "-q", "corpus-q"]),
    ]
    for variant, client, argv in cases:
        with ctx.capture("amqp") as cap:
            cap.expect("tcp", port, "amqp", variant=variant, server=SERVER, client=client,
                       how=f"{cmd(argv)} against rabbitmq-server")
            cap.start()
            ctx.run(argv, timeout=20)
    ctx.stop(srv, timeout=20)
    ctx.reap_orphans(kill=True)       # its epmd daemonized itself: end it by PID
