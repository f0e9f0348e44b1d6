//! Joint probabilistic data association (JPDA): the marginal probability that each gated
//! observation came from each track, by exact enumeration of the joint association events of
//! each cluster of the gating graph.
//!
//! An event assigns every track of a cluster either one of its gated observations (each used at
//! most once) or none; its weight is the product over tracks of `Pd · N(y) / λ` (assigned) or
//! `1 − Pd` (missed), with `N` the innovation density and `λ` the clutter density. The work of
//! a cluster is the number of its events, so clusters with more than [`MAX_EVENTS`] are left to
//! the caller's global-nearest-neighbour assignment.

use crate::assign::Pair;
use std::collections::BTreeMap;

/// Most joint events enumerated for one cluster.
pub(crate) const MAX_EVENTS: usize = 20_000;

/// The association probabilities of one scan.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Marginals {
    /// Per pair (same order as the input): the probability that the pair's observation came
    /// from the pair's track; 0 for pairs left to the fallback.
    pub beta: Vec<f64>,
    /// Per pair: its cluster was too large (or numerically degenerate) for enumeration.
    pub fallback: Vec<bool>,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Marginals for `pairs` (gated track/observation pairs) with `ln_lr[i] = ln(Pd·N(y_i)/λ)`,
/// and `ln_miss = ln(1 − Pd)`.
pub(crate) fn marginals(
    n_tracks: usize,
    n_obs: usize,
    pairs: &[Pair],
    ln_lr: &[f64],
    ln_miss: f64,
) -> Marginals {
    debug_assert!(pairs.iter().all(|p| p.track < n_tracks && p.obs < n_obs));
    let mut beta = vec![0.0; pairs.len()];
    let mut fallback = vec![false; pairs.len()];
    // Union-find over the tracks that appear in pairs only, then the observations.
    let tracks = crate::assign::paired_tracks(pairs);
    let node = |p: &Pair| tracks.binary_search(&p.track).unwrap_or(0);
    let n_nodes = tracks.len();
    let mut parent: Vec<usize> = (0..n_nodes + n_obs).collect();
    for p in pairs {
        let (a, b) = (
            find(&mut parent, node(p)),
            find(&mut parent, n_nodes + p.obs),
        );
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, p) in pairs.iter().enumerate() {
        let root = find(&mut parent, node(p));
        clusters.entry(root).or_default().push(i);
    }
    for members in clusters.values() {
        if !solve_cluster(pairs, ln_lr, ln_miss, members, &mut beta) {
            for &i in members {
                fallback[i] = true;
                beta[i] = 0.0;
            }
        }
    }
    Marginals { beta, fallback }
}

/// Enumerates the cluster's events; false when there are too many or the weights degenerate.
fn solve_cluster(
    pairs: &[Pair],
    ln_lr: &[f64],
    ln_miss: f64,
    members: &[usize],
    beta: &mut [f64],
) -> bool {
    // Each track's options: its pairs (indices into `pairs`).
    let mut by_track: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in members {
        by_track.entry(pairs[i].track).or_default().push(i);
    }
    let options: Vec<Vec<usize>> = by_track.into_values().collect();
    let mut events = 1usize;
    for o in &options {
        events = events.saturating_mul(o.len() + 1);
        if events > MAX_EVENTS {
            return false;
        }
    }
    // Every event's log weight is at most this, so the weights below never overflow.
    let reference: f64 = options
        .iter()
        .map(|o| o.iter().map(|&i| ln_lr[i]).fold(ln_miss, f64::max))
        .sum();
    let mut acc = vec![0.0; pairs.len()];
    let mut total = 0.0;
    let mut chosen: Vec<usize> = Vec::with_capacity(options.len());
    let mut used_obs: Vec<usize> = Vec::with_capacity(options.len());
    enumerate(
        &options,
        pairs,
        ln_lr,
        ln_miss,
        reference,
        0,
        0.0,
        &mut chosen,
        &mut used_obs,
        &mut acc,
        &mut total,
    );
    if !(total > 0.0 && total.is_finite()) {
        return false;
    }
    for &i in members {
        beta[i] = acc[i] / total;
    }
    true
}

