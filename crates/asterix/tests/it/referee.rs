//! Every record of the sample captures, item by item, against asterix-decoder.

use crate::{capture, capture_path, hex_upper, referee, CAT_034_048, CAT_062_065};
use picket_asterix::capture::udp_datagrams;
use picket_asterix::{records, Cat034, Cat048, Record, METRES_PER_NM};
use serde_json::Value;

fn close(ours: f64, theirs: &Value, tol: f64, what: &str) {
    let t = theirs
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: referee gave {theirs}"));
    assert!((ours - t).abs() <= tol, "{what}: ours {ours}, referee {t}");
}

fn flag(ours: bool, theirs: &Value, what: &str) {
    assert_eq!(u64::from(ours), theirs.as_u64().unwrap_or(99), "{what}");
}

fn int(ours: impl Into<i64>, theirs: &Value, what: &str) {
    assert_eq!(
        Some(ours.into()),
        theirs.as_i64(),
        "{what}: referee {theirs}"
    );
}

fn check_cat048(r: &Cat048, t: &Value, at: &str) {
    let ds = r.data_source.expect("I010");
    int(ds.sac, &t["I010"]["SAC"], at);
    int(ds.sic, &t["I010"]["SIC"], at);
    close(r.time_of_day_s.expect("I140"), &t["I140"]["ToD"], 0.0, at);
    let d = r.descriptor.expect("I020");
    let i020 = &t["I020"];
    int(d.typ, &i020["TYP"], at);
    flag(d.sim, &i020["SIM"], at);
    flag(d.rdp, &i020["RDP"], at);
    flag(d.spi, &i020["SPI"], at);
    flag(d.rab, &i020["RAB"], at);
    assert_eq!(
        d.tst.is_some(),
        i020.get("TST").is_some(),
        "{at}: I020 extension"
    );
    if let Some(tst) = d.tst {
        flag(tst, &i020["TST"], at);
    }
    assert_eq!(r.polar.is_some(), t.get("I040").is_some(), "{at}: I040");
    if let Some(p) = r.polar {
        close(p.rho_nm, &t["I040"]["RHO"], 1e-12, at);
        close(p.theta_deg, &t["I040"]["THETA"], 1e-9, at);
    }
    assert_eq!(r.mode_3a.is_some(), t.get("I070").is_some(), "{at}: I070");
    if let Some(m) = r.mode_3a {
        assert_eq!(
            Some(m.octal().as_str()),
            t["I070"]["Mode3A"].as_str(),
            "{at}"
        );
        flag(m.not_validated, &t["I070"]["V"], at);
        flag(m.garbled, &t["I070"]["G"], at);
        flag(m.smoothed, &t["I070"]["L"], at);
    }
    assert_eq!(
        r.flight_level.is_some(),
        t.get("I090").is_some(),
        "{at}: I090"
    );
    if let Some(f) = r.flight_level {
        close(f.fl, &t["I090"]["FL"], 0.0, at);
        flag(f.not_validated, &t["I090"]["V"], at);
        flag(f.garbled, &t["I090"]["G"], at);
    }
    assert_eq!(r.plot.is_some(), t.get("I130").is_some(), "{at}: I130");
    if let Some(p) = r.plot {
        let s = &t["I130"];
        let pairs: [(&str, &str, Option<f64>); 7] = [
            ("SRLP", "SRL", p.srl_deg),
            ("SRRP", "SRR", p.srr.map(f64::from)),
            ("SAMP", "SAM", p.sam_dbm.map(f64::from)),
            ("PRLP", "PRL", p.prl_deg),
            ("PAMP", "PAM", p.pam_dbm.map(f64::from)),
            ("RPDP", "RPD", p.rpd_nm),
            ("APDP", "APD", p.apd_deg),
        ];
        for (sub, field, ours) in pairs {
            assert_eq!(ours.is_some(), s.get(sub).is_some(), "{at}: I130 {sub}");
            if let Some(v) = ours {
                close(v, &s[sub][field], 1e-12, at);
            }
        }
    }
    assert_eq!(
        r.aircraft_address.map(|a| format!("{a:06X}")).as_deref(),
        t["I220"]["ACAddr"].as_str(),
        "{at}: I220"
    );
    assert_eq!(
        r.aircraft_id.as_deref(),
        t["I240"]["TId"]
            .as_str()
            .map(str::trim_end)
            .filter(|s| !s.is_empty()),
        "{at}: I240"
    );
    let mb = t["I250"].as_array().map(Vec::as_slice).unwrap_or_default();
    assert_eq!(r.mode_s_mb.len(), mb.len(), "{at}: I250 count");
    for (ours, theirs) in r.mode_s_mb.iter().zip(mb) {
        assert_eq!(
            Some(format!("{:X}{:X}", ours.bds1, ours.bds2).as_str()),
            theirs["BDS"].as_str(),
            "{at}: I250 BDS"
        );
    }
    int(r.track_number.expect("I161"), &t["I161"]["Tn"], at);
    assert_eq!(r.cartesian.is_some(), t.get("I042").is_some(), "{at}: I042");
    if let Some(c) = r.cartesian {
        close(c.x_nm, &t["I042"]["X"], 1e-12, at);
        close(c.y_nm, &t["I042"]["Y"], 1e-12, at);
    }
    assert_eq!(r.velocity.is_some(), t.get("I200").is_some(), "{at}: I200");
    if let Some(v) = r.velocity {
        let knots = v.ground_speed_mps * 3600.0 / METRES_PER_NM;
        close(knots, &t["I200"]["CGS"], 1e-9, at);
        close(v.heading_deg, &t["I200"]["CHdg"], 1e-9, at);
    }
    let s = r.track_status.expect("I170");
    let i170 = &t["I170"];
    flag(s.tentative, &i170["CNF"], at);
    int(s.rad, &i170["RAD"], at);
    flag(s.doubtful, &i170["DOU"], at);
    flag(s.manoeuvre, &i170["MAH"], at);
    int(s.cdm, &i170["CDM"], at);
    assert_eq!(
        s.end_of_track.is_some(),
        i170.get("TRE").is_some(),
        "{at}: I170 ext"
    );
    if let (Some(tre), Some(gho), Some(sup), Some(tcc)) = (s.end_of_track, s.ghost, s.sup, s.tcc) {
        flag(tre, &i170["TRE"], at);
        flag(gho, &i170["GHO"], at);
        flag(sup, &i170["SUP"], at);
        flag(tcc, &i170["TCC"], at);
    }
    assert_eq!(
        r.height_3d_ft.is_some(),
        t.get("I110").is_some(),
        "{at}: I110"
    );
    if let Some(h) = r.height_3d_ft {
        close(h, &t["I110"]["3D_Height"], 0.0, at);
    }
    assert_eq!(r.comms.is_some(), t.get("I230").is_some(), "{at}: I230");
    if let Some(c) = r.comms {
        let i = &t["I230"];
        int(c.com, &i["COM"], at);
        int(c.stat, &i["STAT"], at);
        flag(c.si, &i["SI"], at);
        flag(c.mssc, &i["ModeSSSC"], at);
        flag(c.arc, &i["ARC"], at);
        flag(c.aic, &i["AIC"], at);
        flag(c.b1a, &i["BDS16"], at);
        int(c.b1b, &i["BDS37"], at);
    }
    // No item the referee saw is missing from ours.
    for key in t.as_object().unwrap().keys().filter(|k| k.starts_with('I')) {
        let known = [
            "I010", "I140", "I020", "I040", "I070", "I090", "I130", "I220", "I240", "I250", "I161",
            "I042", "I200", "I170", "I110", "I230",
        ];
        assert!(
            known.contains(&key.as_str()),
            "{at}: referee item {key} not compared"
        );
    }
}

