//! How the scenario's objects move: small deterministic behaviours stepped at 10 Hz.

use picket_core::Enu;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Simulation step, seconds.
pub const DT_S: f64 = 0.1;

/// Kinematic state in the local frame.
#[derive(Clone, Copy, Debug)]
pub struct State {
    pub pos: Enu,
    pub vel: [f64; 3],
}

fn toward(from: &Enu, to: &Enu) -> ([f64; 3], f64) {
    let d = [
        to.east_m - from.east_m,
        to.north_m - from.north_m,
        to.up_m - from.up_m,
    ];
    let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(1e-9);
    ([d[0] / n, d[1] / n, d[2] / n], n)
}

fn advance(s: &mut State, vel: [f64; 3]) {
    s.vel = vel;
    s.pos.east_m += vel[0] * DT_S;
    s.pos.north_m += vel[1] * DT_S;
    s.pos.up_m += vel[2] * DT_S;
}

/// A strike drone: cruise at a fixed height toward a target, then dive onto it.
pub struct Striker {
    pub target: Enu,
    pub cruise_up_m: f64,
    pub cruise_speed_mps: f64,
    pub dive_speed_mps: f64,
    pub dive_start_m: f64,
}

impl Striker {
    /// One step; `false` when it has hit the ground.
    pub fn step(&self, s: &mut State) -> bool {
        let h = s.pos.horizontal_distance_m(&self.target);
        if h > self.dive_start_m {
            let aim = Enu::new(self.target.east_m, self.target.north_m, self.cruise_up_m);
            let (u, _) = toward(&s.pos, &aim);
            let hn = u[0].hypot(u[1]).max(1e-9);
            let climb = ((self.cruise_up_m - s.pos.up_m) * 0.5).clamp(-3.0, 3.0);
            let v = self.cruise_speed_mps;
            advance(s, [u[0] / hn * v, u[1] / hn * v, climb]);
        } else {
            let (u, _) = toward(&s.pos, &self.target);
            let v = self.dive_speed_mps;
            advance(s, [u[0] * v, u[1] * v, u[2] * v]);
        }
        s.pos.up_m > self.target.up_m + 1.0
    }
}

/// A drone that takes off, climbs, pursues a moving unit and then circles over it.
pub struct Pursuer {
    pub climb_to_up_m: f64,
    pub speed_mps: f64,
    pub orbit_radius_m: f64,
}

impl Pursuer {
    pub fn step(&self, s: &mut State, unit: &State) {
        if s.pos.up_m < self.climb_to_up_m - 0.5 {
            advance(s, [0.0, 0.0, 4.0]);
            return;
        }
        let aim = Enu::new(unit.pos.east_m, unit.pos.north_m, self.climb_to_up_m);
        let (u, d) = toward(&s.pos, &aim);
        let hn = u[0].hypot(u[1]).max(1e-9);
        if d > self.orbit_radius_m * 1.5 {
            let v = self.speed_mps;
            advance(s, [u[0] / hn * v, u[1] / hn * v, 0.0]);
        } else {
            // Circle the unit: its velocity plus a tangential component, pulled to the radius.
            let radial = (d - self.orbit_radius_m) * 0.3;
            let tangential = 8.0;
            let (ue, un) = (u[0] / hn, u[1] / hn);
            advance(
                s,
                [
                    unit.vel[0] + ue * radial - un * tangential,
                    unit.vel[1] + un * radial + ue * tangential,
                    0.0,
                ],
            );
        }
    }
}

/// A constant-speed circle (a hobby flight).
pub struct Circler {
    pub center: Enu,
    pub radius_m: f64,
    pub speed_mps: f64,
}

impl Circler {
    pub fn state_at(&self, t_s: f64) -> State {
        let w = self.speed_mps / self.radius_m;
        let a = w * t_s;
        State {
            pos: Enu::new(
                self.center.east_m + self.radius_m * a.cos(),
                self.center.north_m + self.radius_m * a.sin(),
                self.center.up_m,
            ),
            vel: [-self.speed_mps * a.sin(), self.speed_mps * a.cos(), 0.0],
        }
    }
}

/// A bird: wanders with a random turn rate, held near a loiter centre.
pub struct Wanderer {
    pub center: Enu,
    pub radius_m: f64,
    pub min_up_m: f64,
    pub max_up_m: f64,
}

impl Wanderer {
    pub fn step(&self, s: &mut State, rng: &mut ChaCha8Rng) {
        let speed = s.vel[0].hypot(s.vel[1]).clamp(8.0, 14.0);
        let mut heading = s.vel[0].atan2(s.vel[1]);
        heading += rng.random_range(-0.35..0.35) * DT_S * 3.0;
        if s.pos.horizontal_distance_m(&self.center) > self.radius_m {
            // Turn back toward the centre.
            let back =
                (self.center.east_m - s.pos.east_m).atan2(self.center.north_m - s.pos.north_m);
            let diff = (back - heading + std::f64::consts::PI)
                .rem_euclid(2.0 * std::f64::consts::PI)
                - std::f64::consts::PI;
            heading += diff.clamp(-0.6 * DT_S * 3.0, 0.6 * DT_S * 3.0);
        }
        let speed = (speed + rng.random_range(-0.5..0.5)).clamp(8.0, 14.0);
        let mut climb = s.vel[2] + rng.random_range(-0.3..0.3);
        if s.pos.up_m < self.min_up_m {
            climb = climb.abs();
        }
        if s.pos.up_m > self.max_up_m {
            climb = -climb.abs();
        }
        advance(
            s,
            [
                speed * heading.sin(),
                speed * heading.cos(),
                climb.clamp(-2.0, 2.0),
            ],
        );
    }
}
