"""Referee for picket-outputs: parses what a TAK client received with takproto 3.0.1.

stdin: JSON list of CoT XML events (as a TAK server relayed them), or of TAK protocol v1
stream frames written as "hex:<hex digits>".
stdout: JSON list, one object per event:
  {"ok": true, "uid", "type", "how", "sendTime", "startTime", "staleTime" (ms since the epoch),
   "lat", "lon", "hae", "ce", "le", "callsign", "track": {"speed", "course"} or null,
   "xmlDetail": str}
  or {"ok": false, "error": str}.
"""
import json
import sys

from takproto.functions import parse_proto, xml2message


def parse(item):
    try:
        if item.startswith("hex:"):
            msg = parse_proto(bytearray(bytes.fromhex(item[4:])))
        else:
            msg = xml2message(item.encode("utf-8"))
    except Exception as exc:  # the referee reports, the Rust test decides
        return {"ok": False, "error": repr(exc)}
    if msg is None or not msg.HasField("cotEvent"):
        return {"ok": False, "error": "no cotEvent"}
    e = msg.cotEvent
    out = {
        "ok": True,
        "uid": e.uid,
        "type": e.type,
        "how": e.how,
        "sendTime": e.sendTime,
        "startTime": e.startTime,
        "staleTime": e.staleTime,
        "lat": e.lat,
        "lon": e.lon,
        "hae": e.hae,
        "ce": e.ce,
        "le": e.le,
        "callsign": None,
        "track": None,
        "xmlDetail": "",
    }
    if e.HasField("detail"):
        d = e.detail
        out["xmlDetail"] = d.xmlDetail
        if d.HasField("contact"):
            out["callsign"] = d.contact.callsign
        if d.HasField("track"):
            out["track"] = {"speed": d.track.speed, "course": d.track.course}
    return out


def main():
    events = json.load(sys.stdin)
    json.dump([parse(x) for x in events], sys.stdout)


if __name__ == "__main__":
    main()
