"""Independent referee for picket-asterix: PyPI asterix-decoder (Croatia Control, GPL; run
out of process only), fed from a pcap read here with struct (Ethernet/IPv4/UDP, payload
trimmed to the UDP length).

Commands:
  pcap FILE     stdout: one JSON line per UDP datagram:
                {"packet": index, "payload": hex, "records": [record, ...]} where a record is
                asterix.parse(payload, verbose=False) with every {"val": v} unwrapped to v.
  bench FILE N  stdout: {"cat048_records_per_s": ...} parsing the CAT-048-only datagrams of
                FILE N times.
"""

import json
import struct
import sys
import time

import asterix


def udp_payloads(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic != 0xA1B2C3D4:
        raise SystemExit(f"not a little-endian microsecond pcap: {magic:#x}")
    off = 24
    index = 0
    while off + 16 <= len(data):
        _ts, _tu, incl, _orig = struct.unpack("<IIII", data[off:off + 16])
        off += 16
        frame = data[off:off + incl]
        off += incl
        i = index
        index += 1
        if len(frame) < 14 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17:
            continue
        udp = ip[ihl:]
        ulen = struct.unpack(">H", udp[4:6])[0]
        yield i, udp[8:ulen]


def unwrap(v):
    if isinstance(v, dict):
        if set(v.keys()) == {"val"}:
            return v["val"]
        return {k: unwrap(x) for k, x in v.items()}
    if isinstance(v, list):
        return [unwrap(x) for x in v]
    return v


def pcap(path):
    for i, payload in udp_payloads(path):
        recs = [unwrap(r) for r in asterix.parse(payload, verbose=False)]
        for r in recs:
            r.pop("ts", None)
        print(json.dumps({"packet": i, "payload": payload.hex(), "records": recs}))


def bench(path, n):
    payloads = [p for _, p in udp_payloads(path) if p and p[0] == 48]
    per_round = sum(len(asterix.parse(p, verbose=False)) for p in payloads)
    t0 = time.perf_counter()
    count = 0
    for _ in range(n):
        for p in payloads:
            count += len(asterix.parse(p, verbose=False))
    dt = time.perf_counter() - t0
    print(json.dumps({"cat048_records_per_s": count / dt, "records": count,
                      "records_per_round": per_round}))


if __name__ == "__main__":
    if sys.argv[1] == "pcap":
        pcap(sys.argv[2])
    elif sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown command {sys.argv[1]}")
