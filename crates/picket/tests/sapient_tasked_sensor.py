"""A SAPIENT sensor written with sapient-py (PyPI), used by the Rust tests as an independent
peer for tasking: it connects to a running Picket fusion node, registers, reports its status,
raises one Alert (the node must answer AlertAck), then waits for a Task and acknowledges it.

usage: sapient_tasked_sensor.py HOST PORT NODE_LAT NODE_LON TASK_STATUS SECONDS [DRONE_LAT DRONE_LON]
Prints `registered` once the RegistrationAck came, then one JSON line: what it received.
TASK_STATUS is `accepted` or `rejected` (what it answers to the Task). With DRONE_LAT/LON it
reports a drone hovering there (1480 m), twice a second, until the Task comes.
"""

import json
import os
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sapient_sensor import NODE, detection, envelope, registration, status  # noqa: E402

from sapient_msg.bsi_flex_335_v2_0 import alert_pb2  # noqa: E402
from sapient_msg.bsi_flex_335_v2_0 import alert_ack_pb2  # noqa: E402
from sapient_msg.bsi_flex_335_v2_0 import sapient_message_pb2 as sm  # noqa: E402
from sapient_msg.bsi_flex_335_v2_0 import task_ack_pb2  # noqa: E402
from sapient_py.framing import encode_frame, read_frame  # noqa: E402


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    lat, lon = float(sys.argv[3]), float(sys.argv[4])
    answer, seconds = sys.argv[5], float(sys.argv[6])
    sock = None
    for _ in range(100):
        try:
            sock = socket.create_connection((host, port), timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    if sock is None:
        raise SystemExit("cannot connect to the fusion node")
    sock.settimeout(seconds)
    stream = sock.makefile("rb")
    sock.sendall(encode_frame(registration()))
    ack = read_frame(stream, sm.SapientMessage)
    if ack.WhichOneof("content") != "registration_ack" or not ack.registration_ack.acceptance:
        raise SystemExit(f"not registered: {ack}")
    sock.sendall(encode_frame(status(lat, lon)))

    alert = envelope()
    alert.alert.alert_id = str(uuid.uuid4())
    alert.alert.alert_type = alert_pb2.Alert.ALERT_TYPE_WARNING
    alert.alert.status = alert_pb2.Alert.ALERT_STATUS_ACTIVE
    alert.alert.description = "tamper switch"
    sock.sendall(encode_frame(alert))
    alert_ack = read_frame(stream, sm.SapientMessage)
    got = {
        "node_id": NODE,
        "alert_ack_for_our_alert": alert_ack.WhichOneof("content") == "alert_ack"
        and alert_ack.alert_ack.alert_id == alert.alert.alert_id
        and alert_ack.alert_ack.alert_ack_status == alert_ack_pb2.AlertAck.ALERT_ACK_STATUS_ACCEPTED,
    }
    print("registered", flush=True)
    stop = threading.Event()
    lock = threading.Lock()  # one writer at a time on the socket
    if len(sys.argv) > 8:
        d_lat, d_lon = float(sys.argv[7]), float(sys.argv[8])
        obj = str(uuid.uuid4())

        def report():
            while not stop.is_set():
                with lock:
                    sock.sendall(encode_frame(detection(obj, d_lat, d_lon, 1480.0)))
                time.sleep(0.5)

        threading.Thread(target=report, daemon=True).start()

    deadline = time.time() + seconds
    while time.time() < deadline:
        msg = read_frame(stream, sm.SapientMessage)
        if msg.WhichOneof("content") != "task":
            continue
        t = msg.task
        stop.set()
        loc = t.command.look_at.location_list.locations[0]
        got["task"] = {
            "task_id": t.task_id,
            "destination_id": msg.destination_id,
            "to_us": msg.destination_id == NODE,
            "control": t.control,
            "command": t.command.WhichOneof("command"),
            "lat_deg": loc.y,
            "lon_deg": loc.x,
            "alt_m": loc.z,
            "coordinate_system": loc.coordinate_system,
            "datum": loc.datum,
        }
        reply = envelope()
        reply.destination_id = msg.node_id
        reply.task_ack.task_id = t.task_id
        if answer == "accepted":
            reply.task_ack.task_status = task_ack_pb2.TaskAck.TASK_STATUS_ACCEPTED
            reply.task_ack.reason.append("slewing to target")
        else:
            reply.task_ack.task_status = task_ack_pb2.TaskAck.TASK_STATUS_REJECTED
            reply.task_ack.reason.append("pan-tilt unit fault")
        with lock:
            sock.sendall(encode_frame(reply))
        break
    # Give the node time to read the ack before the socket closes.
    time.sleep(0.5)
    print(json.dumps(got), flush=True)


if __name__ == "__main__":
    main()
