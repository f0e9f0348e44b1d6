//! GOSPA (generalised optimal sub-pattern assignment), p = 2, α = 2, position only, with the
//! optimal assignment, plus the continuity figures of the shared scorer (`score.py`).
//!
//! Per scan: `GOSPA = sqrt( min_assign Σ d² + c²/2 (#missed + #false) )`, `d` capped at `c`.
//! A pair at `d ≥ c` costs exactly what leaving both unassigned costs (`c²`), so only pairs
//! closer than `c` matter and every connected group of such pairs can be solved on its own:
//! the work grows with the size of the groups, not with the square of all targets.

use pathfinding::prelude::{kuhn_munkres_min, Matrix};
use serde::Serialize;
use std::collections::BTreeMap;

/// The labelled 2-D points of one scan (truths or tracks).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScanPoints {
    /// `target_id` of a truth or `track_id` of a track, one per point.
    pub ids: Vec<i64>,
    /// Position `[x, y]`, metres.
    pub xy: Vec<[f64; 2]>,
}

/// GOSPA of one scan.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanGospa {
    /// The metric, metres.
    pub gospa_m: f64,
    /// Σ d² over assigned pairs (d < c), m².
    pub loc_m2: f64,
    /// Truths without a track within `c`.
    pub missed: usize,
    /// Tracks without a truth within `c`.
    pub false_tracks: usize,
    /// Assigned pairs `(truth index, track index)`, sorted by truth index.
    pub pairs: Vec<(usize, usize)>,
}

/// Integer costs for Kuhn–Munkres: d² in units of 2⁻²⁰ m². With c = 100 m a cell is at most
/// ~10¹⁰ and a 10⁴-point group sums to ~10¹⁴, far from `i64` overflow; the rounding can only
/// prefer a pairing less than 10⁻⁶ m² per pair worse than the optimum.
const COST_SCALE: f64 = 1_048_576.0;

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn d2(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
    dx * dx + dy * dy
}

/// GOSPA (p = 2, α = 2) of `tracks` against `truths` with cut-off `c_m`.
pub fn gospa_scan(tracks: &[[f64; 2]], truths: &[[f64; 2]], c_m: f64) -> ScanGospa {
    let c2 = c_m * c_m;
    let (nk, nt) = (tracks.len(), truths.len());
    // Pairs closer than c: sweep the tracks sorted by x against each truth.
    let mut by_x: Vec<usize> = (0..nk).collect();
    by_x.sort_by(|&a, &b| tracks[a][0].total_cmp(&tracks[b][0]).then(a.cmp(&b)));
    let xs: Vec<f64> = by_x.iter().map(|&k| tracks[k][0]).collect();
    let mut edges: Vec<(usize, usize, f64)> = Vec::new(); // (truth, track, d²)
    for (ti, &t) in truths.iter().enumerate() {
        let lo = xs.partition_point(|&x| x < t[0] - c_m);
        let hi = xs.partition_point(|&x| x <= t[0] + c_m);
        for &k in &by_x[lo.min(hi)..hi] {
            let d = d2(t, tracks[k]);
            // `sqrt(d²) < c` exactly as the scorer decides it.
            if d.sqrt() < c_m {
                edges.push((ti, k, d));
            }
        }
    }
    // Connected groups: truths 0..nt, tracks nt.. .
    let mut parent: Vec<usize> = (0..nt + nk).collect();
    for &(t, k, _) in &edges {
        let (a, b) = (find(&mut parent, t), find(&mut parent, nt + k));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &(t, _, _)) in edges.iter().enumerate() {
        let root = find(&mut parent, t);
        groups.entry(root).or_default().push(i);
    }
    let mut pairs = Vec::new();
    for group in groups.values() {
        solve_group(&edges, group, c2, &mut pairs);
    }
    pairs.sort_unstable();
    let mut loc_m2 = 0.0;
    let mut chosen: Vec<(usize, usize)> = Vec::with_capacity(pairs.len());
    for &(t, k, i) in &pairs {
        loc_m2 += edges[i].2;
        chosen.push((t, k));
    }
    let missed = nt - chosen.len();
    let false_tracks = nk - chosen.len();
    let gospa_m = (loc_m2 + c2 / 2.0 * (missed + false_tracks) as f64).sqrt();
    ScanGospa {
        gospa_m,
        loc_m2,
        missed,
        false_tracks,
        pairs: chosen,
    }
}

