//! Reconnecting with backoff: one rule for every network client Picket runs.

use std::time::Duration;

/// First wait before reconnecting; doubles per failure up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A connection that lasted this long resets the backoff.
pub const STABLE_CONNECTION: Duration = Duration::from_secs(10);

/// The reconnect rule of every network client, inputs and outputs alike (stream feeds, TAK SA,
/// MQTT, the TAK, MQTT and SAPIENT outputs): waits of
/// [`FIRST_BACKOFF`] doubling to [`MAX_BACKOFF`], started afresh only by a connection that
/// lasted [`STABLE_CONNECTION`]. A peer that accepts and drops at once (a full server, a
/// broker refusing us after CONNACK, a wrong port behind a proxy) is then retried ever more
/// slowly instead of every [`FIRST_BACKOFF`] forever. Pure: the caller passes the instants.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    connected_at: Option<tokio::time::Instant>,
}

impl Backoff {
    /// Before the first attempt.
    pub fn new() -> Self {
        Backoff {
            next: FIRST_BACKOFF,
            connected_at: None,
        }
    }

    /// How long to wait before the next attempt; the one after waits twice as long.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (d * 2).min(MAX_BACKOFF);
        d
    }

    /// A connection was made at `now` (it does not reset the backoff by itself).
    pub fn connected(&mut self, now: tokio::time::Instant) {
        self.connected_at = Some(now);
    }

    /// The connection ended at `now`: if it had lasted [`STABLE_CONNECTION`], the next wait is
    /// [`FIRST_BACKOFF`] again. Without a connection (a failed attempt) nothing changes.
    pub fn disconnected(&mut self, now: tokio::time::Instant) {
        if let Some(at) = self.connected_at.take() {
            if now.saturating_duration_since(at) >= STABLE_CONNECTION {
                self.next = FIRST_BACKOFF;
            }
        }
    }

    /// The attempt failed or the connection ended at `now`: [`Self::disconnected`], then the
    /// wait before the next attempt.
    pub fn failed(&mut self, now: tokio::time::Instant) -> Duration {
        self.disconnected(now);
        self.next_delay()
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_only_a_stable_connection_resets_it() {
        let t0 = tokio::time::Instant::now();
        let s = |secs: f64| t0 + Duration::from_secs_f64(secs);
        let mut b = Backoff::new();
        // Failed attempts: 0.5, 1, 2, 4, 8, 16, 30, 30 s.
        let waits: Vec<f64> = (0..8).map(|_| b.next_delay().as_secs_f64()).collect();
        assert_eq!(waits, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]);

        // A peer that accepts and drops at once does not reset it, however often.
        let mut b = Backoff::new();
        let mut waits = Vec::new();
        let mut now = 0.0;
        for _ in 0..5 {
            b.connected(s(now));
            now += 0.01;
            b.disconnected(s(now));
            let d = b.next_delay().as_secs_f64();
            waits.push(d);
            now += d;
        }
        assert_eq!(waits, [0.5, 1.0, 2.0, 4.0, 8.0]);

        // Just short of STABLE_CONNECTION: still no reset.
        b.connected(s(100.0));
        b.disconnected(s(100.0) + STABLE_CONNECTION - Duration::from_millis(1));
        assert_eq!(b.next_delay(), Duration::from_secs(16));
        // A connection that lasted STABLE_CONNECTION starts afresh at FIRST_BACKOFF.
        b.connected(s(200.0));
        b.disconnected(s(200.0) + STABLE_CONNECTION);
        assert_eq!(b.next_delay(), FIRST_BACKOFF);
        assert_eq!(b.next_delay(), Duration::from_secs(1));
        // Each connection counts once: a second disconnect without a connect resets nothing.
        b.disconnected(s(10_000.0));
        assert_eq!(b.next_delay(), Duration::from_secs(2));
        // A clock that went backwards (disconnect "before" connect) is a short connection.
        b.connected(s(300.0));
        b.disconnected(s(299.0));
        assert_eq!(b.next_delay(), Duration::from_secs(4));
    }

    #[test]
    fn failed_is_a_disconnect_and_the_next_wait() {
        let t0 = tokio::time::Instant::now();
        let mut b = Backoff::new();
        let waits: Vec<f64> = (0..9).map(|_| b.failed(t0).as_secs_f64()).collect();
        assert_eq!(waits, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]);
        // Connected, dropped after 3 s: no reset.
        b.connected(t0);
        assert_eq!(b.failed(t0 + Duration::from_secs(3)).as_secs_f64(), 30.0);
        // Connected for 10 s: afresh.
        b.connected(t0);
        assert_eq!(b.failed(t0 + STABLE_CONNECTION).as_secs_f64(), 0.5);
        assert_eq!(b.failed(t0 + STABLE_CONNECTION).as_secs_f64(), 1.0);
        // A connection counts once: the next failure without one keeps doubling.
        assert_eq!(b.failed(t0 + Duration::from_secs(60)).as_secs_f64(), 2.0);
    }
}
