//! CAT-034: monoradar service messages (north marker, sector crossing, radar status,
//! position of the radar), EUROCONTROL ASTERIX Part 2b, edition 1.2x UAP.

use crate::reader::{be_uint, fspec, signed, Reader};
use crate::{AsterixError, DataSource};
use serde::Serialize;

/// I034/050 COM subfield: common part of the radar's configuration and status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ComStatus {
    /// NOGO: system inhibited (data not to be used).
    pub nogo: bool,
    /// RDPC: RDP chain 2 selected.
    pub rdpc: bool,
    /// RDPR: RDP reset event.
    pub rdpr: bool,
    /// OVL RDP: RDP overloaded.
    pub ovl_rdp: bool,
    /// OVL XMT: transmission subsystem overloaded.
    pub ovl_xmt: bool,
    /// MSC: monitoring system disconnected.
    pub msc: bool,
    /// TSV: time source invalid.
    pub tsv: bool,
}

/// I034/050 PSR or SSR subfield.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SensorStatus {
    /// ANT: antenna 2 selected.
    pub ant: bool,
    /// CH-A/B: 0 none, 1 channel A only, 2 channel B only, 3 diversity.
    pub ch_ab: u8,
    /// OVL: overload.
    pub ovl: bool,
    /// MSC: monitoring system disconnected.
    pub msc: bool,
}

/// I034/050 MDS (Mode S) subfield.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ModeSStatus {
    /// ANT: antenna 2 selected.
    pub ant: bool,
    /// CH-A/B: 0 none, 1 channel A only, 2 channel B only, 3 illegal combination.
    pub ch_ab: u8,
    /// OVL SUR: surveillance overload.
    pub ovl_sur: bool,
    /// MSC: monitoring system disconnected.
    pub msc: bool,
    /// SCF: channel A/B surveillance coordination function failed.
    pub scf: bool,
    /// DLF: channel A/B data link function failed.
    pub dlf: bool,
    /// OVL SCF: surveillance coordination function overload.
    pub ovl_scf: bool,
    /// OVL DLF: data link function overload.
    pub ovl_dlf: bool,
}

/// I034/050 system configuration and status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SystemStatus {
    /// Common part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub com: Option<ComStatus>,
    /// Primary radar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psr: Option<SensorStatus>,
    /// Secondary radar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssr: Option<SensorStatus>,
    /// Mode S.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mds: Option<ModeSStatus>,
}

/// I034/060 system processing mode, raw subfield octets (reduction steps, polarisation, STC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProcessingMode {
    /// COM: RED-RDP (bits 7–5) and RED-XMT (bits 4–2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub com: Option<u8>,
    /// PSR: POL, RED-RAD, STC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psr: Option<u8>,
    /// SSR: RED-RAD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssr: Option<u8>,
    /// MDS: RED-RAD, CLU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mds: Option<u8>,
}

/// I034/120 position of the radar.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SourcePosition {
    /// Height above the WGS-84 ellipsoid, metres.
    pub alt_hae_m: f64,
    /// Latitude, degrees (LSB 180/2^23).
    pub lat_deg: f64,
    /// Longitude, degrees (LSB 180/2^23).
    pub lon_deg: f64,
}

/// I034/100 generic polar window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PolarWindow {
    /// Start range, nautical miles.
    pub rho_start_nm: f64,
    /// End range, nautical miles.
    pub rho_end_nm: f64,
    /// Start azimuth, degrees.
    pub theta_start_deg: f64,
    /// End azimuth, degrees.
    pub theta_end_deg: f64,
}

/// I034/090 collimation error.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CollimationError {
    /// Range error, nautical miles (LSB 1/128 NM).
    pub range_error_nm: f64,
    /// Azimuth error, degrees (LSB 360/2^14).
    pub azimuth_error_deg: f64,
}

/// One message counter from I034/070.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MessageCount {
    /// Counter type (e.g. 1 = PSR-only plots, 2 = SSR-only plots, ...).
    pub typ: u8,
    /// Count over the last sector or scan.
    pub counter: u16,
}

/// One CAT-034 service message.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Cat034 {
    /// I034/010 data source identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_source: Option<DataSource>,
    /// I034/000 message type: 1 north marker, 2 sector crossing, 3 geographical filtering,
    /// 4 jamming strobe, 5 solar storm, 6 SSR jamming strobe, 7 Mode S jamming strobe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<u8>,
    /// I034/030 time of day, seconds since UTC midnight (LSB 1/128 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_of_day_s: Option<f64>,
    /// I034/020 sector number, as the azimuth of the sector's start, degrees (LSB 360/2^8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector_azimuth_deg: Option<f64>,
    /// I034/041 antenna rotation period, seconds (LSB 1/128 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub antenna_rotation_period_s: Option<f64>,
    /// I034/050 system configuration and status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_status: Option<SystemStatus>,
    /// I034/060 system processing mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_mode: Option<ProcessingMode>,
    /// I034/070 message count values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub message_counts: Vec<MessageCount>,
    /// I034/100 generic polar window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polar_window: Option<PolarWindow>,
    /// I034/110 data filter type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_filter: Option<u8>,
    /// I034/120 3D position of the radar (WGS-84).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<SourcePosition>,
    /// I034/090 collimation error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collimation_error: Option<CollimationError>,
    /// Items present but not decoded (RE, SP).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<&'static str>,
}

impl Cat034 {
    /// True for a north marker message (the antenna passed north).
    pub fn is_north_marker(&self) -> bool {
        self.message_type == Some(1)
    }
}

/// Number of data items in the CAT-034 UAP (FRN 1..=14).
const UAP_LEN: usize = 14;

