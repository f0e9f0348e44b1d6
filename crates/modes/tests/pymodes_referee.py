"""Referee for picket-modes' integration tests: decode messages with pyModeS 3.6.1.

Usage: python pymodes_referee.py MESSAGES [LAT,LON]

MESSAGES has one `HEX,TIMESTAMP` per line (timestamp in seconds, may be empty).
Prints one JSON object per message, in input order, with the fields the Rust test compares:
the stateless decode (with the optional reference for local CPR decoding) and, when every
message has a timestamp, the position pyModeS' streaming PipeDecoder gives it.
"""

import json
import sys

import pyModeS

FIELDS = (
    "df", "icao", "crc_valid", "typecode", "callsign", "category", "altitude", "squawk",
    "groundspeed", "track", "vertical_rate", "vr_source", "airspeed", "airspeed_type",
    "heading", "geo_minus_baro", "cpr_format", "cpr_lat", "cpr_lon", "latitude", "longitude",
    "emergency_state",
)


def main() -> None:
    path = sys.argv[1]
    ref = None
    if len(sys.argv) > 2:
        lat, lon = sys.argv[2].split(",")
        ref = (float(lat), float(lon))
    msgs, stamps = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            hex_, _, ts = line.partition(",")
            msgs.append(hex_)
            stamps.append(float(ts) if ts else None)

    # Streaming: one PipeDecoder fed message by message, as a live feed would be.
    stream = [None] * len(msgs)
    if msgs and all(t is not None for t in stamps):
        pipe = pyModeS.PipeDecoder()
        # Copy each result at once: pyModeS may hand out the same object again for a
        # repeated message and update it later.
        stream = [dict(pipe.decode(m, timestamp=t)) for m, t in zip(msgs, stamps)]

    out = sys.stdout
    for i, m in enumerate(msgs):
        rec = {"i": i}
        try:
            kwargs = {}
            if ref is not None:
                kwargs = {"reference": ref, "surface_ref": ref}
            d = dict(pyModeS.decode(m, **kwargs))
            for k in FIELDS:
                if d.get(k) is not None:
                    rec[k] = d[k]
        except Exception as e:  # a message pyModeS refuses is a comparison result too
            rec["error"] = f"{type(e).__name__}: {e}"
        s = stream[i]
        if s is not None:
            if s.get("latitude") is not None:
                rec["stream_lat"] = s["latitude"]
                rec["stream_lon"] = s["longitude"]
        out.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