/// Optimal assignment within one group of edges; pushes `(truth, track, edge index)`.
fn solve_group(
    edges: &[(usize, usize, f64)],
    group: &[usize],
    c2: f64,
    out: &mut Vec<(usize, usize, usize)>,
) {
    if group.len() == 1 {
        let (t, k, _) = edges[group[0]];
        out.push((t, k, group[0]));
        return;
    }
    let mut truths: Vec<usize> = group.iter().map(|&i| edges[i].0).collect();
    let mut tracks: Vec<usize> = group.iter().map(|&i| edges[i].1).collect();
    truths.sort_unstable();
    truths.dedup();
    tracks.sort_unstable();
    tracks.dedup();
    // Kuhn–Munkres wants rows ≤ columns.
    let transpose = truths.len() > tracks.len();
    let (rows, cols) = if transpose {
        (tracks.len(), truths.len())
    } else {
        (truths.len(), tracks.len())
    };
    let far = (c2 * COST_SCALE).round() as i64;
    let mut weights = Matrix::new(rows, cols, far);
    let mut edge_at = vec![usize::MAX; rows * cols];
    for &i in group {
        let (t, k, d) = edges[i];
        let (Ok(ti), Ok(ki)) = (truths.binary_search(&t), tracks.binary_search(&k)) else {
            continue;
        };
        let (r, c) = if transpose { (ki, ti) } else { (ti, ki) };
        weights[(r, c)] = (d * COST_SCALE).round() as i64;
        edge_at[r * cols + c] = i;
    }
    let (_, assignment) = kuhn_munkres_min(&weights);
    for (r, &c) in assignment.iter().enumerate() {
        let i = edge_at[r * cols + c];
        if i != usize::MAX {
            out.push((edges[i].0, edges[i].1, i));
        }
    }
}

/// Scores of a whole run at one cut-off `c`, with the same definitions as `score.py`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GospaSummary {
    /// Cut-off distance, metres.
    pub c_m: f64,
    /// Scans scored.
    pub scans: usize,
    /// Mean over scans of the per-scan GOSPA, metres.
    pub gospa_mean_m: f64,
    /// `sqrt(Σ_k GOSPA_k² / Σ_k |truths_k|)`, metres: comparable across target counts.
    pub gospa_rms_per_truth_m: f64,
    /// Share of the localisation part in `Σ_k GOSPA_k²`.
    pub loc_share: f64,
    /// Root mean square distance over assigned pairs, metres.
    pub loc_rmse_m: f64,
    /// Mean number of missed truths per scan.
    pub missed_mean: f64,
    /// Mean number of false tracks per scan.
    pub false_mean: f64,
    /// Mean `|#tracks − #truths|` per scan.
    pub card_abs_err_mean: f64,
    /// Times a truth's assigned track id changed between scans it was assigned in.
    pub id_switches: usize,
    /// Distinct truths.
    pub truths_total: usize,
    /// Truths never assigned a track.
    pub truths_never_tracked: usize,
    /// Mean scans from a truth's first scan to its first assignment.
    pub init_latency_mean_scans: Option<f64>,
}