/// Decodes one CAT-034 record from the reader; leaves it at the next record.
pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Cat034, AsterixError> {
    let present = fspec(r, UAP_LEN)?;
    let has = |frn: usize| present & (1 << (frn - 1)) != 0;
    let mut rec = Cat034::default();

    if has(1) {
        let b = r.array::<2>("I034/010")?;
        rec.data_source = Some(DataSource {
            sac: b[0],
            sic: b[1],
        });
    }
    if has(2) {
        rec.message_type = Some(r.u8("I034/000")?);
    }
    if has(3) {
        rec.time_of_day_s = Some(be_uint(r.take(3, "I034/030")?) as f64 / 128.0);
    }
    if has(4) {
        rec.sector_azimuth_deg = Some(f64::from(r.u8("I034/020")?) * 360.0 / 256.0);
    }
    if has(5) {
        let b = r.array::<2>("I034/041")?;
        rec.antenna_rotation_period_s = Some(f64::from(u16::from_be_bytes(b)) / 128.0);
    }
    if has(6) {
        rec.system_status = Some(system_status(r)?);
    }
    if has(7) {
        rec.processing_mode = Some(processing_mode(r)?);
    }
    if has(8) {
        let b = r.repetitive(2, "I034/070")?;
        rec.message_counts = b
            .chunks_exact(2)
            .map(|c| MessageCount {
                typ: c[0] >> 3,
                counter: u16::from_be_bytes([c[0], c[1]]) & 0x07FF,
            })
            .collect();
    }
    if has(9) {
        let b = r.array::<8>("I034/100")?;
        let u = |i: usize| f64::from(u16::from_be_bytes([b[i], b[i + 1]]));
        rec.polar_window = Some(PolarWindow {
            rho_start_nm: u(0) / 256.0,
            rho_end_nm: u(2) / 256.0,
            theta_start_deg: u(4) * 360.0 / 65536.0,
            theta_end_deg: u(6) * 360.0 / 65536.0,
        });
    }
    if has(10) {
        rec.data_filter = Some(r.u8("I034/110")?);
    }
    if has(11) {
        let b = r.array::<8>("I034/120")?;
        let deg = |s: &[u8]| signed(be_uint(s), 24) as f64 * 180.0 / 8_388_608.0;
        rec.position = Some(SourcePosition {
            alt_hae_m: f64::from(i16::from_be_bytes([b[0], b[1]])),
            lat_deg: deg(&b[2..5]),
            lon_deg: deg(&b[5..8]),
        });
    }
    if has(12) {
        let b = r.array::<2>("I034/090")?;
        rec.collimation_error = Some(CollimationError {
            range_error_nm: f64::from(b[0] as i8) / 128.0,
            azimuth_error_deg: f64::from(b[1] as i8) * 360.0 / 16384.0,
        });
    }
    if has(13) {
        r.explicit("I034/RE")?;
        rec.skipped.push("I034/RE");
    }
    if has(14) {
        r.explicit("I034/SP")?;
        rec.skipped.push("I034/SP");
    }
    Ok(rec)
}

fn system_status(r: &mut Reader<'_>) -> Result<SystemStatus, AsterixError> {
    const ITEM: &str = "I034/050";
    // Subfield positions: 0 COM, 1–2 spare, 3 PSR, 4 SSR, 5 MDS, 6 spare.
    let flags = r.compound_flags(7, &[1, 2, 6], ITEM)?;
    let mut s = SystemStatus::default();
    if flags & (1 << 0) != 0 {
        let o = r.u8(ITEM)?;
        s.com = Some(ComStatus {
            nogo: o & 0x80 != 0,
            rdpc: o & 0x40 != 0,
            rdpr: o & 0x20 != 0,
            ovl_rdp: o & 0x10 != 0,
            ovl_xmt: o & 0x08 != 0,
            msc: o & 0x04 != 0,
            tsv: o & 0x02 != 0,
        });
    }
    let sensor = |o: u8| SensorStatus {
        ant: o & 0x80 != 0,
        ch_ab: (o >> 5) & 0x03,
        ovl: o & 0x10 != 0,
        msc: o & 0x08 != 0,
    };
    if flags & (1 << 3) != 0 {
        s.psr = Some(sensor(r.u8(ITEM)?));
    }
    if flags & (1 << 4) != 0 {
        s.ssr = Some(sensor(r.u8(ITEM)?));
    }
    if flags & (1 << 5) != 0 {
        let b = r.array::<2>(ITEM)?;
        s.mds = Some(ModeSStatus {
            ant: b[0] & 0x80 != 0,
            ch_ab: (b[0] >> 5) & 0x03,
            ovl_sur: b[0] & 0x10 != 0,
            msc: b[0] & 0x08 != 0,
            scf: b[0] & 0x04 != 0,
            dlf: b[0] & 0x02 != 0,
            ovl_scf: b[0] & 0x01 != 0,
            ovl_dlf: b[1] & 0x80 != 0,
        });
    }
    Ok(s)
}

fn processing_mode(r: &mut Reader<'_>) -> Result<ProcessingMode, AsterixError> {
    const ITEM: &str = "I034/060";
    let flags = r.compound_flags(7, &[1, 2, 6], ITEM)?;
    let mut m = ProcessingMode::default();
    if flags & (1 << 0) != 0 {
        m.com = Some(r.u8(ITEM)?);
    }
    if flags & (1 << 3) != 0 {
        m.psr = Some(r.u8(ITEM)?);
    }
    if flags & (1 << 4) != 0 {
        m.ssr = Some(r.u8(ITEM)?);
    }
    if flags & (1 << 5) != 0 {
        m.mds = Some(r.u8(ITEM)?);
    }
    Ok(m)
}
