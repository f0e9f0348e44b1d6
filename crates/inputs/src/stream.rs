//! Byte-stream feeds shared by the receiver formats that come over TCP or from a file (Beast,
//! AVR, SBS-1): one reconnect-with-backoff loop, one file reader, and a bounded line splitter.
//! Each format plugs in as a [`StreamDecoder`].

use picket_core::{Input, Timestamp};
use picket_pipeline::{AdapterContext, InputSink};
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// No byte from a feed for this long: assume the connection is dead and reconnect.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// First wait before reconnecting; doubles per failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A connection that lasted this long resets the backoff.
const STABLE_CONNECTION: Duration = Duration::from_secs(10);

/// Where a stream feed's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamSource {
    /// Connect as a TCP client to `host:port`, reconnecting with backoff.
    Tcp(String),
    /// Read a file once, as fast as the pipeline takes it.
    File(PathBuf),
}

impl std::fmt::Display for StreamSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamSource::Tcp(a) => write!(f, "tcp://{a}"),
            StreamSource::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

/// Turns a feed's bytes into inputs. Rejections are counted on the sink.
pub(crate) trait StreamDecoder: Send {
    /// A new connection (or the file) starts: framing state starts afresh; what is known of
    /// aircraft (CPR state, callsigns) is kept.
    fn start(&mut self);
    /// Bytes received at `received`.
    fn push(&mut self, bytes: &[u8], received: Timestamp, sink: &InputSink, out: &mut Vec<Input>);
    /// The stream ended: `clean` at the end of a file (a last line without its newline is
    /// still a line), not clean when a connection dropped (a partial line or frame was cut
    /// and is rejected, never parsed: a cut SBS line can still look valid).
    fn finish(&mut self, clean: bool, received: Timestamp, sink: &InputSink, out: &mut Vec<Input>);
}

/// Run a feed until shutdown (a file: until its end). `what` names the format in messages.
pub(crate) async fn run(
    source: StreamSource,
    what: &'static str,
    ctx: AdapterContext,
    decoder: impl StreamDecoder,
) {
    match source {
        StreamSource::Tcp(addr) => tcp(addr, what, ctx, decoder).await,
        StreamSource::File(path) => file(path, what, ctx, decoder).await,
    }
}

/// Hand inputs to the pipeline; false when it is shutting down.
async fn send_all(sink: &InputSink, inputs: &mut Vec<Input>) -> bool {
    for i in inputs.drain(..) {
        if !sink.send(i).await {
            return false;
        }
    }
    true
}

