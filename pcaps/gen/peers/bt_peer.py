"""BitTorrent peer pair on libtorrent (Debian's python3-libtorrent, run by /usr/bin/python3).

``bt_peer.py DIR SEED_PORT LEECH_PORT VARIANT``: makes a 64 KiB torrent, seeds it from
one session and downloads it into another that is told the seeder's address
(connect_peer; no tracker, DHT, LSD, UPnP or NAT-PMP).  VARIANT: tcp, utp, encrypted.
"""

import os
import sys
import time

import libtorrent as lt

d, seed_port, leech_port, variant = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
src = os.path.join(d, "seed")
os.makedirs(src, exist_ok=True)
with open(os.path.join(src, "corpus.bin"), "wb") as fh:
    fh.write(bytes((i * 7) % 251 for i in range(64 * 1024)))
fs = lt.file_storage()
lt.add_files(fs, os.path.join(src, "corpus.bin"))
t = lt.create_torrent(fs, 16 * 1024)
lt.set_piece_hashes(t, src)
info = lt.torrent_info(t.generate())


def session(port):
    s = {"listen_interfaces": f"127.0.0.1:{port}", "enable_dht": False, "enable_lsd": False,
         "enable_upnp": False, "enable_natpmp": False, "allow_multiple_connections_per_ip": True,
         "user_agent": "portlens-corpus/libtorrent", "alert_mask": 0}
    if variant == "tcp":
        s.update(enable_outgoing_utp=False, enable_incoming_utp=False)
    elif variant == "utp":
        s.update(enable_outgoing_tcp=False, enable_incoming_tcp=False)
    elif variant == "encrypted":
        s.update(out_enc_policy=lt.enc_policy.forced, in_enc_policy=lt.enc_policy.forced,
                 enable_outgoing_utp=False, enable_incoming_utp=False)
    return lt.session(s)


seeder, leecher = session(seed_port), session(leech_port)
hs = seeder.add_torrent({"ti": info, "save_path": src})
hl = leecher.add_torrent({"ti": lt.torrent_info(t.generate()), "save_path": os.path.join(d, "leech")})
time.sleep(0.5)
hl.connect_peer(("127.0.0.1", seed_port))
deadline = time.time() + 15
while time.time() < deadline and not hl.status().is_seeding:
    time.sleep(0.1)
ok = hl.status().is_seeding
time.sleep(0.3)
sys.exit(0 if ok else 1)