fn check_cat034(r: &Cat034, t: &Value, at: &str) {
    let ds = r.data_source.expect("I010");
    int(ds.sac, &t["I010"]["SAC"], at);
    int(ds.sic, &t["I010"]["SIC"], at);
    int(r.message_type.expect("I000"), &t["I000"]["MsgTyp"], at);
    close(r.time_of_day_s.expect("I030"), &t["I030"]["ToD"], 0.0, at);
    assert_eq!(
        r.sector_azimuth_deg.is_some(),
        t.get("I020").is_some(),
        "{at}: I020"
    );
    if let Some(a) = r.sector_azimuth_deg {
        close(a, &t["I020"]["Azi"], 1e-12, at);
    }
    assert_eq!(
        r.antenna_rotation_period_s.is_some(),
        t.get("I041").is_some(),
        "{at}: I041"
    );
    if let Some(p) = r.antenna_rotation_period_s {
        close(p, &t["I041"]["RotS"], 0.0, at);
    }
    assert_eq!(
        r.system_status.is_some(),
        t.get("I050").is_some(),
        "{at}: I050"
    );
    if let Some(s) = r.system_status {
        let i = &t["I050"];
        assert_eq!(s.com.is_some(), i.get("COM").is_some(), "{at}: I050 COM");
        if let Some(c) = s.com {
            let ic = &i["COM"];
            flag(c.nogo, &ic["NOGO"], at);
            flag(c.rdpc, &ic["RDPC"], at);
            flag(c.rdpr, &ic["RDPR"], at);
            flag(c.ovl_rdp, &ic["OVLRDP"], at);
            flag(c.ovl_xmt, &ic["OVLXMT"], at);
            flag(c.msc, &ic["MSC"], at);
            flag(c.tsv, &ic["TSV"], at);
        }
        for (ours, key, pre) in [(s.psr, "PSR", "PSR"), (s.ssr, "SSR", "SSR")] {
            assert_eq!(ours.is_some(), i.get(key).is_some(), "{at}: I050 {key}");
            if let Some(p) = ours {
                flag(p.ant, &i[key][format!("{pre}ANT")], at);
                int(p.ch_ab, &i[key][format!("{pre}CHAB")], at);
                flag(p.ovl, &i[key][format!("{pre}OVL")], at);
                flag(p.msc, &i[key][format!("{pre}MSC")], at);
            }
        }
        assert_eq!(s.mds.is_some(), i.get("MDS").is_some(), "{at}: I050 MDS");
        if let Some(m) = s.mds {
            let im = &i["MDS"];
            flag(m.ant, &im["MDSANT"], at);
            int(m.ch_ab, &im["MDSCHAB"], at);
            flag(m.ovl_sur, &im["MDSOVLSUR"], at);
            flag(m.msc, &im["MDSMSC"], at);
            flag(m.scf, &im["MDSSCF"], at);
            flag(m.dlf, &im["MDSDLF"], at);
            flag(m.ovl_scf, &im["MDSOVLSCF"], at);
            flag(m.ovl_dlf, &im["MDSOVLDLF"], at);
        }
    }
    assert_eq!(
        r.processing_mode.is_some(),
        t.get("I060").is_some(),
        "{at}: I060"
    );
    if let Some(m) = r.processing_mode {
        let i = &t["I060"];
        assert_eq!(m.com.is_some(), i.get("COM").is_some(), "{at}: I060 COM");
        if let Some(c) = m.com {
            int((c >> 5) & 7, &i["COM"]["REDRDP"], at);
            int((c >> 2) & 7, &i["COM"]["REDXMT"], at);
        }
        assert_eq!(m.mds.is_some(), i.get("MDS").is_some(), "{at}: I060 MDS");
        if let Some(d) = m.mds {
            int(d >> 5, &i["MDS"]["MDSREDRAD"], at);
            int((d >> 4) & 1, &i["MDS"]["CLU"], at);
        }
    }
    assert_eq!(r.position.is_some(), t.get("I120").is_some(), "{at}: I120");
    if let Some(p) = r.position {
        close(p.alt_hae_m, &t["I120"]["Height"], 0.0, at);
        // The referee rounds the LSB (180/2^23) to 0.00002145767, i.e. 1e-7 relative: agree
        // within 1e-5°, and ours is an exact multiple of the true LSB.
        close(p.lat_deg, &t["I120"]["LAT"], 1e-5, at);
        close(p.lon_deg, &t["I120"]["Lon"], 1e-5, at);
        let lsb = 180.0 / 8_388_608.0;
        assert_eq!((p.lat_deg / lsb).fract(), 0.0, "{at}");
        assert_eq!((p.lon_deg / lsb).fract(), 0.0, "{at}");
    }
    for key in t.as_object().unwrap().keys().filter(|k| k.starts_with('I')) {
        let known = [
            "I000", "I010", "I020", "I030", "I041", "I050", "I060", "I120",
        ];
        assert!(
            known.contains(&key.as_str()),
            "{at}: referee item {key} not compared"
        );
    }
}

