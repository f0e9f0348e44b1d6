//! The Naco scenario: layout, traffic, sensor models and ground truth.

use crate::motion::{Circler, Pursuer, State, Striker, Wanderer, DT_S};
use picket_core::{
    ClassHint, Enu, GeoPoint, Identity, Input, LocalFrame, Measurement, Observation, ProtectedUnit,
    SensorId, SideFacts, TargetClass, Timestamp, UnitGeometry, UnitId, UnitKind, UnitPosition,
    Zone, ZoneGeometry, ZoneKind,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};
use std::time::Duration;

/// Ground height of the (flat) scenario terrain, metres above the ellipsoid.
const GROUND_HAE_M: f64 = 1_400.0;
/// Scenario length, seconds.
const DURATION_S: f64 = 300.0;

/// One line a scenario sensor sends, at the time it sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedLine {
    /// When the line is sent (data time).
    pub time: Timestamp,
    /// Which sensor sends it.
    pub sensor_id: SensorId,
    /// The line, in the sensor's wire format (no newline).
    pub line: String,
}

/// One binary frame a scenario sensor sends, at the time it is received.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedFrame {
    /// When it is received (data time).
    pub time: Timestamp,
    /// Which sensor receives it.
    pub sensor_id: SensorId,
    /// The frame in the sensor's wire format (`adsb-1`: Beast binary, as on TCP port 30005).
    pub bytes: Vec<u8>,
}

/// A sensor of the scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct SimSensor {
    /// Id (as a site config would name it).
    pub id: SensorId,
    /// `radar`, `remote_id`, `adsb` or `friendly` (unit position reports).
    pub kind: &'static str,
    /// Where it stands (`None` for the friendly position feed).
    pub position: Option<GeoPoint>,
}

/// What a ground-truth object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TruthKind {
    /// A drone sending no Remote ID.
    DarkDrone,
    /// A drone sending Remote ID.
    CooperativeDrone,
    /// A bird.
    Bird,
    /// A crewed aircraft with ADS-B.
    MannedAircraft,
}

/// Where a truth object was at one time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TruthSample {
    /// When.
    pub time: Timestamp,
    /// Where, local ENU.
    pub position_enu: Enu,
    /// Velocity, ENU m/s.
    pub velocity_enu_mps: [f64; 3],
}

/// One ground-truth object with its whole trajectory and what Picket should do about it.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthObject {
    /// Name (`dark-striker`, `rid-chaser`, `hobby`, `bird-1`, …, `helicopter`, `rid-spoofer`).
    pub name: String,
    /// What it is.
    pub kind: TruthKind,
    /// The unit it must be alerted for, or `None` when it must raise no alert at all.
    pub expect_alert_for: Option<UnitId>,
    /// Samples every 0.1 s while it exists.
    pub samples: Vec<TruthSample>,
}