async fn tcp(
    addr: String,
    what: &'static str,
    ctx: AdapterContext,
    mut decoder: impl StreamDecoder,
) {
    let AdapterContext {
        sink, mut shutdown, ..
    } = ctx;
    let mut backoff = FIRST_BACKOFF;
    let mut buf = vec![0u8; 16 * 1024];
    let mut inputs = Vec::new();
    loop {
        let conn = tokio::select! {
            _ = shutdown.changed() => return,
            c = tokio::net::TcpStream::connect(&addr) => c,
        };
        match conn {
            Ok(mut stream) => {
                let connected_at = std::time::Instant::now();
                sink.announce(true, format!("connected to {what} feed {addr}"));
                tracing::info!(sensor = %sink.sensor_id(), %addr, "{what} feed connected");
                decoder.start();
                loop {
                    // A receiver that vanished without closing (power, link) must not hold the
                    // feed forever: no byte for READ_TIMEOUT means reconnect.
                    let n = tokio::select! {
                        _ = shutdown.changed() => return,
                        r = tokio::time::timeout(READ_TIMEOUT, stream.read(&mut buf)) => match r {
                            Ok(r) => r.unwrap_or(0),
                            Err(_) => 0,
                        },
                    };
                    if n == 0 {
                        break;
                    }
                    decoder.push(&buf[..n], crate::wall_now(), &sink, &mut inputs);
                    if !send_all(&sink, &mut inputs).await {
                        return;
                    }
                }
                decoder.finish(false, crate::wall_now(), &sink, &mut inputs);
                if !send_all(&sink, &mut inputs).await {
                    return;
                }
                sink.announce(false, format!("{what} feed {addr} closed; reconnecting"));
                tracing::warn!(sensor = %sink.sensor_id(), %addr, "{what} feed closed; reconnecting");
                // Only a connection that lasted starts the backoff afresh: a peer that accepts
                // and closes at once must not be hammered every FIRST_BACKOFF.
                if connected_at.elapsed() >= STABLE_CONNECTION {
                    backoff = FIRST_BACKOFF;
                }
            }
            Err(e) => {
                tracing::warn!(sensor = %sink.sensor_id(), %addr, "cannot connect to {what} feed: {e}; retrying in {backoff:?}")
            }
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn file(
    path: PathBuf,
    what: &'static str,
    ctx: AdapterContext,
    mut decoder: impl StreamDecoder,
) {
    let AdapterContext {
        sink, mut shutdown, ..
    } = ctx;
    let mut f = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(sensor = %sink.sensor_id(), path = %path.display(), "cannot open {what} file: {e}");
            return;
        }
    };
    decoder.start();
    let mut buf = vec![0u8; 64 * 1024];
    let mut inputs = Vec::new();
    loop {
        let n = tokio::select! {
            _ = shutdown.changed() => return,
            r = f.read(&mut buf) => r.unwrap_or(0),
        };
        if n == 0 {
            decoder.finish(true, crate::wall_now(), &sink, &mut inputs);
            let _ = send_all(&sink, &mut inputs).await;
            tracing::info!(sensor = %sink.sensor_id(), path = %path.display(), "{what} file finished");
            return;
        }
        decoder.push(&buf[..n], crate::wall_now(), &sink, &mut inputs);
        if !send_all(&sink, &mut inputs).await {
            return;
        }
    }
}

/// Splits a byte stream into lines of at most `max` bytes (CR LF or LF; the CR is left for the
/// line parser). An over-long line is reported once and skipped up to its newline, so a
/// hostile peer that never sends one holds at most `max` bytes.
pub(crate) struct Lines {
    max: usize,
    pending: Vec<u8>,
    overlong: bool,
}

/// One piece of a [`Lines`] stream.
pub(crate) enum Line<'a> {
    /// A complete line (without its LF).
    Text(&'a [u8]),
    /// A line longer than the limit started here; its rest is skipped.
    TooLong,
    /// A partial line cut off by a dropped connection.
    Cut,
}

impl Lines {
    pub(crate) fn new(max: usize) -> Self {
        Lines {
            max,
            pending: Vec::new(),
            overlong: false,
        }
    }

    /// Forget a partial line (a new connection starts).
    pub(crate) fn reset(&mut self) {
        self.pending.clear();
        self.overlong = false;
    }

    pub(crate) fn push(&mut self, mut bytes: &[u8], mut each: impl FnMut(Line<'_>)) {
        while let Some(i) = bytes.iter().position(|b| *b == b'\n') {
            if !self.overlong {
                if self.pending.is_empty() && i <= self.max {
                    each(Line::Text(&bytes[..i]));
                } else if self.pending.len() + i <= self.max {
                    self.pending.extend_from_slice(&bytes[..i]);
                    each(Line::Text(&self.pending));
                } else {
                    each(Line::TooLong);
                }
            }
            self.pending.clear();
            self.overlong = false;
            bytes = &bytes[i + 1..];
        }
        if !self.overlong {
            if self.pending.len() + bytes.len() > self.max {
                each(Line::TooLong);
                self.pending.clear();
                self.overlong = true;
            } else {
                self.pending.extend_from_slice(bytes);
            }
        }
    }

    /// The end of the stream: `clean`, the last line even without a newline; otherwise a
    /// partial line is reported as [`Line::Cut`].
    pub(crate) fn finish(&mut self, clean: bool, mut each: impl FnMut(Line<'_>)) {
        if !self.overlong && !self.pending.is_empty() {
            each(if clean {
                Line::Text(&self.pending)
            } else {
                Line::Cut
            });
        }
        self.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]], max: usize) -> Vec<Option<Vec<u8>>> {
        let mut l = Lines::new(max);
        let mut out = Vec::new();
        let mut each = |x: Line<'_>| {
            out.push(match x {
                Line::Text(t) => Some(t.to_vec()),
                Line::TooLong | Line::Cut => None,
            })
        };
        for c in chunks {
            l.push(c, &mut each);
        }
        l.finish(true, &mut each);
        out
    }

    #[test]
    fn lines_across_chunks_and_a_final_line_without_newline() {
        let got = split(&[b"ab", b"c\nde\r\n", b"f"], 10);
        assert_eq!(
            got,
            vec![
                Some(b"abc".to_vec()),
                Some(b"de\r".to_vec()),
                Some(b"f".to_vec())
            ]
        );
    }

    #[test]
    fn an_overlong_line_is_reported_once_and_the_next_line_parses() {
        let long = vec![b'x'; 100];
        let got = split(&[&long, &long, b"\nok\n"], 10);
        assert_eq!(got, vec![None, Some(b"ok".to_vec())]);
        let got = split(&[b"0123456789AB\nok\n"], 10);
        assert_eq!(got, vec![None, Some(b"ok".to_vec())]);
        // Exactly at the limit is fine, in one chunk or two.
        let got = split(&[b"01234", b"56789\n"], 10);
        assert_eq!(got, vec![Some(b"0123456789".to_vec())]);
    }

    #[test]
    fn a_line_cut_by_a_disconnect_is_not_a_line() {
        let mut l = Lines::new(100);
        let mut got = Vec::new();
        l.push(b"whole\nMSG,3,1,1,4CA", |x| {
            got.push(matches!(x, Line::Text(_)))
        });
        l.finish(false, |x| got.push(matches!(x, Line::Text(_))));
        assert_eq!(got, vec![true, false]);
    }
}
