"""Referee for picket-cot: runs takproto 3.0.1 on what the Rust tests hand it.

stdin: JSON {"xml": [str, ...], "frames": [hex, ...], "taky": [str, ...]}
stdout: JSON {"xml": [...], "frames": [...]}, one result per input:
  xml    -> {"ok": true, "msg": <TakMessage as dict>, "mesh": hex, "stream": hex}
            (takproto.xml2proto's message, and its mesh and stream frames)
  frames -> {"ok": true, "msg": <TakMessage as dict>} (takproto.parse_proto)
  taky   -> how taky 0.10's router classifies the XML event: {"ok": true, "detail_class",
            "marti": [callsign], "chat": {...} or null, "user": {...} or null}
  failure -> {"ok": false, "error": str}
With argv "bench N": times xml2proto and parse_proto on one event N times, prints JSON rates.
"""
import json
import sys
import time

import takproto
from takproto import TAKProtoVer


def sub(msg, field, names):
    if not msg.HasField(field):
        return None
    m = getattr(msg, field)
    return {n: getattr(m, n) for n in names}


def to_dict(tm):
    out = {"takControl": None, "cotEvent": None}
    if tm.HasField("takControl"):
        c = tm.takControl
        out["takControl"] = {
            "minProtoVersion": c.minProtoVersion,
            "maxProtoVersion": c.maxProtoVersion,
            "contactUid": c.contactUid,
        }
    if tm.HasField("cotEvent"):
        e = tm.cotEvent
        ev = {
            n: getattr(e, n)
            for n in [
                "type", "access", "qos", "opex", "uid", "sendTime", "startTime",
                "staleTime", "how", "lat", "lon", "hae", "ce", "le",
            ]
        }
        ev["detail"] = None
        if e.HasField("detail"):
            d = e.detail
            ev["detail"] = {
                "xmlDetail": d.xmlDetail,
                "contact": sub(d, "contact", ["endpoint", "callsign"]),
                "group": sub(d, "group", ["name", "role"]),
                "precisionLocation": sub(d, "precisionLocation", ["geopointsrc", "altsrc"]),
                "status": sub(d, "status", ["battery"]),
                "takv": sub(d, "takv", ["device", "platform", "os", "version"]),
                "track": sub(d, "track", ["speed", "course"]),
            }
        out["cotEvent"] = ev
    return out


def run_xml(text):
    try:
        mesh = takproto.xml2proto(text.encode("utf-8"), TAKProtoVer.MESH)
        stream = takproto.xml2proto(text.encode("utf-8"), TAKProtoVer.STREAM)
        msg = takproto.parse_proto(mesh)
        return {"ok": True, "msg": to_dict(msg), "mesh": bytes(mesh).hex(), "stream": bytes(stream).hex()}
    except Exception as exc:  # report, do not crash: the Rust test asserts on it
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def run_frame(hexstr):
    try:
        msg = takproto.parse_proto(bytearray(bytes.fromhex(hexstr)))
        if msg is None:
            return {"ok": False, "error": "parse_proto returned None"}
        return {"ok": True, "msg": to_dict(msg)}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def run_taky(text):
    try:
        from lxml import etree
        from taky.cot import models

        evt = models.Event.from_elm(etree.fromstring(text.encode("utf-8")))
        d = evt.detail
        out = {"ok": True, "detail_class": type(d).__name__ if d is not None else None,
               "marti": list(d.marti_cs or []) if d is not None else [],
               "chat": None, "user": None}
        if isinstance(d, models.GeoChat):
            out["chat"] = {"broadcast": d.broadcast, "dst_uid": d.dst_uid, "src_uid": d.src_uid,
                           "src_cs": d.src_cs, "message": d.message}
        if isinstance(d, models.TAKUser):
            out["user"] = {"uid": d.uid, "callsign": d.callsign}
        return out
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def bench(n):
    xml = sys.stdin.read().encode("utf-8")
    t0 = time.perf_counter()
    for _ in range(n):
        mesh = takproto.xml2proto(xml, TAKProtoVer.STREAM)
    t1 = time.perf_counter()
    for _ in range(n):
        takproto.parse_proto(mesh)
    t2 = time.perf_counter()
    print(json.dumps({"xml2proto_per_s": n / (t1 - t0), "parse_stream_per_s": n / (t2 - t1)}))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "bench":
        bench(int(sys.argv[2]))
        return
    req = json.load(sys.stdin)
    out = {
        "xml": [run_xml(x) for x in req.get("xml", [])],
        "frames": [run_frame(f) for f in req.get("frames", [])],
        "taky": [run_taky(x) for x in req.get("taky", [])],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