impl TruthObject {
    /// The sample nearest to `t`, if the object exists then (±0.1 s).
    pub fn at(&self, t: Timestamp) -> Option<&TruthSample> {
        let first = self.samples.first()?;
        let i = (t.seconds_since(first.time) / DT_S).round();
        if i < 0.0 || i as usize >= self.samples.len() {
            return None;
        }
        Some(&self.samples[i as usize])
    }
    /// Time and horizontal distance of the closest approach to a point.
    pub fn closest_approach_to(&self, p: &Enu) -> Option<(Timestamp, f64)> {
        self.samples
            .iter()
            .map(|s| (s.time, s.position_enu.horizontal_distance_m(p)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// The whole built-in scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Site name.
    pub name: String,
    /// Local frame (origin of the site).
    pub frame: LocalFrame,
    /// Data time of the first line.
    pub start: Timestamp,
    /// Data time after the last line.
    pub end: Timestamp,
    /// The sector all units belong to.
    pub sector: String,
    /// Protected units.
    pub units: Vec<ProtectedUnit>,
    /// Zones (the border).
    pub zones: Vec<Zone>,
    /// Sensors.
    pub sensors: Vec<SimSensor>,
    /// Everything the sensors send, in time order, in the JSON-lines observation format.
    pub feed: Vec<FeedLine>,
    /// The ADS-B receiver's output as real Beast frames (Mode S DF17), in time order. It
    /// carries the same reports as `adsb-1`'s lines in `feed`; a consumer uses one or the other.
    pub beast: Vec<FeedFrame>,
    /// The Remote ID receivers' captures as real frames: radiotap + 802.11 beacons carrying
    /// the ASTM F3411 vendor element with a Message Pack (Basic ID, Location, System). The
    /// same broadcasts as the receivers' lines in `feed`. The `rid-spoofer` drone broadcasts a
    /// false position (hovering 25 km inside Mexico); its truth is where it really flies.
    pub remote_id: Vec<FeedFrame>,
    /// Ground truth of every object.
    pub truth: Vec<TruthObject>,
    /// Ground truth of each moving unit.
    pub unit_truth: Vec<(UnitId, Vec<TruthSample>)>,
}

impl Scenario {
    /// Position of a fixed unit, or the truth position of a moving unit at `t`.
    pub fn unit_position_enu(&self, unit: &UnitId, t: Timestamp) -> Option<Enu> {
        let u = self.units.iter().find(|u| &u.id == unit)?;
        if let Some(p) = u.fixed_position_enu(&self.frame) {
            return Some(p);
        }
        let (_, samples) = self.unit_truth.iter().find(|(id, _)| id == unit)?;
        let first = samples.first()?;
        let i = (t.seconds_since(first.time) / DT_S).round().max(0.0) as usize;
        samples
            .get(i.min(samples.len() - 1))
            .map(|s| s.position_enu)
    }
}

fn ground(frame: &LocalFrame, lat: f64, lon: f64, agl_m: f64) -> (GeoPoint, Enu) {
    let g = GeoPoint::new(lat, lon, GROUND_HAE_M + agl_m);
    (g, frame.to_enu(&g))
}

struct Sensors {
    radar: GeoPoint,
    rid: Vec<(SensorId, GeoPoint)>,
    adsb: GeoPoint,
}

/// Everything the sensors can see of one object at one step.
struct Visible<'a> {
    kind: TruthKind,
    state: State,
    remote_id: Option<&'a str>,
    operator: Option<Enu>,
    icao: Option<u32>,
    callsign: Option<&'a str>,
    /// The position its Remote ID claims instead of the true one (a spoofer).
    claimed: Option<GeoPoint>,
    /// Its sensor noise comes from its own random stream, so adding it to the scenario left
    /// every other object's noise as it was.
    own_noise: bool,
}

/// Build the Naco scenario starting at `start`, with all randomness from `seed`.
pub fn naco(start: Timestamp, seed: u64) -> Scenario {
    let origin = GeoPoint::new(31.345, -109.948, GROUND_HAE_M);
    let frame = LocalFrame::new(origin);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sector = "naco".to_string();

    let (alpha_geo, alpha) = ground(&frame, 31.3405, -109.9610, 0.0);
    let (bravo_geo, bravo) = ground(&frame, 31.3462, -109.9280, 0.0);
    let units = vec![
        ProtectedUnit {
            id: UnitId("post-alpha".into()),
            name: "Post Alpha".into(),
            sector: sector.clone(),
            callsign: Some("ALPHA".into()),
            kind: UnitKind::Fixed {
                geometry: UnitGeometry::Circle {
                    center: alpha_geo,
                    radius_m: 300.0,
                },
            },
        },
        ProtectedUnit {
            id: UnitId("post-bravo".into()),
            name: "Post Bravo".into(),
            sector: sector.clone(),
            callsign: Some("BRAVO".into()),
            kind: UnitKind::Fixed {
                geometry: UnitGeometry::Circle {
                    center: bravo_geo,
                    radius_m: 300.0,
                },
            },
        },
        ProtectedUnit {
            id: UnitId("patrol-7".into()),
            name: "Patrol 7".into(),
            sector: sector.clone(),
            callsign: Some("PATROL7".into()),
            kind: UnitKind::Moving {
                radius_m: 400.0,
                stale_after: Duration::from_secs(30),
            },
        },
    ];
    let border_points: Vec<GeoPoint> = crate::border_lon_lat()
        .into_iter()
        .map(|[lon, lat]| GeoPoint::new(lat, lon, GROUND_HAE_M))
        .collect();
    let zones = vec![Zone {
        id: "border".into(),
        name: "US–Mexico border".into(),
        kind: ZoneKind::Border,
        geometry: ZoneGeometry::Line {
            points: border_points,
        },
        home_side: Some(GeoPoint::new(31.40, -109.95, GROUND_HAE_M)),
    }];

    let sensors = Sensors {
        radar: GeoPoint::new(31.3480, -109.9480, GROUND_HAE_M + 10.0),
        rid: vec![
            (
                SensorId("rid-west".into()),
                GeoPoint::new(31.3440, -109.9700, GROUND_HAE_M + 5.0),
            ),
            (
                SensorId("rid-east".into()),
                GeoPoint::new(31.3450, -109.9250, GROUND_HAE_M + 5.0),
            ),
        ],
        adsb: GeoPoint::new(31.3500, -109.9450, GROUND_HAE_M + 8.0),
    };
    let mut sim_sensors = vec![SimSensor {
        id: SensorId("radar-1".into()),
        kind: "radar",
        position: Some(sensors.radar),
    }];
    for (id, p) in &sensors.rid {
        sim_sensors.push(SimSensor {
            id: id.clone(),
            kind: "remote_id",
            position: Some(*p),
        });
    }
    sim_sensors.push(SimSensor {
        id: SensorId("adsb-1".into()),
        kind: "adsb",
        position: Some(sensors.adsb),
    });
    sim_sensors.push(SimSensor {
        id: SensorId("blue-force".into()),
        kind: "friendly",
        position: None,
    });

    // --- Traffic (ENU metres about the origin; the border runs near north = -1990 m). ---
    let e = |east: f64, north: f64, agl: f64| {
        Enu::new(east, north, agl + (GROUND_HAE_M - origin.alt_hae_m))
    };
    // The patrol drives east along a track road 2.2 km north of the border at 7 m/s.
    let mut patrol = State {
        pos: e(-1_400.0, 250.0, 1.5),
        vel: [7.0, 0.0, 0.0],
    };
    // Dark strike drone: launched 1.8 km inside Mexico, cruises at 100 m, dives onto Post Alpha.
    let striker = Striker {
        target: Enu::new(alpha.east_m, alpha.north_m, alpha.up_m + 1.5),
        cruise_up_m: alpha.up_m + 100.0,
        cruise_speed_mps: 20.0,
        dive_speed_mps: 25.0,
        dive_start_m: 100.0,
    };
    let mut striker_state = State {
        pos: e(-1_700.0, -3_800.0, 100.0),
        vel: [0.0, 20.0, 0.0],
    };
    let striker_launch_s = 15.0;
    // Remote ID drone whose pilot stands in Mexico; it chases Patrol 7.
    let operator = e(-600.0, -2_500.0, 1.5);
    let pursuer = Pursuer {
        climb_to_up_m: operator.up_m + 60.0,
        speed_mps: 18.0,
        orbit_radius_m: 60.0,
    };
    let mut chaser = State {
        pos: operator,
        vel: [0.0; 3],
    };
    let chaser_launch_s = 20.0;
    // Lawful hobby flight ~2.3 km north-east of Post Bravo, pilot at the circle's centre.
    let hobby = Circler {
        center: e(3_200.0, 2_000.0, 50.0),
        radius_m: 150.0,
        speed_mps: 10.0,
    };
    let hobby_pilot = e(3_200.0, 2_000.0, 1.5);
    // A flock loitering 750 m north-east of Post Bravo.
    let flock = Wanderer {
        center: e(2_400.0, 700.0, 0.0),
        radius_m: 250.0,
        min_up_m: 30.0,
        max_up_m: 90.0,
    };
    let mut birds: Vec<State> = (0..6)
        .map(|i| {
            let a = i as f64 * 1.047;
            let h: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            State {
                pos: e(
                    2_400.0 + 150.0 * a.cos(),
                    700.0 + 150.0 * a.sin(),
                    40.0 + 8.0 * i as f64,
                ),
                vel: [10.0 * h.sin(), 10.0 * h.cos(), 0.0],
            }
        })
        .collect();
    // Agency helicopter with ADS-B passing over the station, 150 m up, 55 m/s, westbound.
    let heli_from = e(4_500.0, 600.0, 150.0);
    let heli_to = e(-4_500.0, -900.0, 150.0);
    let heli_start_s = 100.0;
    let heli_len = heli_from.distance_m(&heli_to);
    let heli_speed = 55.0;
    let heli_vel = [
        (heli_to.east_m - heli_from.east_m) / heli_len * heli_speed,
        (heli_to.north_m - heli_from.north_m) / heli_len * heli_speed,
        0.0,
    ];

    // Remote ID spoofer: launched in Mexico south of Post Bravo, it flies to the post and
    // hovers 150 m south of it, while its Remote ID claims it hovers 25 km inside Mexico. Its
    // pilot's position (broadcast truthfully) is the launch point.
    let spoofer_pilot = e(bravo.east_m - 200.0, -2_700.0, 1.5);
    let spoofer_aim = e(bravo.east_m, bravo.north_m - 150.0, 80.0);
    let mut spoofer = State {
        pos: spoofer_pilot,
        vel: [0.0; 3],
    };
    let spoofer_launch_s = 30.0;
    let spoofer_claim = GeoPoint::new(31.12, -109.96, GROUND_HAE_M + 50.0);
    // Its own noise stream (see `Visible::own_noise`).
    let mut spoofer_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5b00_f5b0_0f5b_00f5);

    let mut truth: Vec<TruthObject> = vec![
        TruthObject {
            name: "dark-striker".into(),
            kind: TruthKind::DarkDrone,
            expect_alert_for: Some(UnitId("post-alpha".into())),
            samples: vec![],
        },
        TruthObject {
            name: "rid-chaser".into(),
            kind: TruthKind::CooperativeDrone,
            expect_alert_for: Some(UnitId("patrol-7".into())),
            samples: vec![],
        },
        TruthObject {
            name: "hobby".into(),
            kind: TruthKind::CooperativeDrone,
            expect_alert_for: None,
            samples: vec![],
        },
        TruthObject {
            name: "helicopter".into(),
            kind: TruthKind::MannedAircraft,
            expect_alert_for: None,
            samples: vec![],
        },
    ];
    for i in 0..birds.len() {
        truth.push(TruthObject {
            name: format!("bird-{}", i + 1),
            kind: TruthKind::Bird,
            expect_alert_for: None,
            samples: vec![],
        });
    }
    let spoofer_index = truth.len();
    truth.push(TruthObject {
        name: "rid-spoofer".into(),
        kind: TruthKind::CooperativeDrone,
        expect_alert_for: Some(UnitId("post-bravo".into())),
        samples: vec![],
    });
    let mut patrol_truth = Vec::new();
    let mut feed: Vec<FeedLine> = Vec::new();
    let mut beast: Vec<FeedFrame> = Vec::new();
    let mut rid_frames: Vec<FeedFrame> = Vec::new();
    let mut striker_alive = true;
    // Fixed radar reflector (a water tank) 1.6 km north: static clutter the tracker must live with.
    let reflector = e(800.0, 1_600.0, 12.0);

    let steps = (DURATION_S / DT_S).round() as usize;
    for k in 0..=steps {
        let t_s = k as f64 * DT_S;
        let now = start.plus_secs_f64(t_s);
        // Move everything by one step (state at t_s is after k steps).
        if k > 0 {
            patrol.pos.east_m += patrol.vel[0] * DT_S;
            if t_s > striker_launch_s && striker_alive {
                striker_alive = striker.step(&mut striker_state);
            }
            if t_s > chaser_launch_s {
                pursuer.step(&mut chaser, &patrol);
            }
            if t_s > spoofer_launch_s {
                fly_and_hover(&mut spoofer, &spoofer_aim, 15.0);
            }
            for b in birds.iter_mut() {
                flock.step(b, &mut rng);
            }
        }
        let heli = if t_s >= heli_start_s && (t_s - heli_start_s) * heli_speed <= heli_len {
            let d = (t_s - heli_start_s) * heli_speed / heli_len;
            Some(State {
                pos: Enu::new(
                    heli_from.east_m + d * (heli_to.east_m - heli_from.east_m),
                    heli_from.north_m + d * (heli_to.north_m - heli_from.north_m),
                    heli_from.up_m,
                ),
                vel: heli_vel,
            })
        } else {
            None
        };
        let hobby_state = hobby.state_at(t_s);

        // Everything visible now, in a fixed order (determinism).
        let mut visible: Vec<(usize, Visible)> = Vec::new();
        if t_s > striker_launch_s && striker_alive {
            visible.push((
                0,
                Visible {
                    kind: TruthKind::DarkDrone,
                    state: striker_state,
                    remote_id: None,
                    operator: None,
                    icao: None,
                    callsign: None,
                    claimed: None,
                    own_noise: false,
                },
            ));
        }
        if t_s > chaser_launch_s {
            visible.push((
                1,
                Visible {
                    kind: TruthKind::CooperativeDrone,
                    state: chaser,
                    remote_id: Some("1581F5BKD2353005Q2"),
                    operator: Some(operator),
                    icao: None,
                    callsign: None,
                    claimed: None,
                    own_noise: false,
                },
            ));
        }
        visible.push((
            2,
            Visible {
                kind: TruthKind::CooperativeDrone,
                state: hobby_state,
                remote_id: Some("1668A23KX90D77H1"),
                operator: Some(hobby_pilot),
                icao: None,
                callsign: None,
                claimed: None,
                own_noise: false,
            },
        ));
        if let Some(h) = heli {
            visible.push((
                3,
                Visible {
                    kind: TruthKind::MannedAircraft,
                    state: h,
                    remote_id: None,
                    operator: None,
                    icao: Some(0xA8F2C1),
                    callsign: Some("CBP21"),
                    claimed: None,
                    own_noise: false,
                },
            ));
        }
        for (i, b) in birds.iter().enumerate() {
            visible.push((
                4 + i,
                Visible {
                    kind: TruthKind::Bird,
                    state: *b,
                    remote_id: None,
                    operator: None,
                    icao: None,
                    callsign: None,
                    claimed: None,
                    own_noise: false,
                },
            ));
        }
        if t_s > spoofer_launch_s {
            visible.push((
                spoofer_index,
                Visible {
                    kind: TruthKind::CooperativeDrone,
                    state: spoofer,
                    remote_id: Some("1581F4XR7A0021C3"),
                    operator: Some(spoofer_pilot),
                    icao: None,
                    callsign: None,
                    claimed: Some(spoofer_claim),
                    own_noise: true,
                },
            ));
        }
        for (i, v) in &visible {
            truth[*i].samples.push(TruthSample {
                time: now,
                position_enu: v.state.pos,
                velocity_enu_mps: v.state.vel,
            });
        }
        patrol_truth.push(TruthSample {
            time: now,
            position_enu: patrol.pos,
            velocity_enu_mps: patrol.vel,
        });

        // Sensors report on a 0.1 s grid: radar every 1 s, Remote ID every 1 s (offset 0.5 s),
        // ADS-B every 1 s (offset 0.2 s), patrol position every 2 s (offset 0.3 s).
        if k % 10 == 0 && k > 0 {
            radar_scan(
                &frame,
                &sensors,
                now,
                &visible,
                reflector,
                (&mut rng, &mut spoofer_rng),
                &mut feed,
            );
        }
        if k % 10 == 5 {
            remote_id(
                &frame,
                &sensors,
                now,
                &visible,
                (&mut rng, &mut spoofer_rng),
                &mut feed,
                &mut rid_frames,
            );
        }
        if k % 10 == 2 {
            adsb(&frame, now, &visible, &mut rng, &mut feed);
            adsb_beast(&frame, start, now, k, &visible, &mut beast);
        }
        if k % 20 == 3 {
            let n = Normal::new(0.0, 3.0).expect("valid sigma");
            let p = Enu::new(
                patrol.pos.east_m + n.sample(&mut rng),
                patrol.pos.north_m + n.sample(&mut rng),
                patrol.pos.up_m,
            );
            let input = Input::UnitPosition(UnitPosition {
                unit_id: UnitId("patrol-7".into()),
                time: now,
                position: frame.to_geo(&p),
            });
            feed.push(FeedLine {
                time: now,
                sensor_id: SensorId("blue-force".into()),
                line: picket_obsjson::encode(&input),
            });
        }
    }
    feed.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then_with(|| a.sensor_id.cmp(&b.sensor_id))
    });
    Scenario {
        name: "Naco border station (built-in scenario)".into(),
        frame,
        start,
        end: start.plus_secs_f64(DURATION_S),
        sector,
        units,
        zones,
        sensors: sim_sensors,
        feed,
        beast,
        remote_id: rid_frames,
        truth,
        unit_truth: vec![(UnitId("patrol-7".into()), patrol_truth)],
    }
}

