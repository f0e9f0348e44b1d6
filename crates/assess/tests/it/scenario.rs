//! A small border scenario run end to end through assessment and alerting: the dark drone
//! diving at Post Alpha and the Remote ID drone chasing Patrol 1 are alerted in time; the
//! circling hobby drone, the birds and the helicopter are not.

use crate::*;

/// Tiny deterministic noise source (xorshift), so the test needs no dependency.
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

type Motion = Box<dyn Fn(f64, [f64; 3]) -> [f64; 3]>;

struct Target {
    id: u64,
    pos: [f64; 3],
    vel: [f64; 3],
    motion: Motion,
    kind: Box<dyn Fn(u32) -> Kind>,
    hits: u32,
}

const PATROL_START: [f64; 2] = [-1_000.0, 2_000.0];
const PATROL_SPEED_MPS: f64 = -8.0;

fn patrol_pos(s: f64) -> [f64; 2] {
    [PATROL_START[0] + PATROL_SPEED_MPS * s, PATROL_START[1]]
}

/// Clockwise circle about `centre` of `radius_m` at `speed_mps`, starting at `phase_deg`
/// (compass angle of the start point seen from the centre).
fn circle(
    centre: [f64; 2],
    radius_m: f64,
    speed_mps: f64,
    phase_deg: f64,
    alt_m: f64,
) -> ([f64; 3], Motion) {
    let ph = phase_deg.to_radians();
    let start = [
        centre[0] + radius_m * ph.sin(),
        centre[1] + radius_m * ph.cos(),
        alt_m,
    ];
    let motion: Motion = Box::new(move |_, p| {
        // Tangent (clockwise) of the radial direction, plus a pull back onto the circle.
        let (dx, dy) = (p[0] - centre[0], p[1] - centre[1]);
        let r = dx.hypot(dy).max(1e-6);
        let (ux, uy) = (dx / r, dy / r);
        let pull = (radius_m - r) * 0.2;
        [speed_mps * uy + pull * ux, -speed_mps * ux + pull * uy, 0.0]
    });
    (start, motion)
}

struct Outcome {
    events: Vec<AlertEvent>,
    dive_cpa_time_s: f64,
}

fn run(hobby_phase_deg: f64) -> Outcome {
    run_with(hobby_phase_deg, 100.0, 9.0)
}

fn run_with(hobby_phase_deg: f64, hobby_radius_m: f64, hobby_speed_mps: f64) -> Outcome {
    let mut rig = Rig::new(site());
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut targets = Vec::new();

    // T1: dark drone from Mexico straight at Post Alpha at 20 m/s, diving for the last 600 m.
    targets.push(Target {
        id: 1,
        pos: [-600.0, -3_300.0, 200.0],
        vel: [0.0; 3],
        motion: Box::new(|_, p| {
            let r = p[0].hypot(p[1]).max(1e-6);
            let vz = if r < 600.0 && p[2] > 10.0 { -6.0 } else { 0.0 };
            [-20.0 * p[0] / r, -20.0 * p[1] / r, vz]
        }),
        kind: Box::new(|n| Kind {
            hint: Some(picket_core::ClassHint {
                class: if n % 4 == 1 {
                    TargetClass::Unknown
                } else {
                    TargetClass::Drone
                },
                confidence: 0.7,
            }),
            ..Kind::default()
        }),
        hits: 0,
    });
    // T2: Remote ID drone from Mexico chasing Patrol 1 at 15 m/s; its pilot stays in Mexico.
    targets.push(Target {
        id: 2,
        pos: [-2_500.0, -1_500.0, 120.0],
        vel: [0.0; 3],
        motion: Box::new(|s, p| {
            let q = patrol_pos(s);
            let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
            let r = dx.hypot(dy).max(1e-6);
            [15.0 * dx / r, 15.0 * dy / r, 0.0]
        }),
        kind: Box::new(|_| Kind {
            operator: Some(frame().to_geo(&Enu::new(-1_500.0, -2_500.0, 0.0))),
            ..Kind::remote_id("1581F5FKD2294HOST")
        }),
        hits: 0,
    });
    // T3: lawful hobby drone circling ~2 km from the post, pilot beside it.
    let (start, motion) = circle(
        [1_400.0, 1_400.0],
        hobby_radius_m,
        hobby_speed_mps,
        hobby_phase_deg,
        80.0,
    );
    targets.push(Target {
        id: 3,
        pos: start,
        vel: [0.0; 3],
        motion,
        kind: Box::new(|_| Kind {
            operator: Some(frame().to_geo(&Enu::new(1_450.0, 1_350.0, 0.0))),
            ..Kind::remote_id("1581F5FKD2294HOBBY")
        }),
        hits: 0,
    });
    // T4: a flock wandering 300–700 m north of the post; the radar says bird, now and then
    // unknown.
    let (start, motion) = circle([0.0, 500.0], 200.0, 10.0, 90.0, 60.0);
    targets.push(Target {
        id: 4,
        pos: start,
        vel: [0.0; 3],
        motion,
        kind: Box::new(|n| Kind {
            hint: Some(if n % 5 == 3 {
                picket_core::ClassHint {
                    class: TargetClass::Unknown,
                    confidence: 0.4,
                }
            } else {
                picket_core::ClassHint {
                    class: TargetClass::Bird,
                    confidence: 0.75,
                }
            }),
            ..Kind::default()
        }),
        hits: 0,
    });
    // T5: ADS-B helicopter passing 300 m north of the post at 50 m/s, 150 m up.
    targets.push(Target {
        id: 5,
        pos: [-5_000.0, 300.0, 150.0],
        vel: [0.0; 3],
        motion: Box::new(|_, _| [50.0, 0.0, 0.0]),
        kind: Box::new(|_| Kind {
            identity: Some(Identity::Icao(0xA1B2C3)),
            hint: Some(picket_core::ClassHint {
                class: TargetClass::MannedAircraft,
                confidence: 0.6,
            }),
            ..Kind::default()
        }),
        hits: 0,
    });

    let mut dive_min = (f64::INFINITY, 0.0);
    for step in 0..=2_400u32 {
        let s = f64::from(step) * 0.1;
        for tg in &mut targets {
            tg.vel = (tg.motion)(s, tg.pos);
            if step > 0 {
                for k in 0..3 {
                    tg.pos[k] += tg.vel[k] * 0.1;
                }
            }
        }
        let d = targets[0].pos[0].hypot(targets[0].pos[1]);
        if d < dive_min.0 {
            dive_min = (d, s);
        }
        if step % 10 != 0 {
            continue;
        }
        if step % 30 == 0 {
            let p = patrol_pos(s);
            rig.assessor.update_unit_position(&patrol_at(s, p[0], p[1]));
        }
        let mut snaps = Vec::new();
        for tg in &mut targets {
            tg.hits += 1;
            let pos = [
                tg.pos[0] + 3.0 * noise.next(),
                tg.pos[1] + 3.0 * noise.next(),
                tg.pos[2],
            ];
            let vel = [
                tg.vel[0] + 0.5 * noise.next(),
                tg.vel[1] + 0.5 * noise.next(),
                tg.vel[2],
            ];
            let mut tr = track(tg.id, s, pos, vel, &(tg.kind)(tg.hits));
            tr.hits = tg.hits;
            tr.status = if tg.hits >= 3 {
                TrackStatus::Confirmed
            } else {
                TrackStatus::Tentative
            };
            snaps.push(tr);
        }
        rig.step(&snaps, s);
    }
    Outcome {
        events: rig.events,
        dive_cpa_time_s: dive_min.1,
    }
}

