//! The CoT event model: a typed `<event>` and `<point>`, and a generic `<detail>` tree.

use picket_core::Timestamp;

/// CoT's "unknown" value for `hae`, `ce` and `le`.
pub const UNKNOWN_ERROR_M: f64 = 9_999_999.0;

/// Bounds applied while decoding untrusted input. Every allocation the decoder makes is
/// bounded by `max_bytes` and these counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted XML event or protobuf message, bytes.
    pub max_bytes: usize,
    /// Deepest element nesting (`<event>` is depth 1).
    pub max_depth: usize,
    /// Most elements in one event.
    pub max_elements: usize,
    /// Most attributes on one element.
    pub max_attributes: usize,
}

impl Default for Limits {
    /// 256 KiB, depth 32, 4096 elements, 64 attributes: room for large drawn shapes and
    /// mission-package references, far below what could hurt the process.
    fn default() -> Self {
        Limits {
            max_bytes: 256 * 1024,
            max_depth: 32,
            max_elements: 4096,
            max_attributes: 64,
        }
    }
}

/// The `<point>` of an event: WGS-84 position and its errors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height above the WGS-84 ellipsoid, metres ([`UNKNOWN_ERROR_M`] when unknown).
    pub hae_m: f64,
    /// Circular (horizontal) 1-σ error, metres ([`UNKNOWN_ERROR_M`] when unknown).
    pub ce_m: f64,
    /// Linear (vertical) 1-σ error, metres ([`UNKNOWN_ERROR_M`] when unknown).
    pub le_m: f64,
}

impl Point {
    /// A point whose height and errors are unknown.
    pub const fn unknown_errors(lat_deg: f64, lon_deg: f64) -> Self {
        Point {
            lat_deg,
            lon_deg,
            hae_m: UNKNOWN_ERROR_M,
            ce_m: UNKNOWN_ERROR_M,
            le_m: UNKNOWN_ERROR_M,
        }
    }
    /// The height, unless it is CoT's "unknown".
    pub fn known_hae_m(&self) -> Option<f64> {
        known(self.hae_m)
    }
    /// The circular error, unless it is CoT's "unknown".
    pub fn known_ce_m(&self) -> Option<f64> {
        known(self.ce_m)
    }
    /// The linear error, unless it is CoT's "unknown".
    pub fn known_le_m(&self) -> Option<f64> {
        known(self.le_m)
    }
}

fn known(v: f64) -> Option<f64> {
    (v.is_finite() && v < UNKNOWN_ERROR_M).then_some(v)
}

/// One element of a `<detail>` tree.
///
/// Text is kept as one string per element: in mixed content (rare in CoT) the text pieces
/// are joined and written before the children. Whitespace-only text is dropped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    /// Tag name, as written (prefixes included).
    pub name: String,
    /// Attributes in document order.
    pub attrs: Vec<(String, String)>,
    /// Character data (entities resolved).
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// An empty element.
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Default::default()
        }
    }
    /// Adds an attribute (builder style).
    pub fn attr(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attrs.push((key.into(), value.into()));
        self
    }
    /// Sets the text (builder style).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }
    /// Adds a child (builder style).
    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }
    /// The value of attribute `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// The first child named `name`.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    /// All children named `name`.
    pub fn find_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// One CoT event.
#[derive(Clone, Debug, PartialEq)]
pub struct CotEvent {
    /// Globally unique id of the thing described; the same uid updates the same map item.
    pub uid: String,
    /// CoT type, e.g. `a-h-A-M-H-Q`.
    pub cot_type: String,
    /// How the position was obtained, e.g. `m-g` (GPS), `m-f` (fused), `h-e` (estimated).
    pub how: String,
    /// When the event was generated.
    pub time: Timestamp,
    /// From when it is valid.
    pub start: Timestamp,
    /// When it stops being valid.
    pub stale: Timestamp,
    /// Optional `access` attribute.
    pub access: Option<String>,
    /// Optional `qos` attribute.
    pub qos: Option<String>,
    /// Optional `opex` attribute.
    pub opex: Option<String>,
    /// Where.
    pub point: Point,
    /// The children of `<detail>` (empty: no `<detail>`).
    pub detail: Vec<Element>,
}

impl CotEvent {
    /// The first `<detail>` child named `name`.
    pub fn detail_element(&self, name: &str) -> Option<&Element> {
        self.detail.iter().find(|e| e.name == name)
    }
    /// `<contact callsign>`, if any.
    pub fn callsign(&self) -> Option<&str> {
        self.detail_element("contact")
            .and_then(|c| c.get("callsign"))
    }
    /// True when the event is stale at `now` (CoT: stale at or after the `stale` time).
    pub fn is_stale_at(&self, now: Timestamp) -> bool {
        now >= self.stale
    }
}