/// Climb at 4 m/s to `aim`'s height, fly straight to it, then hover there.
fn fly_and_hover(s: &mut State, aim: &Enu, speed_mps: f64) {
    let (de, dn) = (aim.east_m - s.pos.east_m, aim.north_m - s.pos.north_m);
    let d = de.hypot(dn);
    s.vel = if s.pos.up_m < aim.up_m - 0.5 {
        [0.0, 0.0, 4.0]
    } else if d > speed_mps * DT_S {
        [de / d * speed_mps, dn / d * speed_mps, 0.0]
    } else {
        [de / DT_S, dn / DT_S, 0.0]
    };
    s.pos.east_m += s.vel[0] * DT_S;
    s.pos.north_m += s.vel[1] * DT_S;
    s.pos.up_m += s.vel[2] * DT_S;
    if d <= speed_mps * DT_S {
        s.vel = [0.0; 3];
    }
}

fn push_observation(feed: &mut Vec<FeedLine>, o: Observation) {
    feed.push(FeedLine {
        time: o.time,
        sensor_id: o.sensor_id.clone(),
        line: picket_obsjson::encode(&Input::Observation(o)),
    });
}

const RADAR_SIGMA_RANGE_M: f64 = 5.0;
const RADAR_SIGMA_AZ_DEG: f64 = 0.7;
const RADAR_SIGMA_EL_DEG: f64 = 1.0;

