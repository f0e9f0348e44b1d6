//! Tasking sensors from the API: a small handle both sides share, so the API (which asks) and
//! an input adapter (which owns the socket to the sensor) need not know each other.
//!
//! An adapter that can task its sensor [`Tasking::register`]s under its sensor id and
//! serves the [`TaskRequest`]s it receives; the API calls [`Tasking::look_at`] and gets the
//! sensor's acknowledgement (or a typed reason why there is none).

use picket_core::{GeoPoint, SensorId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Task requests waiting for one adapter at most; more are refused as busy.
const QUEUE: usize = 16;

/// Point the sensor at a place.
#[derive(Clone, Debug, PartialEq)]
pub struct LookAt {
    /// The task's id (a ULID), echoed in the sensor's acknowledgement.
    pub task_id: String,
    /// Where to look (WGS-84, height above the ellipsoid).
    pub target: GeoPoint,
    /// Which of the sensor's connected nodes (SAPIENT node id); `None` when it has only one.
    pub node_id: Option<String>,
}

/// What the sensor answered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TaskAck {
    /// The task's id.
    pub task_id: String,
    /// The node that answered.
    pub node_id: String,
    /// `accepted`, `rejected`, `completed`, `failed` or `unspecified`, as the sensor said.
    pub status: String,
    /// The sensor's reasons, if it gave any.
    pub reasons: Vec<String>,
}

/// Why a task got no acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// No adapter that takes tasks serves this sensor.
    #[error("sensor `{0}` does not take tasks (only SAPIENT sensors do)")]
    NotTaskable(SensorId),
    /// No node is connected and registered.
    #[error("no SAPIENT node of sensor `{0}` is connected and registered")]
    NoNode(SensorId),
    /// The node named is not connected.
    #[error("node `{0}` is not connected")]
    UnknownNode(String),
    /// Several nodes are connected and none was named.
    #[error("several nodes are connected ({}); name one with node_id", .0.join(", "))]
    Ambiguous(Vec<String>),
    /// The adapter has too many tasks in flight.
    #[error("the sensor's task queue is full; try again")]
    Busy,
    /// The node did not acknowledge in time.
    #[error("no TaskAck within {0:?}")]
    Timeout(Duration),
    /// The connection closed before the acknowledgement came.
    #[error("the node disconnected before acknowledging")]
    Disconnected,
}

/// One task for an adapter to send; it answers on `reply`.
#[derive(Debug)]
pub struct TaskRequest {
    /// The task.
    pub look_at: LookAt,
    /// Where the acknowledgement (or why there is none) goes.
    pub reply: oneshot::Sender<Result<TaskAck, TaskError>>,
}

/// The registry of adapters that take tasks, by sensor. Cheap to clone; all clones share it.
#[derive(Clone, Debug, Default)]
pub struct Tasking {
    adapters: Arc<Mutex<HashMap<SensorId, mpsc::Sender<TaskRequest>>>>,
}

impl Tasking {
    /// An adapter serving `sensor` takes tasks from now on: it reads them from the receiver.
    /// Registering again replaces the previous registration (an adapter restarted); replacing
    /// one whose adapter still listens is logged, since its tasks now go to the new one.
    pub fn register(&self, sensor: SensorId) -> mpsc::Receiver<TaskRequest> {
        let (tx, rx) = mpsc::channel(QUEUE);
        if let Ok(mut m) = self.adapters.lock() {
            if m.get(&sensor).is_some_and(|old| !old.is_closed()) {
                tracing::warn!(%sensor, "a second adapter takes tasks for this sensor; the first gets none from now on");
            }
            m.insert(sensor, tx);
        }
        rx
    }

    /// Whether `sensor` takes tasks.
    pub fn is_taskable(&self, sensor: &SensorId) -> bool {
        self.sender(sensor).is_some_and(|s| !s.is_closed())
    }

    fn sender(&self, sensor: &SensorId) -> Option<mpsc::Sender<TaskRequest>> {
        self.adapters.lock().ok()?.get(sensor).cloned()
    }

    /// Asks `sensor` to look at a place; waits up to `timeout` for its acknowledgement.
    pub async fn look_at(
        &self,
        sensor: &SensorId,
        look_at: LookAt,
        timeout: Duration,
    ) -> Result<TaskAck, TaskError> {
        let tx = self
            .sender(sensor)
            .ok_or_else(|| TaskError::NotTaskable(sensor.clone()))?;
        let (reply, rx) = oneshot::channel();
        tx.try_send(TaskRequest { look_at, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => TaskError::Busy,
                mpsc::error::TrySendError::Closed(_) => TaskError::NotTaskable(sensor.clone()),
            })?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(TaskError::Disconnected),
            Err(_) => Err(TaskError::Timeout(timeout)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look() -> LookAt {
        LookAt {
            task_id: "01J".into(),
            target: GeoPoint::new(31.0, -110.0, 1400.0),
            node_id: None,
        }
    }

    #[tokio::test]
    async fn a_registered_adapter_answers_and_others_are_not_taskable() {
        let t = Tasking::default();
        let s = SensorId::from("sapient-1");
        let mut rx = t.register(s.clone());
        assert!(t.is_taskable(&s));
        assert!(!t.is_taskable(&SensorId::from("radar")));
        tokio::spawn(async move {
            let req = rx.recv().await.unwrap();
            let ack = TaskAck {
                task_id: req.look_at.task_id.clone(),
                node_id: "n".into(),
                status: "accepted".into(),
                reasons: vec![],
            };
            let _ = req.reply.send(Ok(ack));
        });
        let ack = t.look_at(&s, look(), Duration::from_secs(5)).await.unwrap();
        assert_eq!(
            (ack.task_id.as_str(), ack.status.as_str()),
            ("01J", "accepted")
        );
        let other = t
            .look_at(&SensorId::from("radar"), look(), Duration::from_secs(1))
            .await;
        assert_eq!(other, Err(TaskError::NotTaskable(SensorId::from("radar"))));
    }

    #[tokio::test]
    async fn a_silent_adapter_times_out_and_a_dropped_request_is_a_disconnect() {
        let t = Tasking::default();
        let s = SensorId::from("s");
        let mut rx = t.register(s.clone());
        let r = t.look_at(&s, look(), Duration::from_millis(50)).await;
        assert_eq!(r, Err(TaskError::Timeout(Duration::from_millis(50))));
        tokio::spawn(async move {
            let _ = rx.recv().await; // dropped unanswered
        });
        let r = t.look_at(&s, look(), Duration::from_secs(5)).await;
        assert!(matches!(r, Err(TaskError::Disconnected)), "{r:?}");
    }
}
