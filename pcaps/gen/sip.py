"""SIP over UDP and TCP: SIPp's built-in UAS answering SIPp UAC scenarios (INVITE/ACK/BYE)."""

from .core import cmd, deb_version

NAME = "sip"
PREFIXES = ("sip",)
MODES = ("random", "iana")

SIPP = f"sipp {deb_version('sip-tester')}"


def run(ctx):
    for transport, flag in (("udp", "u1"), ("tcp", "t1")):
        port = ctx.port(5060)
        srv = ctx.start(f"sipp-uas-{transport}", ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port),
                                                  "-t", flag, "-nostdin", "-bind_local"],
                        wait=(transport, port))
        for scenario, calls in (("uac", 1), ("uac", 2)):
            cport = ctx.port_range(1)[0]
            argv = ["sipp", "-sn", scenario, "-i", "127.0.0.1", "-p", str(cport), "-t", flag, "-m", str(calls),
                    "-r", "10", "-nostdin", "-s", f"portlens{calls}", f"127.0.0.1:{port}"]
            with ctx.capture("sip") as cap:
                cap.expect(transport, port, "sip", variant=f"{transport}-invite-x{calls}",
                           server=("sipp-uas", deb_version("sip-tester")), client=SIPP,
                           how=f"{cmd(argv)} against sipp -sn uas")
                cap.start()
                ctx.run(argv, timeout=20)
        ctx.stop(srv)