fn radar_detection(
    frame: &LocalFrame,
    radar: &GeoPoint,
    now: Timestamp,
    target: &Enu,
    hint: Option<ClassHint>,
    rng: &mut ChaCha8Rng,
) -> Observation {
    let r = frame.to_enu(radar);
    let d = [
        target.east_m - r.east_m,
        target.north_m - r.north_m,
        target.up_m - r.up_m,
    ];
    let ground_m = d[0].hypot(d[1]);
    let range_m = (ground_m * ground_m + d[2] * d[2]).sqrt();
    let az = d[0].atan2(d[1]).to_degrees();
    let el = d[2].atan2(ground_m).to_degrees();
    let nr = Normal::new(0.0, RADAR_SIGMA_RANGE_M).expect("valid sigma");
    let na = Normal::new(0.0, RADAR_SIGMA_AZ_DEG).expect("valid sigma");
    let ne = Normal::new(0.0, RADAR_SIGMA_EL_DEG).expect("valid sigma");
    Observation {
        sensor_id: SensorId("radar-1".into()),
        time: now,
        measurement: Measurement::RangeAzEl {
            sensor_position: *radar,
            range_m: (range_m + nr.sample(rng)).max(1.0),
            azimuth_deg: (az + na.sample(rng)).rem_euclid(360.0),
            elevation_deg: (el + ne.sample(rng)).clamp(-89.0, 89.0),
            sigma_range_m: RADAR_SIGMA_RANGE_M,
            sigma_azimuth_deg: RADAR_SIGMA_AZ_DEG,
            sigma_elevation_deg: RADAR_SIGMA_EL_DEG,
        },
        identity: None,
        class_hint: hint,
        side: SideFacts::default(),
    }
}

