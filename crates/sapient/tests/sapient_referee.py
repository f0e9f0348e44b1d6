"""Independent referee for picket-sapient: PyPI sapient-py (framing) and its generated
BSI Flex 335 v2.0 classes (sapient_msg.bsi_flex_335_v2_0), run by the Rust tests.

Commands (stdin/stdout are text, one item per line):
  frames-to-json   stdin: hex of framed byte streams; stdout: for each frame, the protobuf
                   JSON (json_format.MessageToDict) of the SapientMessage, via
                   sapient_py.framing.decode_frame.
  make-frames      stdout: messages built here with the generated classes, one per line as
                   {"frame": hex of sapient_py.framing.encode_frame(msg), "json": MessageToDict}.
  utm-to-latlon    stdin: "easting northing zone_number band" per line; stdout: "lat lon" from
                   the PyPI `utm` package (installed with stonesoup).
  bench N          stdout: {"detection_reports_per_s": ...} decoding the official
                   DetectionReport sample N times with SapientMessage.FromString.
"""

import json
import sys
import time

from google.protobuf import json_format
from sapient_msg.bsi_flex_335_v2_0 import sapient_message_pb2 as sm
from sapient_msg.bsi_flex_335_v2_0 import detection_report_pb2 as dr
from sapient_msg.bsi_flex_335_v2_0 import location_pb2 as loc
from sapient_msg.bsi_flex_335_v2_0 import range_bearing_pb2 as rb
from sapient_msg.bsi_flex_335_v2_0 import registration_pb2 as reg
from sapient_msg.bsi_flex_335_v2_0 import status_report_pb2 as st
from sapient_msg.bsi_flex_335_v2_0 import task_pb2 as task
from sapient_msg.bsi_flex_335_v2_0 import alert_pb2 as alert
from sapient_py.framing import HEADER_SIZE, decode_frame, encode_frame


def to_dict(msg):
    return json_format.MessageToDict(msg)


def frames_to_json():
    for line in sys.stdin:
        data = bytes.fromhex(line.strip())
        off = 0
        while off < len(data):
            length = int.from_bytes(data[off:off + HEADER_SIZE], "little")
            frame = data[off:off + HEADER_SIZE + length]
            msg = decode_frame(frame, sm.SapientMessage)
            print(json.dumps(to_dict(msg)))
            off += HEADER_SIZE + length


def envelope(node, seconds, nanos):
    m = sm.SapientMessage()
    m.timestamp.seconds = seconds
    m.timestamp.nanos = nanos
    m.node_id = node
    return m


