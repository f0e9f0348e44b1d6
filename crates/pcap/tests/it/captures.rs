use crate::capture;
use picket_pcap::ble::{self, CrcStatus, Phy};
use picket_pcap::dot11::{self, nan, subtype};
use picket_pcap::{packets, radiotap, CaptureFormat, LinkType, Packet};

fn all(bytes: &[u8]) -> Vec<Packet<'_>> {
    packets(bytes)
        .expect("a capture")
        .collect::<Result<_, _>>()
        .expect("every block reads")
}

fn span_s(p: &[Packet<'_>]) -> f64 {
    let first = p.first().and_then(|p| p.timestamp_ns).unwrap();
    let last = p.last().and_then(|p| p.timestamp_ns).unwrap();
    (last - first) as f64 / 1e9
}

#[test]
fn every_capture_reads_to_its_end_with_the_readme_frame_counts_and_durations() {
    let cases = [
        (
            "odid_wifi_bcn_sample.pcap",
            CaptureFormat::Pcap,
            LinkType::RADIOTAP,
            21,
            14.8,
        ),
        (
            "odid_wifi_sample.pcap",
            CaptureFormat::Pcap,
            LinkType::RADIOTAP,
            63,
            14.8,
        ),
        (
            "odid_bt5_lr_sample.pcapng",
            CaptureFormat::PcapNg,
            LinkType::NORDIC_BLE,
            274,
            17.6,
        ),
        (
            "parrot_anafi4_real.pcapng",
            CaptureFormat::PcapNg,
            LinkType::RADIOTAP,
            5091,
            122.7,
        ),
        (
            "parrot_anafi4_spoofed.pcapng",
            CaptureFormat::PcapNg,
            LinkType::RADIOTAP,
            1606,
            52.0,
        ),
        (
            "dji_air3.pcapng",
            CaptureFormat::PcapNg,
            LinkType::RADIOTAP,
            12,
            10.6,
        ),
    ];
    for (name, format, link, count, duration_s) in cases {
        let bytes = capture(name);
        assert_eq!(packets(&bytes).unwrap().format(), format, "{name}");
        let p = all(&bytes);
        assert_eq!(p.len(), count, "{name}: frames");
        assert!(p.iter().all(|p| p.link_type == link), "{name}: link type");
        assert_eq!(p.last().unwrap().number, count as u64);
        assert!(
            (span_s(&p) - duration_s).abs() < 0.1,
            "{name}: {} s",
            span_s(&p)
        );
    }
}

#[test]
fn pcap_time_is_microseconds_and_pcapng_nanosecond_resolution_is_honoured() {
    let bytes = capture("odid_wifi_bcn_sample.pcap");
    let p = all(&bytes);
    // 2021-05-21 (README), microsecond pcap.
    assert_eq!(p[0].timestamp_ns, Some(1_621_633_931_161_999_000));
    let bytes = capture("dji_air3.pcapng");
    let p = all(&bytes);
    // if_tsresol = 9: nanoseconds; 2024-10-07T13:22:54Z.
    assert_eq!(p[0].timestamp_ns, Some(1_728_307_374_047_936_698));
}

#[test]
fn bt5_capture_has_30_crc_failed_frames_on_the_coded_phy() {
    let bytes = capture("odid_bt5_lr_sample.pcapng");
    let mut crc_failed = 0;
    let mut channels = std::collections::BTreeSet::new();
    let (mut min_rssi, mut max_rssi) = (i16::MAX, i16::MIN);
    for p in all(&bytes) {
        let (h, ll) = ble::parse_nordic(p.data).expect("Nordic header");
        assert_eq!(h.protocol_version, 3);
        assert_eq!(h.radio.phy, Phy::LeCoded);
        assert_eq!(ll.access_address, ble::ADVERTISING_ACCESS_ADDRESS);
        assert_eq!(ll.coding_indicator, Some(0), "S=8 coding");
        if h.radio.crc == CrcStatus::Failed {
            crc_failed += 1;
            // The flag is bit 0 of byte 8 of the record, as the README says.
            assert_eq!(p.data[8] & 1, 0);
            continue;
        }
        let adv = ble::parse_adv_pdu(ll.pdu).expect("advertising PDU");
        assert_eq!(adv.pdu_type, ble::pdu_type::ADV_EXT, "AUX_ADV_IND");
        assert_eq!(adv.advertiser.unwrap().to_string(), "e0:7d:ea:eb:2f:1c");
        channels.insert(h.radio.channel);
        let rssi = h.radio.rssi_dbm.unwrap();
        min_rssi = min_rssi.min(rssi);
        max_rssi = max_rssi.max(rssi);
    }
    assert_eq!(crc_failed, 30);
    assert_eq!(channels.len(), 37, "all 37 data channels: {channels:?}");
    assert!(channels.iter().all(|&c| c < 37));
    assert_eq!((min_rssi, max_rssi), (-62, -52));
}

fn mgmt<'a>(p: &Packet<'a>) -> Option<(radiotap::Radiotap, dot11::MgmtFrame<'a>)> {
    let (rt, frame) = radiotap::parse(p.data).ok()?;
    Some((rt, dot11::parse_mgmt(frame).ok()?))
}