fn radar_scan(
    frame: &LocalFrame,
    s: &Sensors,
    now: Timestamp,
    visible: &[(usize, Visible)],
    reflector: Enu,
    (rng, own_rng): (&mut ChaCha8Rng, &mut ChaCha8Rng),
    feed: &mut Vec<FeedLine>,
) {
    let r = frame.to_enu(&s.radar);
    const MAX_RANGE_SMALL_M: f64 = 3_000.0;
    for (_, v) in visible {
        let rng = if v.own_noise {
            &mut *own_rng
        } else {
            &mut *rng
        };
        let range = v.state.pos.distance_m(&r);
        let (max_range, pd) = match v.kind {
            TruthKind::DarkDrone | TruthKind::CooperativeDrone => (MAX_RANGE_SMALL_M, 0.9),
            TruthKind::Bird => (2_800.0, 0.8),
            TruthKind::MannedAircraft => (12_000.0, 0.98),
        };
        if range < 100.0 || range > max_range || rng.random::<f64>() > pd {
            continue;
        }
        // Micro-Doppler classification: right most of the time, unsure otherwise.
        let (class, p_right, conf) = match v.kind {
            TruthKind::DarkDrone | TruthKind::CooperativeDrone => (TargetClass::Drone, 0.7, 0.6),
            TruthKind::Bird => (TargetClass::Bird, 0.8, 0.75),
            TruthKind::MannedAircraft => (TargetClass::MannedAircraft, 0.8, 0.8),
        };
        let hint = if rng.random::<f64>() < p_right {
            ClassHint {
                class,
                confidence: conf,
            }
        } else {
            ClassHint {
                class: TargetClass::Unknown,
                confidence: 0.3,
            }
        };
        let o = radar_detection(frame, &s.radar, now, &v.state.pos, Some(hint), rng);
        push_observation(feed, o);
    }
    if rng.random::<f64>() < 0.7 {
        let o = radar_detection(frame, &s.radar, now, &reflector, None, rng);
        push_observation(feed, o);
    }
    // Random clutter: Poisson(3) false detections per scan, anywhere in coverage, low.
    let n = Poisson::new(3.0).expect("valid rate").sample(rng) as usize;
    for _ in 0..n {
        let range_m = rng.random_range(200.0..MAX_RANGE_SMALL_M);
        let az = rng.random_range(0.0..std::f64::consts::TAU);
        let p = Enu::new(
            r.east_m + range_m * az.sin(),
            r.north_m + range_m * az.cos(),
            rng.random_range(-5.0..60.0),
        );
        let o = radar_detection(frame, &s.radar, now, &p, None, rng);
        push_observation(feed, o);
    }
}

fn remote_id(
    frame: &LocalFrame,
    s: &Sensors,
    now: Timestamp,
    visible: &[(usize, Visible)],
    (rng, own_rng): (&mut ChaCha8Rng, &mut ChaCha8Rng),
    feed: &mut Vec<FeedLine>,
    frames: &mut Vec<FeedFrame>,
) {
    let gnss = Normal::new(0.0, 2.0).expect("valid sigma");
    for (_, v) in visible {
        let Some(serial) = v.remote_id else { continue };
        let rng = if v.own_noise {
            &mut *own_rng
        } else {
            &mut *rng
        };
        // One broadcast, heard by each receiver in range (Wi-Fi beacon, ~3 km in the open).
        let (reported, velocity, height_m) = match v.claimed {
            // A spoofer claims to hover where it is not.
            Some(c) => (frame.to_enu(&c), [0.0; 3], 50.0),
            None => (
                Enu::new(
                    v.state.pos.east_m + gnss.sample(rng),
                    v.state.pos.north_m + gnss.sample(rng),
                    v.state.pos.up_m + 2.0 * gnss.sample(rng),
                ),
                v.state.vel,
                v.state.pos.up_m,
            ),
        };
        for (id, p) in &s.rid {
            let rx = frame.to_enu(p);
            let d = v.state.pos.distance_m(&rx);
            if d > 3_000.0 || rng.random::<f64>() > 0.9 {
                continue;
            }
            let rssi = -40.0 - 20.0 * (d / 10.0).max(1.0).log10() + rng.random_range(-3.0..3.0);
            let broadcast = RidBroadcast {
                serial,
                position: frame.to_geo(&reported),
                velocity_enu_mps: velocity,
                operator: v.operator.map(|o| frame.to_geo(&o)),
                height_m,
            };
            if let Some(bytes) = rid_beacon(&broadcast, now, rssi) {
                frames.push(FeedFrame {
                    time: now,
                    sensor_id: id.clone(),
                    bytes,
                });
            }
            push_observation(
                feed,
                Observation {
                    sensor_id: id.clone(),
                    time: now,
                    measurement: Measurement::position(frame.to_geo(&reported), 5.0, 8.0),
                    identity: Some(Identity::RemoteId(serial.to_string())),
                    class_hint: None,
                    side: SideFacts {
                        operator_position: v.operator.map(|o| frame.to_geo(&o)),
                        reported_velocity_enu_mps: Some(velocity),
                        rssi_dbm: Some((rssi * 10.0f64).round() / 10.0),
                        callsign: None,
                        spoof: None,
                        take_off_position: None,
                    },
                },
            );
        }
    }
}

