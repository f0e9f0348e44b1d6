"""Time pyModeS 3.6.1 on the same messages the Rust benchmark decodes.

Usage: python pymodes_speed.py MESSAGES SECONDS MODE

MESSAGES: one `HEX,TIMESTAMP` per line. Decodes the list repeatedly for at least SECONDS,
MODE `stateless`: one `pyModeS.decode(hex)` per message; MODE `streaming`: one
`PipeDecoder.decode(hex, timestamp=t)` per message (a fresh decoder per pass: CPR pairing
and local decoding). Prints one JSON object with the messages per second.
"""

import json
import sys
import time

import pyModeS


def rate(fn, msgs, seconds):
    n, t0 = 0, time.perf_counter()
    while True:
        fn(msgs)
        n += len(msgs)
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def stateless(msgs):
    for m, _ in msgs:
        pyModeS.decode(m)


def streaming(msgs):
    pipe = pyModeS.PipeDecoder()
    for m, t in msgs:
        pipe.decode(m, timestamp=t)


def main() -> None:
    msgs = []
    with open(sys.argv[1]) as f:
        for line in f:
            h, _, t = line.strip().partition(",")
            if h:
                msgs.append((h, float(t) if t else 0.0))
    seconds = float(sys.argv[2])
    mode = sys.argv[3]
    fn = {"stateless": stateless, "streaming": streaming}[mode]
    print(json.dumps({
        "pymodes_version": pyModeS.__version__,
        "messages": len(msgs),
        "mode": mode,
        "msgs_per_s": rate(fn, msgs, seconds),
    }))


if __name__ == "__main__":
    main()