fn raised(o: &Outcome, track: u64, unit_id: &str) -> Vec<AlertEvent> {
    o.events
        .iter()
        .filter(|e| {
            e.state == AlertState::Raised && e.track_id == TrackId(track) && e.unit_id.0 == unit_id
        })
        .cloned()
        .collect()
}

#[test]
fn the_diving_drone_is_alerted_for_its_post_at_least_30_s_before_closest_approach() {
    let o = run(0.0);
    let r = raised(&o, 1, POST);
    assert_eq!(r.len(), 1, "{:?}", o.events);
    let lead_s = o.dive_cpa_time_s - r[0].time.seconds_since(t(0.0));
    assert!(
        lead_s >= 30.0,
        "alerted only {lead_s:.1} s before closest approach"
    );
    assert!(r[0].dark);
    assert_eq!(r[0].reasons[0], "dark drone (no Remote ID)");
    let later: Vec<&AlertEvent> = o
        .events
        .iter()
        .filter(|e| e.track_id == TrackId(1) && e.unit_id.0 == POST)
        .collect();
    assert!(
        later.iter().any(|e| e
            .reasons
            .iter()
            .any(|r| r.starts_with("crossed the border northbound"))),
        "{later:?}"
    );
    assert!(later.iter().any(|e| e.level == ThreatLevel::Imminent));
    assert!(
        later
            .iter()
            .any(|e| e.reasons.iter().any(|r| r == "diving 6 m/s")),
        "{later:?}"
    );
}

#[test]
fn the_remote_id_drone_chasing_the_patrol_is_alerted_for_the_patrol() {
    let o = run(0.0);
    let r = raised(&o, 2, PATROL);
    assert_eq!(r.len(), 1, "{:?}", o.events);
    assert!(!r[0].dark);
    assert_eq!(r[0].reasons[0], "drone, Remote ID 1581F5FKD2294HOST");
    assert!(
        r[0].reasons.iter().any(|x| x.starts_with("pilot ") && x.ends_with("across the border (US–Mexico border)")),
        "{:?}",
        r[0].reasons
    );
}

#[test]
fn hobby_drone_birds_and_helicopter_raise_no_alert() {
    // The hobby drone circles 100 m or 200 m wide at 8 or 12 m/s, started at eight phases:
    // none may raise an alert.
    for (radius_m, speed_mps, phase) in [100.0, 200.0]
        .into_iter()
        .flat_map(|r| [8.0, 12.0].map(|v| (r, v)))
        .flat_map(|(r, v)| (0..8).map(move |k| (r, v, f64::from(k) * 45.0)))
    {
        let o = run_with(phase, radius_m, speed_mps);
        let quiet: Vec<&AlertEvent> = o
            .events
            .iter()
            .filter(|e| [3, 4, 5].contains(&e.track_id.0))
            .collect();
        assert!(
            quiet.is_empty(),
            "hobby circle {radius_m} m at {speed_mps} m/s, phase {phase}°: {quiet:?}"
        );
    }
}