fn adsb(
    frame: &LocalFrame,
    now: Timestamp,
    visible: &[(usize, Visible)],
    rng: &mut ChaCha8Rng,
    feed: &mut Vec<FeedLine>,
) {
    let n = Normal::new(0.0, 5.0).expect("valid sigma");
    for (_, v) in visible {
        let Some(icao) = v.icao else { continue };
        let p = Enu::new(
            v.state.pos.east_m + n.sample(rng),
            v.state.pos.north_m + n.sample(rng),
            v.state.pos.up_m + n.sample(rng),
        );
        push_observation(
            feed,
            Observation {
                sensor_id: SensorId("adsb-1".into()),
                time: now,
                measurement: Measurement::position(frame.to_geo(&p), 10.0, 15.0),
                identity: Some(Identity::Icao(icao)),
                class_hint: None,
                side: SideFacts {
                    operator_position: None,
                    reported_velocity_enu_mps: Some(v.state.vel),
                    rssi_dbm: None,
                    callsign: v.callsign.map(str::to_string),
                    spoof: None,
                    take_off_position: None,
                },
            },
        );
    }
}

/// What one Remote ID broadcast says.
struct RidBroadcast<'a> {
    serial: &'a str,
    position: GeoPoint,
    velocity_enu_mps: [f64; 3],
    operator: Option<GeoPoint>,
    height_m: f64,
}

/// A Wi-Fi beacon as a monitor-mode receiver captures it: a radiotap header (antenna signal),
/// an 802.11 beacon from a MAC derived from the serial, and the ASTM F3411 vendor element
/// with a Message Pack of Basic ID, Location/Vector and System.
fn rid_beacon(b: &RidBroadcast, now: Timestamp, rssi_dbm: f64) -> Option<Vec<u8>> {
    use picket_remoteid::fields::Text;
    use picket_remoteid::message::{
        BasicId, ClassificationType, HeightType, HorizontalAccuracy, IdType, Location, Message,
        MessagePack, OperationalStatus, OperatorLocationType, SpeedAccuracy, System, UaType,
        VerticalAccuracy,
    };
    let speed = b.velocity_enu_mps[0].hypot(b.velocity_enu_mps[1]);
    let direction = (b.velocity_enu_mps[0]
        .atan2(b.velocity_enu_mps[1])
        .to_degrees()
        + 360.0)
        % 360.0;
    let tenths_past_hour = (now.as_micros().rem_euclid(3_600_000_000) / 100_000) as f64 / 10.0;
    let pack = MessagePack {
        protocol_version: 2,
        messages: vec![
            Message::BasicId(BasicId {
                protocol_version: 2,
                id_type: IdType::SerialNumber,
                ua_type: UaType::HelicopterOrMultirotor,
                uas_id: Text::new(b.serial),
            }),
            Message::Location(Location {
                protocol_version: 2,
                status: OperationalStatus::Airborne,
                height_type: HeightType::AboveTakeoff,
                direction_deg: Some(direction),
                speed_horizontal_mps: Some(speed),
                speed_vertical_mps: Some(b.velocity_enu_mps[2]),
                lat: Some(b.position.lat_deg),
                lon: Some(b.position.lon_deg),
                alt_baro_m: None,
                alt_geo_m: Some(b.position.alt_hae_m),
                height_m: Some(b.height_m),
                horizontal_accuracy: HorizontalAccuracy::from_bound_m(Some(10.0)),
                vertical_accuracy: VerticalAccuracy::from_bound_m(Some(25.0)),
                baro_accuracy: VerticalAccuracy(0),
                speed_accuracy: SpeedAccuracy::from_bound_mps(Some(1.0)),
                timestamp_s: Some(tenths_past_hour),
                timestamp_accuracy_s: Some(0.1),
            }),
            Message::System(System {
                protocol_version: 2,
                operator_location_type: OperatorLocationType::from_code(1),
                classification_type: ClassificationType::from_code(0),
                operator_lat: b.operator.map(|o| o.lat_deg),
                operator_lon: b.operator.map(|o| o.lon_deg),
                area_count: 1,
                area_radius_m: 0.0,
                area_ceiling_m: None,
                area_floor_m: None,
                category_eu: picket_remoteid::message::CategoryEu::from_code(0),
                class_eu: picket_remoteid::message::ClassEu::from_code(0),
                operator_alt_geo_m: b.operator.map(|o| o.alt_hae_m),
                timestamp: Some(now),
            }),
        ],
    };
    let counter = (now.as_micros() / 1_000_000) as u8;
    let ie = picket_remoteid::transport::encode_wifi_vendor_element(counter, &pack).ok()?;
    // A locally administered MAC derived from the serial (real modules randomise theirs).
    let mut mac = [0x02u8, 0, 0, 0, 0, 0];
    for (i, c) in b.serial.bytes().enumerate() {
        mac[1 + i % 5] ^= c.wrapping_mul(31).wrapping_add(i as u8);
    }
    let mut f = Vec::with_capacity(64 + ie.len());
    // Radiotap: version 0, header length 9, present = antenna signal (bit 5), dBm.
    f.extend_from_slice(&[0, 0, 9, 0, 0x20, 0, 0, 0]);
    f.push(rssi_dbm.round().clamp(-127.0, 0.0) as i8 as u8);
    // 802.11 beacon: frame control, duration, DA broadcast, SA, BSSID, sequence.
    f.extend_from_slice(&[0x80, 0x00, 0, 0]);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0, 0]);
    // Fixed parameters: timestamp, beacon interval 100 TU, capabilities; then an empty SSID.
    f.extend_from_slice(&(now.as_micros() as u64).to_le_bytes());
    f.extend_from_slice(&[0x64, 0x00, 0x01, 0x04]);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&ie);
    Some(f)
}

