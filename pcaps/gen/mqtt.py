"""MQTT 3.1, 3.1.1 and 5: mosquitto; mosquitto_pub / mosquitto_sub."""

from .core import cmd, deb_version

NAME = "mqtt"
PREFIXES = ("mqtt",)
MODES = ("random", "iana")

SERVER = ("mosquitto", deb_version("mosquitto"))
CLIENTS = f"mosquitto-clients {deb_version('mosquitto-clients')}"


def run(ctx):
    port = ctx.port(1883)
    d = ctx.tmp("mosquitto")
    conf = ctx.write(f"{d}/mosquitto.conf", f"listener {port} 127.0.0.1\nallow_anonymous true\n"
                                             f"persistence false\nlog_dest stdout\n")
    srv = ctx.start("mosquitto", ["mosquitto", "-c", conf], wait=("tcp", port))
    common = ["-h", "127.0.0.1", "-p", str(port)]
    cases = [
        ("mqtt3.1.1", ["mosquitto_pub", *common, "-V", "mqttv311", "-t", "portlens/a", "-m", "hello 3.1.1"]),
        ("mqtt5", ["mosquitto_pub", *common, "-V", "mqttv5", "-t", "portlens/b", "-m", "hello 5", "-q", "1",
                   "-D", "publish", "user-property", "k", "v"]),
        ("mqtt3.1", ["mosquitto_pub", *common, "-V", "mqttv31", "-i", "portlens-31", "-t", "portlens/c", "-m", "x", "-q", "2"]),
        ("mqtt3.1.1-sub-retained", ["mosquitto_pub", *common, "-V", "mqttv311", "-r", "-t", "portlens/r", "-m", "kept"]),
        ("mqtt5-sub", ["mosquitto_sub", *common, "-V", "mqttv5", "-t", "portlens/r", "-C", "1", "-W", "5"]),
        ("mqtt3.1.1-sub", ["mosquitto_sub", *common, "-V", "mqttv311", "-u", "guest", "-t", "portlens/#", "-C", "1", "-W", "5",
                           "--will-topic", "portlens/will", "--will-payload", "bye"]),
    ]
    for variant, argv in cases:
        with ctx.capture("mqtt") as cap:
            cap.expect("tcp", port, "mqtt", variant=variant, server=SERVER, client=CLIENTS,
                       how=f"{cmd(argv)} against mosquitto")
            cap.start()
            ctx.run(argv)
    ctx.stop(srv)
