"""A SAPIENT sensor written with sapient-py (PyPI), used by the Rust tests as an independent
peer: it connects to a running Picket fusion node, registers, reports its status, then reports
a drone flying straight at a protected post, with one malformed frame in the middle.

usage: sapient_sensor.py HOST PORT TARGET_LAT TARGET_LON START_NORTH_M SPEED_MPS SECONDS
Prints one JSON line: what the fusion node answered.
"""

import json
import math
import socket
import sys
import time
import uuid

from sapient_msg.bsi_flex_335_v2_0 import sapient_message_pb2 as sm
from sapient_msg.bsi_flex_335_v2_0 import location_pb2 as loc
from sapient_msg.bsi_flex_335_v2_0 import range_bearing_pb2 as rb
from sapient_msg.bsi_flex_335_v2_0 import registration_pb2 as reg
from sapient_msg.bsi_flex_335_v2_0 import status_report_pb2 as st
from sapient_py.framing import HEADER_SIZE, encode_frame

NODE = str(uuid.uuid4())


def envelope():
    m = sm.SapientMessage()
    now = time.time()
    m.timestamp.seconds = int(now)
    m.timestamp.nanos = int((now % 1) * 1e9)
    m.node_id = NODE
    return m


def registration():
    m = envelope()
    r = m.registration
    nd = r.node_definition.add()
    nd.node_type = reg.Registration.NODE_TYPE_RADAR
    nd.node_sub_type.append("counter-UAS radar")
    r.icd_version = "BSI Flex 335 v2.0"
    r.name = "Test radar"
    cap = r.capabilities.add()
    cap.category = "Radar"
    cap.type = "Max range"
    cap.value = "3000"
    cap.units = "m"
    r.status_definition.status_interval.units = reg.Registration.TIME_UNITS_SECONDS
    r.status_definition.status_interval.value = 1.0
    r.status_definition.location_definition.location_units = loc.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    r.status_definition.location_definition.location_datum = loc.LOCATION_DATUM_WGS84_E
    mode = r.mode_definition.add()
    mode.mode_name = "Default"
    mode.mode_type = reg.Registration.MODE_TYPE_DEFAULT
    mode.settle_time.units = reg.Registration.TIME_UNITS_SECONDS
    mode.settle_time.value = 0.5
    dd = mode.detection_definition.add()
    dd.location_type.location_units = loc.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    dd.location_type.location_datum = loc.LOCATION_DATUM_WGS84_E
    cd = dd.detection_class_definition.add()
    cls = cd.class_definition.add()
    cls.type = "Air Vehicle"
    sub = cls.sub_class.add()
    sub.type = "UAV"
    sub.level = 1
    rd = mode.task.region_definition
    rd.region_type.append(reg.Registration.REGION_TYPE_AREA_OF_INTEREST)
    area = rd.region_area.add()
    area.location_units = loc.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    area.location_datum = loc.LOCATION_DATUM_WGS84_E
    cfg = r.config_data.add()
    cfg.manufacturer = "Picket tests"
    cfg.model = "T-1"
    return m


def status(lat, lon):
    m = envelope()
    s = m.status_report
    s.report_id = str(uuid.uuid4())
    s.system = st.StatusReport.SYSTEM_OK
    s.info = st.StatusReport.INFO_NEW
    s.mode = "Default"
    s.node_location.x = lon
    s.node_location.y = lat
    s.node_location.z = 1410.0
    s.node_location.coordinate_system = loc.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    s.node_location.datum = loc.LOCATION_DATUM_WGS84_E
    s.power.source = st.StatusReport.POWERSOURCE_MAINS
    s.power.status = st.StatusReport.POWERSTATUS_OK
    return m


def detection(object_id, lat, lon, alt):
    m = envelope()
    d = m.detection_report
    d.report_id = str(uuid.uuid4())
    d.object_id = object_id
    d.location.x = lon
    d.location.y = lat
    d.location.z = alt
    d.location.x_error = 0.0001
    d.location.y_error = 0.0001
    d.location.z_error = 5.0
    d.location.coordinate_system = loc.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    d.location.datum = loc.LOCATION_DATUM_WGS84_E
    d.detection_confidence = 0.9
    c = d.classification.add()
    c.type = "Air Vehicle"
    c.confidence = 0.8
    sc = c.sub_class.add()
    sc.type = "UAV"
    sc.confidence = 0.7
    sc.level = 1
    return m


def read_frames(sock, timeout):
    sock.settimeout(timeout)
    out = []
    buf = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                out.append(None)  # closed
                break
            buf += chunk
            while len(buf) >= HEADER_SIZE:
                n = int.from_bytes(buf[:HEADER_SIZE], "little")
                if len(buf) < HEADER_SIZE + n:
                    break
                msg = sm.SapientMessage.FromString(buf[HEADER_SIZE:HEADER_SIZE + n])
                out.append(msg.WhichOneof("content"))
                buf = buf[HEADER_SIZE + n:]
    except socket.timeout:
        pass
    return out


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    t_lat, t_lon = float(sys.argv[3]), float(sys.argv[4])
    start_m, speed, seconds = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
    sock = None
    for _ in range(100):
        try:
            sock = socket.create_connection((host, port), timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    if sock is None:
        raise SystemExit("cannot connect to the fusion node")
    sock.sendall(encode_frame(registration()))
    ack = read_frames(sock, 2.0)
    sock.sendall(encode_frame(status(t_lat + 0.009, t_lon)))
    obj = str(uuid.uuid4())
    m_per_deg = 111_000.0
    errors = []
    t0 = time.time()
    k = 0
    while time.time() - t0 < seconds:
        north_m = -start_m + speed * (time.time() - t0)
        lat = t_lat + north_m / m_per_deg
        sock.sendall(encode_frame(detection(obj, lat, t_lon, 1480.0)))
        if k == 3:
            # A frame whose length is right but whose content is not a SapientMessage.
            garbage = b"\xff\xff\xff\xff\x0f\x01\x02"
            sock.sendall(len(garbage).to_bytes(4, "little") + garbage)
        errors += read_frames(sock, 0.5)
        time.sleep(0.5)
        k += 1
    print(json.dumps({
        "registration_ack": "registration_ack" in ack,
        "first_reply": ack[0] if ack else None,
        "error_replies": errors.count("error"),
        "closed_by_node": None in errors or None in ack,
        "detections_sent": k,
    }))


if __name__ == "__main__":
    main()
