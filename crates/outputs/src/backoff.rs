//! The reconnect rule every output shares (the same as the inputs' in `picket-inputs`):
//! wait 0.5 s, doubling to 30 s, and start afresh only after a connection that lasted 10 s —
//! a peer that accepts and drops at once must not be hammered every half second.

use std::time::{Duration, Instant};

const FIRST: Duration = Duration::from_millis(500);
const MAX: Duration = Duration::from_secs(30);
/// A connection that lasted this long resets the backoff.
const STABLE_CONNECTION: Duration = Duration::from_secs(10);

/// Reconnect waits for one connection.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
    connected_at: Option<Instant>,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            next: FIRST,
            connected_at: None,
        }
    }

    /// The connection is up (now).
    pub(crate) fn connected(&mut self) {
        self.connected_at = Some(Instant::now());
    }

    /// The attempt failed or the connection ended (now): how long to wait before the next.
    pub(crate) fn failed(&mut self) -> Duration {
        self.failed_at(Instant::now())
    }

    fn failed_at(&mut self, now: Instant) -> Duration {
        if let Some(since) = self.connected_at.take() {
            if now.saturating_duration_since(since) >= STABLE_CONNECTION {
                self.next = FIRST;
            }
        }
        let wait = self.next;
        self.next = (self.next * 2).min(MAX);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(b: &mut Backoff, now: Instant) -> f64 {
        b.failed_at(now).as_secs_f64()
    }

    #[test]
    fn doubles_to_thirty_seconds_and_resets_only_after_a_lasting_connection() {
        let t0 = Instant::now();
        let mut b = Backoff::new();
        let waits: Vec<f64> = (0..9).map(|_| secs(&mut b, t0)).collect();
        assert_eq!(waits, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]);
        // Connected, dropped after 3 s: no reset.
        b.connected_at = Some(t0);
        assert_eq!(secs(&mut b, t0 + Duration::from_secs(3)), 30.0);
        // Connected for 10 s: afresh.
        b.connected_at = Some(t0);
        assert_eq!(secs(&mut b, t0 + STABLE_CONNECTION), 0.5);
        assert_eq!(secs(&mut b, t0 + STABLE_CONNECTION), 1.0);
        // A connection counts once: the next failure without one keeps doubling.
        assert_eq!(secs(&mut b, t0 + Duration::from_secs(60)), 2.0);
    }
}