def make_frames():
    node = "5b9a4a8e-0c31-4d1e-9a57-1f2e3d4c5b6a"
    out = []

    m = envelope(node, 1_795_000_000, 250_000_000)
    r = m.registration
    nd = r.node_definition.add()
    nd.node_type = reg.Registration.NODE_TYPE_RADAR
    nd.node_sub_type.append("Ku-band counter-UAS radar")
    r.icd_version = "BSI Flex 335 v2.0"
    r.name = "Referee radar"
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
    dd.location_type.range_bearing_units = rb.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M
    dd.location_type.range_bearing_datum = rb.RANGE_BEARING_DATUM_TRUE
    cd = dd.detection_class_definition.add()
    cls = cd.class_definition.add()
    cls.type = "Air Vehicle"
    sub = cls.sub_class.add()
    sub.type = "UAV"
    sub.level = 1
    dd.velocity_type.enu_velocity_units.east_north_rate_units = 1  # SPEED_UNITS_MS
    dd.velocity_type.location_datum = loc.LOCATION_DATUM_WGS84_E
    rd = mode.task.region_definition
    rd.region_type.append(reg.Registration.REGION_TYPE_AREA_OF_INTEREST)
    area = rd.region_area.add()
    area.location_units = loc.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    area.location_datum = loc.LOCATION_DATUM_WGS84_E
    cfg = r.config_data.add()
    cfg.manufacturer = "Referee"
    cfg.model = "R-1"
    out.append(m)

    m = envelope(node, 1_795_000_001, 0)
    s = m.status_report
    s.report_id = "01JDREFEREE0000000000000S1"
    s.system = st.StatusReport.SYSTEM_OK
    s.info = st.StatusReport.INFO_NEW
    s.mode = "Default"
    s.node_location.x = -1.8
    s.node_location.y = 51.2
    s.node_location.z = 120.0
    s.node_location.coordinate_system = loc.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    s.node_location.datum = loc.LOCATION_DATUM_WGS84_E
    s.power.source = st.StatusReport.POWERSOURCE_MAINS
    s.power.status = st.StatusReport.POWERSTATUS_OK
    out.append(m)

    m = envelope(node, 1_795_000_002, 500_000_000)
    d = m.detection_report
    d.report_id = "01JDREFEREE0000000000000D1"
    d.object_id = "01JDREFEREE00000000000OBJ1"
    d.range_bearing.range = 1500.0
    d.range_bearing.azimuth = 135.0
    d.range_bearing.elevation = 3.5
    d.range_bearing.range_error = 5.0
    d.range_bearing.azimuth_error = 0.5
    d.range_bearing.coordinate_system = rb.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M
    d.range_bearing.datum = rb.RANGE_BEARING_DATUM_TRUE
    d.detection_confidence = 0.875
    c = d.classification.add()
    c.type = "Air Vehicle"
    c.confidence = 0.75
    sc = c.sub_class.add()
    sc.type = "UAV"
    sc.confidence = 0.625
    sc.level = 1
    d.enu_velocity.east_rate = -10.0
    d.enu_velocity.north_rate = 10.0
    d.enu_velocity.up_rate = -0.5
    out.append(m)

    m = envelope(node, 1_795_000_003, 0)
    d = m.detection_report
    d.report_id = "01JDREFEREE0000000000000D2"
    d.object_id = "01JDREFEREE00000000000OBJ2"
    d.location.x = -1.79
    d.location.y = 51.21
    d.location.z = 180.0
    d.location.coordinate_system = loc.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
    d.location.datum = loc.LOCATION_DATUM_WGS84_E
    d.id = "G-ABCD"
    out.append(m)

    m = envelope(node, 1_795_000_004, 0)
    t = m.task
    t.task_id = "01JDREFEREE000000000000TK1"
    t.control = task.Task.CONTROL_START
    t.command.look_at.location_list.locations.add(
        x=-1.79, y=51.21, z=180.0,
        coordinate_system=loc.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M,
        datum=loc.LOCATION_DATUM_WGS84_E)
    out.append(m)

    m = envelope(node, 1_795_000_005, 0)
    a = m.alert
    a.alert_id = "01JDREFEREE000000000000AL1"
    a.alert_type = alert.Alert.ALERT_TYPE_WARNING
    a.status = alert.Alert.ALERT_STATUS_ACTIVE
    a.description = "UAV inbound"
    out.append(m)

    m = envelope(node, 1_795_000_006, 0)
    m.error.packet = b"\x00\x01\xff"
    m.error.error_message.append("bad frame")
    out.append(m)

    for msg in out:
        print(json.dumps({"frame": encode_frame(msg).hex(), "json": to_dict(msg)}))


def utm_to_latlon():
    import utm
    for line in sys.stdin:
        e, n, z, band = line.split()
        lat, lon = utm.to_latlon(float(e), float(n), int(z), band, strict=False)
        print(f"{float(lat)!r} {float(lon)!r}")


def bench(n):
    import pathlib
    import os
    shared = os.environ.get("PICKET_SHARED_DATA") or str(
        pathlib.Path(__file__).resolve().parents[3] / ".." / "shared" / "data")
    frame = (pathlib.Path(shared) / "sapient" / "dstl_testharness_Default.DetectionReport.frame.bin").read_bytes()
    payload = frame[HEADER_SIZE:]
    parse = sm.SapientMessage.FromString
    t0 = time.perf_counter()
    for _ in range(n):
        msg = parse(payload)
        if not msg.HasField("detection_report"):
            raise SystemExit("sample is not a detection report")
    dt = time.perf_counter() - t0
    print(json.dumps({"detection_reports_per_s": n / dt, "n": n}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "frames-to-json":
        frames_to_json()
    elif cmd == "make-frames":
        make_frames()
    elif cmd == "utm-to-latlon":
        utm_to_latlon()
    elif cmd == "bench":
        bench(int(sys.argv[2]))
    else:
        raise SystemExit(f"unknown command {cmd}")