/// Scores `tracks` against `truths`, both indexed by scan; scans beyond `tracks` have no tracks.
pub fn score(truths: &[ScanPoints], tracks: &[ScanPoints], c_m: f64) -> GospaSummary {
    let empty = ScanPoints::default();
    let mut birth: BTreeMap<i64, usize> = BTreeMap::new();
    let mut first_assigned: BTreeMap<i64, usize> = BTreeMap::new();
    let mut last_track: BTreeMap<i64, i64> = BTreeMap::new();
    let (mut sum_g, mut sum_g2, mut sum_loc) = (0.0, 0.0, 0.0);
    let (mut missed, mut false_tracks, mut assigned, mut card, mut n_truth) = (0, 0, 0, 0, 0);
    let mut switches = 0;
    for (k, tru) in truths.iter().enumerate() {
        let trk = tracks.get(k).unwrap_or(&empty);
        for &id in &tru.ids {
            birth.entry(id).or_insert(k);
        }
        let s = gospa_scan(&trk.xy, &tru.xy, c_m);
        sum_g += s.gospa_m;
        sum_g2 += s.gospa_m * s.gospa_m;
        sum_loc += s.loc_m2;
        missed += s.missed;
        false_tracks += s.false_tracks;
        assigned += s.pairs.len();
        card += trk.xy.len().abs_diff(tru.xy.len());
        n_truth += tru.xy.len();
        for &(ti, ki) in &s.pairs {
            let (Some(&tid), Some(&rid)) = (tru.ids.get(ti), trk.ids.get(ki)) else {
                continue;
            };
            first_assigned.entry(tid).or_insert(k);
            if let Some(prev) = last_track.insert(tid, rid) {
                if prev != rid {
                    switches += 1;
                }
            }
        }
    }
    let n = truths.len().max(1) as f64;
    let latencies: Vec<f64> = first_assigned
        .iter()
        .filter_map(|(id, &k)| birth.get(id).map(|&b| (k - b) as f64))
        .collect();
    GospaSummary {
        c_m,
        scans: truths.len(),
        gospa_mean_m: sum_g / n,
        gospa_rms_per_truth_m: (sum_g2 / n_truth.max(1) as f64).sqrt(),
        loc_share: if sum_g2 > 0.0 { sum_loc / sum_g2 } else { 0.0 },
        loc_rmse_m: (sum_loc / assigned.max(1) as f64).sqrt(),
        missed_mean: missed as f64 / n,
        false_mean: false_tracks as f64 / n,
        card_abs_err_mean: card as f64 / n,
        id_switches: switches,
        truths_total: birth.len(),
        truths_never_tracked: birth.len() - first_assigned.len(),
        init_latency_mean_scans: (!latencies.is_empty())
            .then(|| latencies.iter().sum::<f64>() / latencies.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sets_cost_half_c_squared_per_point() {
        let g = gospa_scan(&[[0.0, 0.0]], &[], 100.0);
        assert!((g.gospa_m - (5_000f64).sqrt()).abs() < 1e-12);
        assert_eq!((g.missed, g.false_tracks), (0, 1));
        let g = gospa_scan(&[], &[[0.0, 0.0], [1.0, 1.0]], 100.0);
        assert!((g.gospa_m - 100.0).abs() < 1e-12);
        assert_eq!(g.missed, 2);
    }

    #[test]
    fn a_pair_at_or_beyond_c_is_one_missed_and_one_false() {
        let g = gospa_scan(&[[100.0, 0.0]], &[[0.0, 0.0]], 100.0);
        assert_eq!((g.missed, g.false_tracks, g.pairs.len()), (1, 1, 0));
        assert!((g.gospa_m - 100.0).abs() < 1e-12);
        let g = gospa_scan(&[[99.0, 0.0]], &[[0.0, 0.0]], 100.0);
        assert_eq!(g.pairs, vec![(0, 0)]);
        assert!((g.gospa_m - 99.0).abs() < 1e-12);
    }

    #[test]
    fn optimal_assignment_beats_nearest_neighbour() {
        // Greedy pairs truth 0 with track 0 (d = 1), leaving truth 1 with track 1 at d = 81.
        let truths = [[0.0, 0.0], [41.0, 0.0]];
        let tracks = [[1.0, 0.0], [-40.0, 0.0]];
        let g = gospa_scan(&tracks, &truths, 100.0);
        // Options: (t0-k0 1, t1-k1 81) → 1 + 6561; (t0-k1 40, t1-k0 40) → 3200.
        assert_eq!(g.pairs, vec![(0, 1), (1, 0)]);
        assert!((g.loc_m2 - 3_200.0).abs() < 1e-9);
    }

    #[test]
    fn leaving_a_pair_out_can_be_optimal_only_through_the_cap() {
        // One track between two truths: it takes the nearer one, the other is missed.
        let g = gospa_scan(&[[10.0, 0.0]], &[[0.0, 0.0], [30.0, 0.0]], 100.0);
        assert_eq!(g.pairs, vec![(0, 0)]);
        assert_eq!((g.missed, g.false_tracks), (1, 0));
        assert!((g.gospa_m - (100.0f64 + 5_000.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn id_switch_is_counted_when_a_truth_changes_track() {
        let truths: Vec<ScanPoints> = (0..3)
            .map(|_| ScanPoints {
                ids: vec![7],
                xy: vec![[0.0, 0.0]],
            })
            .collect();
        let tracks = vec![
            ScanPoints {
                ids: vec![1],
                xy: vec![[1.0, 0.0]],
            },
            ScanPoints {
                ids: vec![2],
                xy: vec![[1.0, 0.0]],
            },
            ScanPoints {
                ids: vec![2],
                xy: vec![[2.0, 0.0]],
            },
        ];
        let s = score(&truths, &tracks, 100.0);
        assert_eq!(s.id_switches, 1);
        assert!((s.loc_rmse_m - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(s.init_latency_mean_scans, Some(0.0));
    }
}
