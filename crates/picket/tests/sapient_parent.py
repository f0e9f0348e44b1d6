"""A parent SAPIENT node written with sapient-py (PyPI), used by the Rust tests as an
independent peer of Picket in child-node mode. It listens, takes Picket's Registration (and
acknowledges it), drops the first connection right after to make Picket reconnect, then on
the second connection: tasks Picket with a Status request and a look-at, acknowledges the
first Alert, and collects the DetectionReports and Alerts Picket forwards.

usage: sapient_parent.py PORT SECONDS
Prints `listening` once bound, then one JSON line: what it saw.
"""

import json
import socket
import sys
import time
import uuid

from sapient_msg.bsi_flex_335_v2_0 import alert_ack_pb2
from sapient_msg.bsi_flex_335_v2_0 import registration_pb2 as reg
from sapient_msg.bsi_flex_335_v2_0 import sapient_message_pb2 as sm
from sapient_msg.bsi_flex_335_v2_0 import task_pb2
from sapient_py.framing import encode_frame, read_frame

NODE = str(uuid.uuid4())


def envelope(to):
    m = sm.SapientMessage()
    now = time.time()
    m.timestamp.seconds = int(now)
    m.timestamp.nanos = int((now % 1) * 1e9)
    m.node_id = NODE
    m.destination_id = to
    return m


def ack_registration(sock, stream, seen):
    msg = read_frame(stream, sm.SapientMessage)
    assert msg.WhichOneof("content") == "registration", msg
    r = msg.registration
    seen["registrations"] += 1
    seen["child_node_id"] = msg.node_id
    seen["icd_version"] = r.icd_version
    seen["node_type_fusion"] = any(
        n.node_type == reg.Registration.NODE_TYPE_FUSION_NODE for n in r.node_definition
    )
    seen["name"] = r.name
    ack = envelope(msg.node_id)
    ack.registration_ack.acceptance = True
    sock.sendall(encode_frame(ack))
    return msg.node_id


def task(to, command, value=None):
    m = envelope(to)
    m.task.task_id = str(uuid.uuid4())
    m.task.control = task_pb2.Task.CONTROL_START
    if command == "request":
        m.task.command.request = value
    else:
        loc = m.task.command.look_at.location_list.locations.add()
        loc.x, loc.y, loc.z = -109.96, 31.33, 1450.0
        loc.coordinate_system = 1
        loc.datum = 1
    return m


def main():
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(4)
    srv.settimeout(seconds)
    print("listening", flush=True)
    seen = {
        "registrations": 0, "status_reports": 0, "detections": 0, "object_ids": [],
        "classes": [], "alerts": [], "task_acks": {}, "status_after_request": False,
        "picket_track_ids": [],
    }
    # First connection: acknowledge, then hang up (Picket must reconnect and register again).
    s1, _ = srv.accept()
    ack_registration(s1, s1.makefile("rb"), seen)
    time.sleep(0.2)
    s1.close()

    sock, _ = srv.accept()
    sock.settimeout(seconds)
    stream = sock.makefile("rb")
    child = ack_registration(sock, stream, seen)
    status_task = task(child, "request", "Status")
    look_task = task(child, "look_at")
    sock.sendall(encode_frame(status_task))
    sock.sendall(encode_frame(look_task))
    pending_status = False
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            msg = read_frame(stream, sm.SapientMessage)
        except (EOFError, socket.timeout):
            break
        kind = msg.WhichOneof("content")
        if kind == "status_report":
            seen["status_reports"] += 1
            seen["status_node_lat"] = msg.status_report.node_location.y
            if pending_status:
                seen["status_after_request"] = True
        elif kind == "task_ack":
            a = msg.task_ack
            name = "status" if a.task_id == status_task.task.task_id else (
                "look_at" if a.task_id == look_task.task.task_id else "other")
            seen["task_acks"][name] = {"status": a.task_status, "reasons": list(a.reason)}
            if name == "status":
                pending_status = True
        elif kind == "detection_report":
            d = msg.detection_report
            seen["detections"] += 1
            if d.object_id not in seen["object_ids"]:
                seen["object_ids"].append(d.object_id)
            for c in d.classification:
                path = c.type + "/" + "/".join(s.type for s in c.sub_class)
                if path not in seen["classes"]:
                    seen["classes"].append(path)
            for i in d.track_info:
                if i.type == "picket_track_id" and i.value not in seen["picket_track_ids"]:
                    seen["picket_track_ids"].append(i.value)
            seen["last_detection"] = {
                "lat": d.location.y, "lon": d.location.x, "alt": d.location.z,
                "coordinate_system": d.location.coordinate_system, "datum": d.location.datum,
                "north_rate": d.enu_velocity.north_rate, "state": d.state,
            }
        elif kind == "alert":
            a = msg.alert
            seen["alerts"].append({
                "alert_id": a.alert_id, "type": a.alert_type, "status": a.status,
                "region_id": a.region_id, "description": a.description,
                "object_ids": [x.object_id for x in a.associated_detection],
            })
            if len(seen["alerts"]) == 1:
                ack = envelope(child)
                ack.alert_ack.alert_id = a.alert_id
                ack.alert_ack.alert_ack_status = alert_ack_pb2.AlertAck.ALERT_ACK_STATUS_ACCEPTED
                sock.sendall(encode_frame(ack))
                # Enough seen once an alert came and the detections kept coming a while.
                deadline = min(deadline, time.time() + 2.0)
    print(json.dumps(seen), flush=True)


if __name__ == "__main__":
    main()