#[allow(clippy::too_many_arguments)]
fn enumerate(
    options: &[Vec<usize>],
    pairs: &[Pair],
    ln_lr: &[f64],
    ln_miss: f64,
    reference: f64,
    depth: usize,
    ln_w: f64,
    chosen: &mut Vec<usize>,
    used_obs: &mut Vec<usize>,
    acc: &mut [f64],
    total: &mut f64,
) {
    let Some(track_options) = options.get(depth) else {
        let w = (ln_w - reference).exp();
        *total += w;
        for &i in chosen.iter() {
            acc[i] += w;
        }
        return;
    };
    // This track missed.
    enumerate(
        options,
        pairs,
        ln_lr,
        ln_miss,
        reference,
        depth + 1,
        ln_w + ln_miss,
        chosen,
        used_obs,
        acc,
        total,
    );
    for &i in track_options {
        let obs = pairs[i].obs;
        if used_obs.contains(&obs) {
            continue;
        }
        chosen.push(i);
        used_obs.push(obs);
        enumerate(
            options,
            pairs,
            ln_lr,
            ln_miss,
            reference,
            depth + 1,
            ln_w + ln_lr[i],
            chosen,
            used_obs,
            acc,
            total,
        );
        chosen.pop();
        used_obs.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(track: usize, obs: usize) -> Pair {
        Pair {
            track,
            obs,
            cost: 0.0,
        }
    }

    #[test]
    fn one_track_one_observation_is_the_pda_closed_form() {
        // β = Pd·L / (Pd·L + 1 − Pd), with L the likelihood ratio N/λ.
        let (pd, l) = (0.9f64, 5.0f64);
        let m = marginals(1, 1, &[pair(0, 0)], &[(pd * l).ln()], (1.0 - pd).ln());
        let expect = pd * l / (pd * l + 1.0 - pd);
        assert!((m.beta[0] - expect).abs() < 1e-12, "{}", m.beta[0]);
        assert_eq!(m.fallback, [false]);
    }

    #[test]
    fn two_tracks_sharing_two_observations_match_hand_enumeration() {
        // Likelihood ratios (already × Pd): t0-o0 4, t0-o1 1, t1-o0 2, t1-o1 3; miss 0.1.
        let pairs = [pair(0, 0), pair(0, 1), pair(1, 0), pair(1, 1)];
        let lr: [f64; 4] = [4.0, 1.0, 2.0, 3.0];
        let miss = 0.1;
        let ln_lr: Vec<f64> = lr.iter().map(|v| v.ln()).collect();
        let m = marginals(2, 2, &pairs, &ln_lr, f64::ln(miss));
        // Events: (−,−) .01, (0,−) .4, (1,−) .1, (−,0) .2, (−,1) .3, (0,1) 12, (1,0) 2.
        let total = 0.01 + 0.4 + 0.1 + 0.2 + 0.3 + 12.0 + 2.0;
        let expect = [
            (0.4 + 12.0) / total,
            (0.1 + 2.0) / total,
            (0.2 + 2.0) / total,
            (0.3 + 12.0) / total,
        ];
        for (got, want) in m.beta.iter().zip(expect) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn a_huge_cluster_is_left_to_the_fallback() {
        // 8 tracks each gating 8 shared observations: 9⁸ events.
        let mut pairs = Vec::new();
        for t in 0..8 {
            for o in 0..8 {
                pairs.push(pair(t, o));
            }
        }
        let ln_lr = vec![0.0; pairs.len()];
        let m = marginals(8, 8, &pairs, &ln_lr, f64::ln(0.1));
        assert!(m.fallback.iter().all(|&f| f));
        assert!(m.beta.iter().all(|&b| b == 0.0));
    }

    #[test]
    fn separate_clusters_do_not_interact() {
        let pairs = [pair(0, 0), pair(1, 1)];
        let ln_lr = [f64::ln(9.0), f64::ln(1.0)];
        let m = marginals(2, 2, &pairs, &ln_lr, f64::ln(1.0));
        assert!((m.beta[0] - 0.9).abs() < 1e-12);
        assert!((m.beta[1] - 0.5).abs() < 1e-12);
    }
}
