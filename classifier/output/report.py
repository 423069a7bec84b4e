"""The HTML report: one self-contained file a person can read.

    portlens analyze capture.pcap -f html -o report.html

What it shows, mismatches first: the verdict counts; the port-implied x observed
matrix as a heatmap (rows: what the server port implies, columns: what the payload
is; rows and columns holding mismatches come first; a large matrix scrolls inside its
own box with sticky headers); for each mismatch cell the flows, bytes, server ports,
top servers, top clients and what the payload said (Host, SNI, banners); flows and
bytes per observed protocol; the busiest unregistered ports; and a table of the flows
themselves (mismatches first, up to MAX_FLOW_ROWS), sortable by any column, filtered
by text, verdict and protocol, each row opening every field of its record on click.
Labels that only the statistical model gave (source "ml": no detector confirmed
them) are set in italics with an "ml" marker wherever a protocol is shown, and so is
the verdict of a mismatch that rests on such a guess.

Records that no verdict stage has seen (`portlens flows -f html`) get a report of what
is true for them: transports, server ports and the flows, no verdict counts.

Memory stays bounded whatever the capture size: `write` only adds to counters, and
every list that could grow with the input is capped (matrix cells, mismatch cells
tracked in detail, endpoints per cell in a compacting top-k counter, flows listed).
The report says when a cap was reached.  `close` renders once.

Everything from the capture is attacker-controlled (a Host header, an SNI, a banner):
the template is rendered by Jinja2 with autoescaping on; the flows' records travel as
JSON in a `<script type="application/json">` data block with every `<`, `>` and `&`
written as a \\u escape, so no text can close the block; the script shows capture text
through `textContent` only.  The page carries a Content-Security-Policy that allows
exactly one script, the report's own (by its SHA-256 hash), and no fetch at all, so
even a missed escape could not run or load anything.  CSS and JS are inline; nothing
is fetched.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import time
from typing import Any, Dict, List, Optional, Tuple

from .. import __version__
from ..progress import human_bytes

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

MAX_MATRIX_CELLS = 20000        # distinct (port-implied, observed) pairs counted exactly
MAX_DETAIL_CELLS = 2000         # mismatch cells with endpoint sketches
MATRIX_ROWS = 40                # rows/columns drawn; the rest folded into "(other)"
MATRIX_COLS = 40
MISMATCH_ROWS = 50              # mismatch cells listed
TOP_N = 5                       # endpoints shown per mismatch cell
SKETCH = 32                     # top-k capacity per endpoint list (holds up to twice that)
TEXT_MAX = 120                  # characters kept of any capture-controlled text
MAX_FLOW_ROWS = 2000            # flows listed in the flows table, mismatches first
DETAIL_TEXT_MAX = 400           # characters kept of a capture-controlled value in a flow's detail
DETAIL_META_KEYS = 32           # metadata keys kept per listed flow
DETAIL_META_CHARS = 1200        # characters of metadata (keys and values) kept per listed flow

NOT_REGISTERED = "(not registered)"
NO_VERDICT = "(no verdict)"     # records no verdict stage has seen (`portlens flows -f html`)
NO_PORT = "(no port)"
OTHER = "(other)"

# Metadata keys that say what the payload claimed to be, in order of interest.
EVIDENCE_KEYS = ("host", "sni", "alpn", "user_agent", "server", "server_banner", "client_banner",
                 "banner", "qname", "method", "uri", "target", "cookie", "command", "service",
                 "client_version", "server_version", "version")

CARD_ORDER = ("mismatch", "unregistered-port", "unidentified", "match", "no-port", "unjudged")

# Verdict cards: key -> what the card says.  A null verdict means "no port" only when the
# verdict stage ran and the transport has no ports; a record no stage judged is "not judged".
CARD_NAMES = {"mismatch": "mismatch", "unregistered-port": "unregistered port",
              "unidentified": "unidentified", "match": "match", "no-port": "no port (not TCP/UDP)",
              "unjudged": "not judged"}

# Which flows the flows table keeps when it is full: the lower the rank, the more it matters.
FLOW_RANK = {"mismatch": 0, "unidentified": 1, "unregistered-port": 2, "match": 3}
LAST_RANK = 4


class TopK:
    """The most frequent keys of a stream in bounded memory: at most 2 x `capacity`
    keys are held; when full, the less counted half is dropped in one sort (amortised
    O(log k) per new key, unlike a per-insert minimum search).  A key first counted
    after a drop may have missed up to `floor` earlier occurrences: its `error`, shown
    as approximate.  A key more frequent than the keys dropped is never lost."""

    def __init__(self, capacity: int = SKETCH):
        self.capacity = capacity
        self.counts: Dict[Any, int] = {}
        self.errors: Dict[Any, int] = {}
        self.floor = 0                  # the highest count ever dropped

    def add(self, key, weight: int = 1) -> None:
        counts = self.counts
        c = counts.get(key)
        if c is not None:
            counts[key] = c + weight
            return
        if len(counts) >= 2 * self.capacity:
            self._compact()
        self.counts[key] = weight
        self.errors[key] = self.floor

    def _compact(self) -> None:
        ranked = sorted(self.counts.items(), key=lambda kv: -kv[1])
        self.floor = max(self.floor, ranked[self.capacity][1])
        self.counts = dict(ranked[: self.capacity])
        self.errors = {k: self.errors[k] for k in self.counts}

    def top(self, n: int) -> List[Tuple[Any, int, bool]]:
        """(key, count, approximate) for the n most counted keys."""
        items = sorted(self.counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]
        return [(k, c, self.errors.get(k, 0) > 0) for k, c in items]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")   # and lone surrogates (undecodable file names)


def _clip(text: Any, limit: int = TEXT_MAX) -> str:
    """Capture text for the page: control characters made visible (\\x00), cut to `limit`."""
    s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def _detail_value(v: Any) -> Any:
    """A metadata value for a flow's detail: numbers and booleans as they are, anything
    else as clipped text (lists and mappings as their JSON)."""
    if v is None or isinstance(v, (bool, int)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if not isinstance(v, str):
        try:
            v = json.dumps(v, default=str, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError):
            v = str(v)
    return _clip(v, DETAIL_TEXT_MAX)


def script_json(data: Any) -> str:
    """`data` as JSON that can sit inside a `<script type="application/json">` element:
    `<`, `>` and `&` are written as \\u escapes (JSON.parse reads them back), so no
    string in it can end the element (`</script>`) or open a comment (`<!--`)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def csp_hash(script: Any) -> str:
    """The CSP source expression allowing exactly this inline script's text."""
    digest = hashlib.sha256(str(script).encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def _endpoint(addr: str, port: Optional[int] = None) -> str:
    if port is None:
        return addr
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def _evidence(meta: Any) -> Optional[str]:
    if not isinstance(meta, dict) or not meta:
        return None
    parts = []
    for k in EVIDENCE_KEYS:
        v = meta.get(k)
        if v not in (None, "", [], {}):
            parts.append(f"{k}={v}")
        if len(parts) == 2:
            break
    return _clip("; ".join(parts)) if parts else None


def _num(v: Any) -> Any:
    """A number for the page's JSON (NaN and infinities, which JSON lacks, as null)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return v if isinstance(v, int) or math.isfinite(v) else None


def _text(v: Any) -> Optional[str]:
    return None if v is None else _clip(v)


def _flow_row(rec: Dict[str, Any], nbytes: int) -> Dict[str, Any]:
    """What the flows table keeps of a record: every field of it, numbers checked and
    capture text clipped, plus the short evidence (Host, SNI...) its table row shows."""
    meta = rec.get("metadata")
    md: Dict[str, Any] = {}
    if isinstance(meta, dict):
        budget = DETAIL_META_CHARS
        for k, v in list(meta.items())[:DETAIL_META_KEYS]:
            k = _clip(k, 40)
            budget -= len(k)
            if budget <= 0:
                md["\u2026"] = f"{len(meta) - len(md)} more keys not kept"
                break
            v = _detail_value(v)
            if isinstance(v, str):
                if len(v) > budget:
                    v = v[: budget - 1] + "\u2026"
                budget -= len(v)
            md[k] = v
        if len(md) < len(meta) and "\u2026" not in md:
            md["\u2026"] = f"{len(meta) - len(md)} more keys not kept"
    ml = rec.get("ml")
    if isinstance(ml, dict):
        ml = {"protocol": _text(ml.get("protocol")), "probability": _num(ml.get("probability"))}
    else:
        ml = None
    flags = rec.get("tcp_flags")
    if isinstance(flags, dict):
        flags = {_clip(k, 8): _text(v) for k, v in list(flags.items())[:4]}
    else:
        flags = _text(flags)
    pay = rec.get("payload")
    if isinstance(pay, dict):
        pay = {"c2s": _num(pay.get("c2s")), "s2c": _num(pay.get("s2c")),
               "notes": [_clip(n, 40) for n in list(pay.get("notes") or [])[:16]]}
    else:
        pay = None
    return {
        "capture": _text(rec.get("capture")),
        "ts_start": _num(rec.get("ts_start")), "ts_end": _num(rec.get("ts_end")),
        "transport": _text(rec.get("transport")),
        "client": _text(rec.get("client")), "client_port": _num(rec.get("client_port")),
        "server": _text(rec.get("server")), "server_port": _num(rec.get("server_port")),
        "vlan": _num(rec.get("vlan")), "tunnel": _text(rec.get("tunnel")),
        "packets_c2s": _num(rec.get("packets_c2s")), "packets_s2c": _num(rec.get("packets_s2c")),
        "bytes_c2s": _num(rec.get("bytes_c2s")), "bytes_s2c": _num(rec.get("bytes_s2c")),
        "protocol": _text(rec.get("protocol")), "source": _text(rec.get("source")),
        "confidence": _num(rec.get("confidence")), "ml": ml,
        "port_protocol": _text(rec.get("port_protocol")), "port_service": _text(rec.get("port_service")),
        "port_class": _text(rec.get("port_class")), "verdict": _text(rec.get("verdict")),
        "verdict_reason": _text(rec.get("verdict_reason")),
        "community_id": _text(rec.get("community_id")),
        "end_reason": _text(rec.get("end_reason")), "tcp_flags": flags, "payload": pay,
        "metadata": md,
        # Not record fields: what the table shows.
        "evidence": _evidence(meta) or "", "packets": (_num(rec.get("packets_c2s")) or 0) + (_num(rec.get("packets_s2c")) or 0),
        "bytes": nbytes,
    }


def _utc(ts: float, fmt: str) -> str:
    """A capture timestamp as UTC text; one no calendar holds (a pcapng block can say
    anything) as its number."""
    try:
        return time.strftime(fmt, time.gmtime(ts))
    except (OverflowError, OSError, ValueError):
        return str(ts)


def _ml_class(ml: int, flows: int) -> str:
    """How a protocol label shows the model's part: "ml" when the model alone gave it
    to every flow counted, "ml-some" when to some, "" when to none."""
    if not ml:
        return ""
    return "ml" if ml >= flows else "ml-some"


class _Cell:
    __slots__ = ("flows", "bytes", "verdict", "reason", "ml")

    def __init__(self, verdict, reason):
        self.flows = 0
        self.bytes = 0
        self.ml = 0                     # flows labelled by the model alone
        self.verdict = verdict
        self.reason = reason


class _Detail:
    """What a mismatch cell keeps beyond its counts."""
    __slots__ = ("ports", "servers", "clients", "evidence")

    def __init__(self):
        self.ports = TopK()
        self.servers = TopK()
        self.clients = TopK()
        self.evidence = TopK(16)


class HtmlWriter:
    """Aggregates records in `write`, renders the report in `close`."""

    def __init__(self, stream, color=False, meta=None):
        self.stream = stream
        self.meta = dict(meta or {})
        self.flows = 0
        self.bytes = 0
        self.ts_min: Optional[float] = None
        self.ts_max: Optional[float] = None
        self.verdicts: Dict[Optional[str], int] = {}
        self.cells: Dict[Tuple[str, str], _Cell] = {}
        self.cells_overflow = 0             # flows whose cell could not be added
        self.details: Dict[Tuple[str, str], _Detail] = {}
        self.details_overflow = 0
        self.protocols: Dict[str, Dict[str, int]] = {}
        self.unregistered = TopK(256)
        self.captures: Dict[str, Dict[str, Any]] = {}
        self.captures_overflow = 0
        self.cards: Dict[str, int] = {}            # verdict card key -> flows
        self.transports: Dict[str, int] = {}
        self.judged = 0                 # records a verdict stage has seen
        self.labelled = 0               # records a detector or the model has labelled
        self.server_ports = TopK(256)   # (port, transport) -> flows, for unjudged records
        self.listed: List[List[Dict[str, Any]]] = [[] for _ in range(LAST_RANK + 1)]
        self.listed_count = 0
        self.worst_rank = 0             # the highest rank with a flow listed (when any is)
        self.unlisted: Dict[str, int] = {}         # card key -> flows left out of the flows table

    # -- aggregation --------------------------------------------------------------

    def write(self, rec: Dict[str, Any]) -> None:
        nbytes = (rec.get("bytes_c2s") or 0) + (rec.get("bytes_s2c") or 0)
        self.flows += 1
        self.bytes += nbytes
        t0, t1 = rec.get("ts_start"), rec.get("ts_end")
        if t0 is not None and (self.ts_min is None or t0 < self.ts_min):
            self.ts_min = t0
        if t1 is not None and (self.ts_max is None or t1 > self.ts_max):
            self.ts_max = t1
        verdict = rec.get("verdict")
        self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
        observed = rec.get("protocol") or "unknown"
        transport = rec.get("transport")
        self.transports[transport or "?"] = self.transports.get(transport or "?", 0) + 1
        judged = verdict is not None or "verdict_reason" in rec
        self.judged += judged
        model_only = rec.get("source") == "ml"
        self.labelled += rec.get("source") not in (None, "none") or observed != "unknown"
        if verdict:
            card = verdict
        elif judged and transport not in ("tcp", "udp"):
            card = "no-port"
        else:
            card = "unjudged"
        self.cards[card] = self.cards.get(card, 0) + 1
        if not judged and transport in ("tcp", "udp"):
            self.server_ports.add((rec.get("server_port"), transport))
        if rec.get("transport") not in ("tcp", "udp"):
            implied = NO_PORT
        elif verdict is None:
            implied = NO_VERDICT
        else:
            implied = rec.get("port_protocol") or NOT_REGISTERED
        self._list(rec, card, implied, nbytes)

        cap = self.captures.get(rec.get("capture"))
        if cap is None:
            if len(self.captures) < 1000:
                cap = self.captures[rec.get("capture")] = {"flows": 0, "bytes": 0, "mismatch": 0}
            else:
                self.captures_overflow += 1
        if cap is not None:
            cap["flows"] += 1
            cap["bytes"] += nbytes
            cap["mismatch"] += verdict == "mismatch"

        p = self.protocols.get(observed)
        if p is None:
            p = self.protocols[observed] = {"flows": 0, "bytes": 0, "match": 0, "mismatch": 0,
                                            "unregistered-port": 0, "unidentified": 0, "ml": 0}
        p["flows"] += 1
        p["bytes"] += nbytes
        p["ml"] += model_only
        if verdict in p:
            p[verdict] += 1

        key = (implied, observed)
        cell = self.cells.get(key)
        if cell is None:
            if len(self.cells) >= MAX_MATRIX_CELLS:
                self.cells_overflow += 1
                return
            cell = self.cells[key] = _Cell(verdict, rec.get("verdict_reason"))
        cell.flows += 1
        cell.bytes += nbytes
        cell.ml += model_only

        if verdict == "unregistered-port":
            self.unregistered.add((rec.get("server_port"), rec.get("transport"), observed))
        if verdict != "mismatch":
            return
        detail = self.details.get(key)
        if detail is None:
            if len(self.details) >= MAX_DETAIL_CELLS:
                self.details_overflow += 1
                return
            detail = self.details[key] = _Detail()
        detail.ports.add(f"{rec.get('server_port')}/{rec.get('transport')}")
        detail.servers.add(_endpoint(rec.get("server", "?"), rec.get("server_port")))
        detail.clients.add(rec.get("client", "?"))
        ev = _evidence(rec.get("metadata"))
        if ev:
            detail.evidence.add(ev)

    def _list(self, rec: Dict[str, Any], card: str, implied: str, nbytes: int) -> None:
        """Keep the flow for the flows table if it fits: the table holds MAX_FLOW_ROWS
        flows, and when full a flow of a more important verdict (mismatch first) takes
        the place of the last one kept of the least important verdict."""
        rank = FLOW_RANK.get(rec.get("verdict"), LAST_RANK)
        if self.listed_count >= MAX_FLOW_ROWS:
            worst = self.worst_rank
            if rank >= worst:
                self.unlisted[card] = self.unlisted.get(card, 0) + 1
                return
            dropped = self.listed[worst].pop()
            self.unlisted[dropped["card"]] = self.unlisted.get(dropped["card"], 0) + 1
            self.listed_count -= 1
            while self.worst_rank > 0 and not self.listed[self.worst_rank]:
                self.worst_rank -= 1
        row = _flow_row(rec, nbytes)
        row["card"] = card
        row["implied"] = implied        # the flow's matrix row, for the matrix's click-through
        row["model_only"] = rec.get("source") == "ml"
        self.listed[rank].append(row)
        self.listed_count += 1
        if rank > self.worst_rank:
            self.worst_rank = rank

    def add_capture(self, path: str, stats: Dict[str, Any], error: Optional[str] = None) -> None:
        """Optional hook: the CLI reports each capture's reader statistics."""
        cap = self.captures.setdefault(path, {"flows": 0, "bytes": 0, "mismatch": 0})
        cap["packets"] = stats.get("packets")
        cap["error"] = error

    # -- rendering ----------------------------------------------------------------

    def _matrix(self) -> Dict[str, Any]:
        row_tot: Dict[str, List[int]] = {}
        col_tot: Dict[str, List[int]] = {}            # [mismatched, flows, model-only]
        for (r, c), cell in self.cells.items():
            mis = cell.flows if cell.verdict == "mismatch" else 0
            for tot, k in ((row_tot, r), (col_tot, c)):
                t = tot.setdefault(k, [0, 0, 0])
                t[0] += mis
                t[1] += cell.flows
                t[2] += cell.ml

        def order(tot, limit):
            # Mismatches first (most mismatched flows first), then by flows; the rows for
            # unregistered, unjudged and portless traffic go last and are never folded.
            special = [k for k in (NOT_REGISTERED, NO_VERDICT, NO_PORT) if k in tot]
            keys = sorted((k for k in tot if k not in special), key=lambda k: (-tot[k][0], -tot[k][1], k))
            return keys[:limit] + special, set(keys[limit:])

        rows, rows_folded = order(row_tot, MATRIX_ROWS)
        cols, cols_folded = order(col_tot, MATRIX_COLS)
        if rows_folded:
            rows.insert(min(MATRIX_ROWS, len(rows)), OTHER)
        if cols_folded:
            cols.append(OTHER)
        grid: Dict[Tuple[str, str], Dict[str, Any]] = {}
        for (r, c), cell in self.cells.items():
            rk = OTHER if r in rows_folded else r
            ck = OTHER if c in cols_folded else c
            g = grid.get((rk, ck))
            if g is None:
                g = grid[(rk, ck)] = {"flows": 0, "bytes": 0, "ml": 0, "verdicts": {}, "reason": cell.reason}
            g["flows"] += cell.flows
            g["bytes"] += cell.bytes
            g["ml"] += cell.ml
            g["verdicts"][cell.verdict] = g["verdicts"].get(cell.verdict, 0) + cell.flows
        peak = max((g["flows"] for g in grid.values()), default=1)
        table = []
        for r in rows:
            line = []
            for c in cols:
                g = grid.get((r, c))
                if g is None:
                    line.append(None)
                    continue
                verdict = max(g["verdicts"], key=lambda v: (v == "mismatch", g["verdicts"][v]))
                heat = math.log1p(g["flows"]) / math.log1p(peak) if peak else 0
                # A single mismatched flow must stand out: mismatch cells start half-saturated.
                floor = 0.55 if verdict == "mismatch" else 0.12
                tip = f"{r} \u00d7 {c}: {g['flows']} flows, {human_bytes(g['bytes'])}"
                if g["ml"]:
                    tip += (", all labelled by the model alone" if g["ml"] == g["flows"]
                            else f", {g['ml']} labelled by the model alone")
                if len(g["verdicts"]) == 1 and g["reason"]:
                    tip += f" \u2014 {_clip(g['reason'])}"
                line.append({"flows": g["flows"], "verdict": verdict or "none",
                             "heat": round(floor + (1 - floor) * heat, 3), "title": tip,
                             "ml": _ml_class(g["ml"], g["flows"]),
                             "pair": None if OTHER in (r, c) else (r, c)})
            table.append({"name": r, "cells": line, "mismatch": row_tot.get(r, [0])[0]})
        col_ml: Dict[str, List[int]] = {}
        for c, t in col_tot.items():
            k = OTHER if c in cols_folded else c
            m = col_ml.setdefault(k, [0, 0])
            m[0] += t[2]
            m[1] += t[1]
        return {"rows": table, "cols": [{"name": c, "ml": _ml_class(*col_ml.get(c, [0, 0]))} for c in cols]}

    def _mismatches(self) -> List[Dict[str, Any]]:
        cells = [(k, c) for k, c in self.cells.items() if c.verdict == "mismatch"]
        cells.sort(key=lambda kc: (-kc[1].flows, -kc[1].bytes, kc[0]))
        out = []
        for (implied, observed), cell in cells[:MISMATCH_ROWS]:
            d = self.details.get((implied, observed))
            out.append({
                "implied": implied, "observed": observed, "ml": _ml_class(cell.ml, cell.flows),
                "ml_flows": cell.ml, "flows": cell.flows, "bytes": human_bytes(cell.bytes),
                "bytes_raw": cell.bytes, "reason": _clip(cell.reason or ""),
                "ports": d.ports.top(TOP_N) if d else [], "servers": d.servers.top(TOP_N) if d else [],
                "clients": d.clients.top(TOP_N) if d else [], "evidence": d.evidence.top(3) if d else [],
            })
        return out

    def _flows_table(self) -> Dict[str, Any]:
        """The listed flows in table order (mismatches first, then by start time), with
        what each row shows; the rows' full records go to the page as JSON."""
        rows: List[Dict[str, Any]] = []
        for rank in self.listed:
            rows.extend(sorted(rank, key=lambda r: (r["ts_start"] is None, r["ts_start"] or 0)))
        for i, r in enumerate(rows):
            t = r["ts_start"]
            r["start"] = _utc(t, "%Y-%m-%d %H:%M:%S") + f".{int(t % 1 * 1000):03d}" if t is not None else ""
            r["i"] = i
            r["client_ep"] = _endpoint(r["client"] or "?", r["client_port"])
        left = sum(self.unlisted.values())
        left_text = ", ".join(f"{n} {CARD_NAMES.get(k, k)}" for k, n in
                              sorted(self.unlisted.items(), key=lambda kv: (-kv[1], kv[0])))
        records = []
        for r in rows:
            rec = {k: v for k, v in r.items() if k not in ("card", "implied", "model_only", "evidence", "packets", "bytes", "start", "i", "client_ep")}
            records.append(rec)
        captures = {r["capture"] for r in rows}
        return {
            "rows": rows, "json": script_json(records), "left": left, "left_text": left_text,
            "cap": MAX_FLOW_ROWS, "show_capture": len(self.captures) > 1 or len(captures) > 1,
            "verdicts": [v for v in CARD_ORDER if any(r["card"] == v for r in rows)],
            "protocols": sorted({r["protocol"] or "unknown" for r in rows}),
            "transports": sorted({r["transport"] or "?" for r in rows}),
            "model_only": sum(1 for r in rows if r["model_only"]),
        }

    def context(self) -> Dict[str, Any]:
        total = self.flows or 1
        judged = bool(self.judged) or not self.flows
        labelled = bool(self.labelled) or judged
        if judged:
            keys = [k for k in CARD_ORDER if self.cards.get(k) or k in ("match", "mismatch")]
            verdicts = [{"name": CARD_NAMES[k], "key": "none" if k in ("no-port", "unjudged") else k,
                         "flows": self.cards.get(k, 0), "share": 100.0 * self.cards.get(k, 0) / total}
                        for k in keys]
        else:
            # No verdict stage saw these flows (`portlens flows`): what is true of them is
            # their transport, not a verdict.
            verdicts = [{"name": f"{t} flows", "key": "none", "flows": n, "share": 100.0 * n / total}
                        for t, n in sorted(self.transports.items(), key=lambda kv: (-kv[1], kv[0]))[:6]]
        top_bytes = max((p["bytes"] for p in self.protocols.values()), default=1) or 1
        protocols = sorted(self.protocols.items(), key=lambda kv: (-kv[1]["mismatch"], -kv[1]["flows"], kv[0]))
        span = ""
        if self.ts_min is not None and self.ts_max is not None:
            fmt = "%Y-%m-%d %H:%M:%S UTC"
            span = f"{_utc(self.ts_min, fmt)} \u2013 {_utc(self.ts_max, fmt)}"
        notes = []
        if self.cells_overflow:
            notes.append(f"{self.cells_overflow} flows fell beyond {MAX_MATRIX_CELLS} distinct matrix cells "
                         f"and are counted in the totals only.")
        if self.details_overflow:
            notes.append(f"{self.details_overflow} mismatched flows fell beyond {MAX_DETAIL_CELLS} mismatch "
                         f"cells tracked in detail: their endpoints are not listed.")
        if self.captures_overflow:
            notes.append(f"{self.captures_overflow} flows came from captures beyond the first 1000 listed.")
        flows_table = self._flows_table()
        if flows_table["left"]:
            notes.append(f"The flows table lists {len(flows_table['rows'])} of {self.flows} flows "
                         f"(at most {MAX_FLOW_ROWS}{', mismatches first' if judged else ''}); "
                         f"{flows_table['left']} are left out of it ({flows_table['left_text']}) "
                         f"and counted in the totals only.")
        return {
            "title": self.meta.get("title") or ("portlens report" if judged else "portlens flows"),
            "version": __version__,
            "generated": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "registry_date": self.meta.get("registry_date", ""),
            "registry_source": self.meta.get("registry_source", ""),
            "site_files": [_clip(f) for f in self.meta.get("site_files", [])],
            "judged": judged, "labelled": labelled,
            "flows": self.flows, "bytes": human_bytes(self.bytes), "span": span,
            "verdicts": verdicts,
            "matrix": self._matrix(),
            "mismatches": self._mismatches(),
            "mismatch_cells": sum(1 for c in self.cells.values() if c.verdict == "mismatch"),
            "mismatch_flows": self.verdicts.get("mismatch", 0),
            "protocols": [{"name": n, "flows": p["flows"], "bytes": human_bytes(p["bytes"]), "bytes_raw": p["bytes"],
                           "bar": round(100.0 * p["bytes"] / top_bytes, 1), "match": p["match"],
                           "mismatch": p["mismatch"], "unregistered": p["unregistered-port"],
                           "unidentified": p["unidentified"], "ml_flows": p.get("ml", 0),
                           "ml": _ml_class(p.get("ml", 0), p["flows"])} for n, p in protocols],
            "unregistered": [{"port": f"{k[0]}/{k[1]}", "protocol": k[2], "flows": n, "approx": a}
                             for k, n, a in self.unregistered.top(15)],
            "server_ports": [{"port": f"{k[0]}/{k[1]}", "port_raw": k[0] if isinstance(k[0], int) else -1,
                              "flows": n, "approx": a} for k, n, a in self.server_ports.top(25)],
            "captures": [{"path": _clip(p), "flows": c["flows"], "bytes": human_bytes(c["bytes"]), "bytes_raw": c["bytes"],
                          "mismatch": c["mismatch"], "packets": c.get("packets"),
                          "error": _clip(c["error"]) if c.get("error") else None}
                         for p, c in list(self.captures.items())[:200]],
            "flow_table": flows_table,
            "notes": notes,
        }

    def render(self) -> str:
        try:
            import jinja2
        except ImportError:                             # pragma: no cover - a declared dependency
            from ..errors import PortlensError
            raise PortlensError("the html format needs Jinja2 (pip install jinja2)") from None
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
                                 autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                 undefined=jinja2.StrictUndefined)
        env.filters["csp_hash"] = csp_hash
        return env.get_template("report.html.j2").render(**self.context())

    def close(self) -> None:
        self.stream.write(self.render())