/// The helicopter's transponder as the ADS-B receiver hears it: DF17 airborne positions
/// alternating even/odd CPR, velocity, and identification every 5 s, in Beast frames whose
/// 12 MHz counter runs from the scenario's start.
fn adsb_beast(
    frame: &LocalFrame,
    start: Timestamp,
    now: Timestamp,
    step: usize,
    visible: &[(usize, Visible)],
    out: &mut Vec<FeedFrame>,
) {
    use picket_modes::{adsb, cpr, encode, BeastFrame, BeastKind};
    const FT_PER_M: f64 = 3.280_84;
    const KT_PER_MPS: f64 = 1.943_844;
    let ticks = (now.seconds_since(start).max(0.0) * 12e6) as u64;
    let second = step / 10;
    for (_, v) in visible {
        let Some(icao) = v.icao else { continue };
        let geo = frame.to_geo(&v.state.pos);
        let mut mes = Vec::new();
        if let Some(me) = adsb::encode_airborne_position_me(
            cpr::encode_airborne(geo.lat_deg, geo.lon_deg, second % 2 == 1),
            (geo.alt_hae_m * FT_PER_M).round() as i32,
        ) {
            mes.push(me);
        }
        mes.push(adsb::encode_velocity_me(
            v.state.vel[0] * KT_PER_MPS,
            v.state.vel[1] * KT_PER_MPS,
            (v.state.vel[2] * FT_PER_M * 60.0).round() as i32,
        ));
        if second.is_multiple_of(5) {
            // Category set A, 7: rotorcraft.
            mes.push(adsb::encode_identification_me(7, v.callsign.unwrap_or("")));
        }
        for (i, me) in mes.into_iter().enumerate() {
            let data = encode::df17(icao, 5, me);
            // Transmissions of one second are spread a few milliseconds apart.
            let t = ticks + i as u64 * 60_000;
            if let Some(f) = BeastFrame::new(BeastKind::ModeSLong, t, 200, &data) {
                let mut bytes = Vec::new();
                f.encode(&mut bytes);
                out.push(FeedFrame {
                    time: now.plus_secs_f64(i as f64 * 0.005),
                    sensor_id: SensorId("adsb-1".into()),
                    bytes,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        naco(Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap(), 7)
    }

    #[test]
    fn same_seed_same_feed_different_seed_different_noise() {
        let a = scenario();
        let b = scenario();
        assert_eq!(a.feed, b.feed);
        let c = naco(a.start, 8);
        assert_ne!(a.feed, c.feed);
    }

    #[test]
    fn every_line_decodes_through_the_observation_format() {
        let s = scenario();
        assert!(s.feed.len() > 3_000, "{} lines", s.feed.len());
        for f in &s.feed {
            let sensor = s
                .sensors
                .iter()
                .find(|x| x.id == f.sensor_id)
                .expect("known sensor");
            let ctx = picket_obsjson::SensorContext {
                sensor_id: sensor.id.clone(),
                position: sensor.position,
            };
            picket_obsjson::decode_line(&f.line, &ctx)
                .unwrap_or_else(|e| panic!("{e}: {}", f.line));
        }
        assert!(
            s.feed.windows(2).all(|w| w[0].time <= w[1].time),
            "time ordered"
        );
    }

    #[test]
    fn the_striker_starts_in_mexico_and_ends_at_post_alpha() {
        let s = scenario();
        let striker = &s.truth[0];
        let alpha = s.units[0].fixed_position_enu(&s.frame).unwrap();
        let border = picket_core::BorderLine::new(&s.zones[0], &s.frame);
        let first = striker.samples.first().unwrap().position_enu;
        let last = striker.samples.last().unwrap().position_enu;
        assert_eq!(border.on_home_side(&first), Some(false), "starts in Mexico");
        assert_eq!(border.on_home_side(&last), Some(true));
        let (t, d) = striker.closest_approach_to(&alpha).unwrap();
        assert!(d < 20.0, "reaches the post: {d} m");
        let flight_s = t.seconds_since(s.start);
        assert!((150.0..260.0).contains(&flight_s), "{flight_s} s");
    }

    #[test]
    fn the_chaser_pilot_is_in_mexico_and_the_drone_reaches_the_patrol() {
        let s = scenario();
        let border = picket_core::BorderLine::new(&s.zones[0], &s.frame);
        let chaser = &s.truth[1];
        let first = chaser.samples.first().unwrap();
        assert_eq!(border.on_home_side(&first.position_enu), Some(false));
        let close = chaser.samples.iter().any(|x| {
            let p = s
                .unit_position_enu(&UnitId("patrol-7".into()), x.time)
                .unwrap();
            x.position_enu.horizontal_distance_m(&p) < 150.0
        });
        assert!(close, "the chaser catches the patrol");
    }

    #[test]
    fn the_hobby_drone_stays_about_two_km_from_every_unit() {
        let s = scenario();
        let hobby = &s.truth[2];
        for x in &hobby.samples {
            for u in &s.units {
                let p = s.unit_position_enu(&u.id, x.time).unwrap();
                let d = x.position_enu.horizontal_distance_m(&p);
                assert!(d > 1_900.0, "{} at {d} m", u.id);
            }
        }
    }
}

#[cfg(test)]
mod beast_tests {
    use super::*;

    #[test]
    fn the_helicopter_is_heard_in_beast_frames_that_decode_to_its_track() {
        let s = naco(Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap(), 7);
        assert!(s.beast.len() > 300, "{} frames", s.beast.len());
        assert!(
            s.beast.windows(2).all(|w| w[0].time <= w[1].time),
            "time ordered"
        );
        let heli = s.truth.iter().find(|t| t.name == "helicopter").unwrap();
        let mut decoder = picket_modes::Decoder::new(picket_modes::TrackerConfig::default());
        let (mut positions, mut callsign) = (0, None);
        for f in &s.beast {
            for frame in picket_modes::framing::beast::frames(&f.bytes) {
                let frame = frame.expect("a clean frame");
                let d = decoder.decode(frame.data(), Some(f.time.as_secs_f64()));
                let m = d.message.expect("CRC-valid DF17");
                assert_eq!(m.address, 0xA8F2C1);
                if let Some(cs) = format!("{m:?}").split("Callsign(\"").nth(1) {
                    callsign = cs.split('"').next().map(str::to_string);
                }
                if let Some(fix) = d.fix {
                    let truth = heli.at(f.time).expect("heard while flying").position_enu;
                    let p = s
                        .frame
                        .to_enu(&GeoPoint::new(fix.lat_deg, fix.lon_deg, truth.up_m));
                    assert!(p.horizontal_distance_m(&truth) < 15.0, "{p:?} vs {truth:?}");
                    positions += 1;
                }
            }
        }
        assert!(positions > 100, "{positions} positions");
        assert_eq!(callsign.as_deref(), Some("CBP21"));
    }
}

#[cfg(test)]
mod remote_id_tests {
    use super::*;

    #[test]
    fn remote_id_beacons_decode_to_the_serials_positions_and_pilots() {
        let s = naco(Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap(), 7);
        assert!(s.remote_id.len() > 300, "{} frames", s.remote_id.len());
        let lines = s
            .feed
            .iter()
            .filter(|f| f.sensor_id.0.starts_with("rid-"))
            .count();
        assert_eq!(s.remote_id.len(), lines, "one beacon per broadcast heard");
        let chaser = s.truth.iter().find(|t| t.name == "rid-chaser").unwrap();
        let mut builder = picket_remoteid::capture::RecordBuilder::new();
        // One assembler per receiver, knowing where it stands (as the demo's input does).
        let mut assemblers: std::collections::BTreeMap<SensorId, picket_remoteid::Assembler> = s
            .sensors
            .iter()
            .filter(|x| x.kind == "remote_id")
            .map(|x| {
                let mut c = picket_remoteid::ObservationContext::new(x.id.clone());
                c.receiver_position = x.position;
                (x.id.clone(), picket_remoteid::Assembler::new(c))
            })
            .collect();
        let (mut seen_chaser, mut seen_spoofer, mut too_loud) = (0, 0, 0);
        for (n, f) in s.remote_id.iter().enumerate() {
            let d = picket_remoteid::decode_frame(picket_pcap::LinkType::RADIOTAP, &f.bytes)
                .expect("a well-formed radiotap frame");
            let mut recs = Vec::new();
            builder.records(n as u64 + 1, Some(f.time), &d, &mut recs);
            assert!(recs
                .iter()
                .all(|r| r.quarantine.is_none() && r.rssi_dbm.is_some()));
            let mut obs = Vec::new();
            assemblers
                .get_mut(&f.sensor_id)
                .unwrap()
                .push(&recs, &mut obs);
            for o in obs {
                let Some(Identity::RemoteId(id)) = &o.identity else {
                    panic!("every scenario broadcast names its serial")
                };
                if id == "1581F4XR7A0021C3" {
                    // The spoofer: its false position is flagged, for the pilot distance and
                    // (once it is close to a receiver) for a signal far too strong for where it
                    // claims to be.
                    let e = o.side.spoof.as_ref().expect("spoof evidence");
                    assert!(e.score >= 0.5, "{e:?}");
                    assert!(
                        e.reasons.iter().any(|r| r.contains("from its pilot")),
                        "{e:?}"
                    );
                    if e.reasons.iter().any(|r| r.contains("far too strong")) {
                        too_loud += 1;
                    }
                    seen_spoofer += 1;
                    continue;
                }
                // The honest drones carry no evidence.
                assert_eq!(o.side.spoof, None, "{id}");
                if id == "1581F5BKD2353005Q2" {
                    let Measurement::Position { position, .. } = o.measurement else {
                        panic!("a position")
                    };
                    let truth = chaser.at(o.time).unwrap().position_enu;
                    assert!(s.frame.to_enu(&position).horizontal_distance_m(&truth) < 15.0);
                    assert!(o.side.operator_position.is_some());
                    seen_chaser += 1;
                }
            }
        }
        assert!(seen_spoofer > 100, "{seen_spoofer}");
        assert!(too_loud * 2 > seen_spoofer, "{too_loud} of {seen_spoofer}");
        assert!(seen_chaser > 100, "{seen_chaser}");
    }

    /// The cross-receiver RSSI check over both receivers' decoded beacons, as the pipeline runs
    /// it: the chaser, heard by both, agrees with its claims; the spoofer and the hobby drone
    /// are heard by rid-east alone, so the check has no pair to judge them by.
    #[test]
    fn both_receivers_agree_with_the_honest_chaser() {
        let s = naco(Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap(), 7);
        let mut builder = picket_remoteid::capture::RecordBuilder::new();
        let mut check = picket_remoteid::CrossCheck::new();
        let mut assemblers = std::collections::BTreeMap::new();
        for x in s.sensors.iter().filter(|x| x.kind == "remote_id") {
            let mut c = picket_remoteid::ObservationContext::new(x.id.clone());
            c.receiver_position = x.position;
            assert!(check.set_receiver(x.id.clone(), x.position.unwrap()));
            assemblers.insert(x.id.clone(), picket_remoteid::Assembler::new(c));
        }
        let mut heard_by: std::collections::BTreeSet<(String, String)> = Default::default();
        for (n, f) in s.remote_id.iter().enumerate() {
            let d = picket_remoteid::decode_frame(picket_pcap::LinkType::RADIOTAP, &f.bytes)
                .expect("a well-formed radiotap frame");
            let mut recs = Vec::new();
            builder.records(n as u64 + 1, Some(f.time), &d, &mut recs);
            let mut obs = Vec::new();
            assemblers
                .get_mut(&f.sensor_id)
                .unwrap()
                .push(&recs, &mut obs);
            for mut o in obs {
                check.observe(&mut o);
                let Some(Identity::RemoteId(id)) = &o.identity else {
                    continue;
                };
                heard_by.insert((id.clone(), o.sensor_id.0.clone()));
                let why = o.side.spoof.map(|e| e.reasons).unwrap_or_default();
                assert!(!why.iter().any(|r| r.contains("disagree")), "{id}: {why:?}");
            }
        }
        let stats = check.stats();
        assert!(stats.pairs > 50, "{stats:?}");
        assert_eq!(stats.disagreements, 0, "{stats:?}");
        let by = |id: &str| -> Vec<&str> {
            heard_by
                .iter()
                .filter(|x| x.0 == id)
                .map(|x| x.1.as_str())
                .collect()
        };
        assert_eq!(by("1581F5BKD2353005Q2"), ["rid-east", "rid-west"]);
        assert_eq!(by("1581F4XR7A0021C3"), ["rid-east"]);
        assert_eq!(by("1668A23KX90D77H1"), ["rid-east"]);
    }
}