fn has_vendor(m: &dot11::MgmtFrame<'_>, oui: [u8; 3], vtype: u8) -> bool {
    m.elements().is_some_and(|mut e| {
        e.any(|e| {
            e.ok()
                .and_then(|e| e.vendor())
                .is_some_and(|(o, rest)| o == oui && rest.first() == Some(&vtype))
        })
    })
}

#[test]
fn parrot_capture_has_1140_odid_beacons_from_the_anafi_with_good_fcs() {
    let bytes = capture("parrot_anafi4_real.pcapng");
    let mut odid = 0;
    let mut other_beacons = 0;
    let mut other_frames = 0;
    for p in all(&bytes) {
        let (rt, frame) = radiotap::parse(p.data).expect("radiotap");
        assert!(rt.fcs_present() && !rt.bad_fcs(), "frame {}", p.number);
        let Ok(m) = dot11::parse_mgmt(frame) else {
            other_frames += 1;
            continue;
        };
        if m.subtype != subtype::BEACON {
            other_frames += 1;
            continue;
        }
        if has_vendor(&m, [0xFA, 0x0B, 0xBC], 0x0D) {
            odid += 1;
            assert_eq!(m.transmitter.to_string(), "90:3a:e6:5b:c8:a8");
            assert_eq!(m.ssid(), Some(&b"AnafiThermal-A004418"[..]));
            assert!(rt.antenna_signal_dbm.is_some() && rt.channel_freq_mhz.is_some());
        } else {
            other_beacons += 1;
        }
    }
    assert_eq!(odid, 1140);
    // The README's "about 3950 other beacons" are the other 3951 frames: 3512 beacons of
    // nearby access points, 438 data frames and one probe request (counted independently
    // with a throwaway Python parser).
    assert_eq!((other_beacons, other_frames), (3512, 439));
}

#[test]
fn wifi_sample_has_21_nan_sync_beacons_21_service_discovery_frames_and_21_odid_beacons() {
    let bytes = capture("odid_wifi_sample.pcap");
    let (mut sync, mut sdf, mut odid) = (0, 0, 0);
    for p in all(&bytes) {
        let (_, m) = mgmt(&p).expect("management frame");
        if has_vendor(&m, nan::WFA_OUI, nan::NAN_OUI_TYPE) {
            sync += 1;
        } else if has_vendor(&m, [0xFA, 0x0B, 0xBC], 0x0D) {
            odid += 1;
        } else if let Some((cat, rest)) = m.action() {
            let attrs = nan::service_discovery_attributes(cat, rest).expect("NAN SDF");
            let sd = attrs
                .filter(|a| a.id == nan::SERVICE_DESCRIPTOR)
                .find_map(|a| nan::service_descriptor(a.data))
                .expect("service descriptor");
            assert_eq!(sd.service_id, [0x88, 0x69, 0x19, 0x9D, 0x92, 0x09]);
            assert!(sd.service_info.is_some());
            sdf += 1;
        }
    }
    assert_eq!((sync, sdf, odid), (21, 21, 21));
}

#[test]
fn dji_capture_has_9_astm_beacons_and_3_probe_requests() {
    let bytes = capture("dji_air3.pcapng");
    let (mut beacons, mut probes) = (0, 0);
    for p in all(&bytes) {
        let (rt, m) = mgmt(&p).expect("management frame");
        assert!(rt.fcs_present(), "the FCS is captured and cut off");
        match m.subtype {
            subtype::BEACON => {
                assert_eq!(m.transmitter.to_string(), "60:60:1f:71:93:3b");
                assert_eq!(m.ssid(), Some(&b"RID-1581F6N8A23B2ML3Y3KR"[..]));
                assert!(has_vendor(&m, [0xFA, 0x0B, 0xBC], 0x0D));
                beacons += 1;
            }
            subtype::PROBE_REQUEST => probes += 1,
            s => panic!("unexpected subtype {s}"),
        }
    }
    assert_eq!((beacons, probes), (9, 3));
}
