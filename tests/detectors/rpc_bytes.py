"""ONC RPC messages (RFC 5531) built field by field, for the nfs and onc-rpc tests."""
import struct


def rpc_call(xid, prog, vers, proc, body=b""):
    """An ONC RPC call (RFC 5531 9): xid, CALL, rpcvers 2, program, version, procedure,
    an AUTH_SYS credential (stamp, machine name "client", uid 0, gid 0, no gids) and an
    AUTH_NONE verifier."""
    cred = struct.pack(">I", 0x5eed) + struct.pack(">I", 6) + b"client\0\0" + struct.pack(">III", 0, 0, 0)
    return (struct.pack(">IIIIII", xid, 0, 2, prog, vers, proc)
            + struct.pack(">II", 1, len(cred)) + cred      # credential: AUTH_SYS, length, body
            + struct.pack(">II", 0, 0) + body)              # verifier: AUTH_NONE, empty


def rpc_reply(xid, body=b""):
    """Accepted reply: xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS."""
    return struct.pack(">IIIIII", xid, 1, 0, 0, 0, 0) + body


def mark(msg):
    """TCP record mark (RFC 5531 11): last fragment, length."""
    return struct.pack(">I", 0x80000000 | len(msg)) + msg