#[test]
fn every_record_of_the_cat034_cat048_capture_matches_asterix_decoder() {
    let path = capture_path(CAT_034_048);
    let theirs = referee(&["pcap", path.to_str().unwrap()]);
    let file = capture(CAT_034_048);
    let ours: Vec<_> = udp_datagrams(&file).unwrap().map(Result::unwrap).collect();
    assert_eq!(ours.len(), theirs.len(), "UDP datagrams");
    let (mut n048, mut n034) = (0, 0);
    for (d, line) in ours.iter().zip(&theirs) {
        let t: Value = serde_json::from_str(line).unwrap();
        assert_eq!(Some(d.index as u64), t["packet"].as_u64());
        assert_eq!(
            Some(crate::hex_upper(d.payload).to_lowercase().as_str()),
            t["payload"].as_str()
        );
        let recs: Vec<_> = records(d.payload).map(|r| r.unwrap()).collect();
        let trecs = t["records"].as_array().unwrap();
        assert_eq!(recs.len(), trecs.len(), "packet {}: record count", d.index);
        for (k, (r, tr)) in recs.iter().zip(trecs).enumerate() {
            let at = format!("packet {} record {k}", d.index);
            assert_eq!(
                Some(u64::from(r.record.category())),
                tr["category"].as_u64(),
                "{at}"
            );
            assert_eq!(
                Some(hex_upper(r.bytes).as_str()),
                tr["hexdata"].as_str(),
                "{at}: bytes"
            );
            match &r.record {
                Record::Cat048(c) => {
                    n048 += 1;
                    check_cat048(c, tr, &at)
                }
                Record::Cat034(c) => {
                    n034 += 1;
                    check_cat034(c, tr, &at)
                }
                Record::Unsupported { category } => panic!("{at}: unsupported CAT {category}"),
            }
        }
    }
    // The README's counts: 128 CAT-048 and 34 CAT-034 records.
    assert_eq!((n048, n034), (128, 34));
}

#[test]
fn other_categories_are_reported_as_unsupported_blocks_with_the_referee_block_lengths() {
    let path = capture_path(CAT_062_065);
    let theirs = referee(&["pcap", path.to_str().unwrap()]);
    let file = capture(CAT_062_065);
    let ours: Vec<_> = udp_datagrams(&file).unwrap().map(Result::unwrap).collect();
    assert_eq!(ours.len(), 1);
    let t: Value = serde_json::from_str(&theirs[0]).unwrap();
    let their_cats: std::collections::BTreeSet<u64> = t["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_u64().unwrap())
        .collect();
    let recs: Vec<_> = records(ours[0].payload).map(|r| r.unwrap()).collect();
    let our_cats: std::collections::BTreeSet<u64> = recs
        .iter()
        .map(|r| u64::from(r.record.category()))
        .collect();
    assert_eq!(our_cats, their_cats);
    assert!(recs
        .iter()
        .all(|r| matches!(r.record, Record::Unsupported { .. })));
    let total: usize = recs.iter().map(|r| r.bytes.len()).sum();
    assert_eq!(total, ours[0].payload.len(), "blocks tile the datagram");
}
