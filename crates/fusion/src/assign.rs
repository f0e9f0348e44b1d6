//! Global-nearest-neighbour assignment of gated (track, observation) pairs.
//!
//! The gated pairs form a bipartite graph; each connected component (cluster) is solved on its
//! own, so the cost stays near-linear when targets are apart. A cluster of one track or one
//! observation takes its cheapest pair; a larger one goes to Kuhn–Munkres on integer costs.

use pathfinding::prelude::{kuhn_munkres_min, Matrix};

/// One gated pair: track row, observation column, cost (finite).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pair {
    /// Index of the track.
    pub track: usize,
    /// Index of the observation.
    pub obs: usize,
    /// Cost, smaller is better.
    pub cost: f64,
}

/// Float costs are scaled to integers by this factor (a resolution of 0.001 in d²).
const COST_SCALE: f64 = 1_000.0;
/// Integer costs are clamped to this, which keeps every sum far from `i64` overflow.
const MAX_COST: i64 = 1_000_000_000;
/// Kuhn–Munkres is O(n³): a cluster with more rows or columns than this (only hostile or
/// degenerate input makes one) is assigned greedily, cheapest pair first.
const MAX_OPTIMAL_CLUSTER: usize = 400;

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The pairs (indices into `pairs`) of a minimum-cost assignment in which every track and every
/// observation appears at most once, and as many pairs as possible are used. Sorted by track.
pub(crate) fn solve(n_tracks: usize, n_obs: usize, pairs: &[Pair]) -> Vec<usize> {
    debug_assert!(pairs.iter().all(|p| p.track < n_tracks && p.obs < n_obs));
    // Only the tracks that appear in pairs take part (a scan of one report among thousands of
    // tracks must not cost a pass over all of them).
    let tracks = paired_tracks(pairs);
    let node = |p: &Pair| tracks.binary_search(&p.track).unwrap_or(0);
    let n_nodes = tracks.len();
    // Union-find over the paired tracks 0..n_nodes and observations n_nodes.. .
    let mut parent: Vec<usize> = (0..n_nodes + n_obs).collect();
    for p in pairs {
        let a = find(&mut parent, node(p));
        let b = find(&mut parent, n_nodes + p.obs);
        if a != b {
            // Smaller root wins, so the labelling does not depend on pair order.
            let (lo, hi) = (a.min(b), a.max(b));
            parent[hi] = lo;
        }
    }
    // Group pair indices by cluster root; roots are track nodes (always the smaller node).
    let mut by_root: Vec<Vec<usize>> = vec![Vec::new(); n_nodes];
    for (i, p) in pairs.iter().enumerate() {
        let root = find(&mut parent, node(p));
        by_root[root].push(i);
    }
    let mut chosen = Vec::new();
    for cluster in by_root.iter().filter(|c| !c.is_empty()) {
        solve_cluster(pairs, cluster, &mut chosen);
    }
    chosen.sort_by_key(|&i| (pairs[i].track, pairs[i].obs));
    chosen
}

/// The distinct tracks of `pairs`, sorted.
pub(crate) fn paired_tracks(pairs: &[Pair]) -> Vec<usize> {
    let mut tracks: Vec<usize> = pairs.iter().map(|p| p.track).collect();
    tracks.sort_unstable();
    tracks.dedup();
    tracks
}

fn scaled(cost: f64, min: f64) -> i64 {
    // Float to int `as` saturates; the clamp bounds it further.
    (((cost - min) * COST_SCALE).round() as i64).clamp(0, MAX_COST)
}

fn solve_cluster(pairs: &[Pair], cluster: &[usize], chosen: &mut Vec<usize>) {
    let mut tracks: Vec<usize> = cluster.iter().map(|&i| pairs[i].track).collect();
    let mut obs: Vec<usize> = cluster.iter().map(|&i| pairs[i].obs).collect();
    tracks.sort_unstable();
    tracks.dedup();
    obs.sort_unstable();
    obs.dedup();
    let min = cluster
        .iter()
        .map(|&i| pairs[i].cost)
        .fold(f64::INFINITY, f64::min);
    // Ties broken by (track, obs) so the choice is reproducible.
    let key = |&i: &usize| (scaled(pairs[i].cost, min), pairs[i].track, pairs[i].obs);
    if tracks.len() == 1 || obs.len() == 1 {
        if let Some(&best) = cluster.iter().min_by_key(|i| key(i)) {
            chosen.push(best);
        }
        return;
    }
    if tracks.len() > MAX_OPTIMAL_CLUSTER || obs.len() > MAX_OPTIMAL_CLUSTER {
        greedy(pairs, cluster, key, chosen);
        return;
    }
    let (nt, no) = (tracks.len(), obs.len());
    let k = nt.min(no) as i64;
    // One forbidden pair costs more than any set of allowed ones, so the solver first maximises
    // the number of allowed pairs, then minimises their cost.
    let forbidden = (MAX_COST + 1) * (k + 1);
    let transpose = nt > no; // Kuhn–Munkres needs rows ≤ columns.
    let (rows, cols) = if transpose { (no, nt) } else { (nt, no) };
    let mut weights = Matrix::new(rows, cols, forbidden);
    let mut pair_at = vec![usize::MAX; rows * cols];
    for &i in cluster {
        let p = &pairs[i];
        let (Ok(t), Ok(o)) = (tracks.binary_search(&p.track), obs.binary_search(&p.obs)) else {
            continue;
        };
        let (r, c) = if transpose { (o, t) } else { (t, o) };
        let cost = scaled(p.cost, min);
        if cost < weights[(r, c)] {
            weights[(r, c)] = cost;
            pair_at[r * cols + c] = i;
        }
    }
    let (_, assignment) = kuhn_munkres_min(&weights);
    for (r, &c) in assignment.iter().enumerate() {
        let i = pair_at[r * cols + c];
        if i != usize::MAX {
            chosen.push(i);
        }
    }
}

fn greedy(
    pairs: &[Pair],
    cluster: &[usize],
    key: impl Fn(&usize) -> (i64, usize, usize),
    chosen: &mut Vec<usize>,
) {
    let mut order = cluster.to_vec();
    order.sort_by_key(key);
    let mut used_tracks = std::collections::BTreeSet::new();
    let mut used_obs = std::collections::BTreeSet::new();
    for i in order {
        let p = &pairs[i];
        if !used_tracks.contains(&p.track) && !used_obs.contains(&p.obs) {
            used_tracks.insert(p.track);
            used_obs.insert(p.obs);
            chosen.push(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(track: usize, obs: usize, cost: f64) -> Pair {
        Pair { track, obs, cost }
    }

    fn assigned(n_t: usize, n_o: usize, pairs: &[Pair]) -> Vec<(usize, usize)> {
        solve(n_t, n_o, pairs)
            .into_iter()
            .map(|i| (pairs[i].track, pairs[i].obs))
            .collect()
    }

    #[test]
    fn optimal_beats_greedy_on_a_shared_observation() {
        // Greedy would give obs 0 to track 0 (cost 1) and leave track 1 with cost 10.
        let pairs = [
            pair(0, 0, 1.0),
            pair(0, 1, 2.0),
            pair(1, 0, 1.5),
            pair(1, 1, 10.0),
        ];
        assert_eq!(assigned(2, 2, &pairs), vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn more_tracks_than_observations_is_solved_by_transposing() {
        let pairs = [
            pair(0, 0, 5.0),
            pair(1, 0, 1.0),
            pair(2, 0, 3.0),
            pair(2, 1, 4.0),
        ];
        assert_eq!(assigned(3, 2, &pairs), vec![(1, 0), (2, 1)]);
    }

    #[test]
    fn ungated_pairs_are_never_chosen_even_when_rows_must_be_filled() {
        // Track 1 gates nothing but track 0's observation is contested; the forbidden cell
        // (1, 1) must not appear.
        let pairs = [pair(0, 0, 1.0), pair(0, 1, 1.0), pair(1, 0, 1.0)];
        let got = assigned(2, 2, &pairs);
        assert_eq!(got, vec![(0, 1), (1, 0)]);
        let pairs = [
            pair(0, 0, 1.0),
            pair(1, 0, 2.0),
            pair(2, 0, 3.0),
            pair(2, 1, 0.5),
        ];
        let got = assigned(3, 2, &pairs);
        assert_eq!(got, vec![(0, 0), (2, 1)]);
    }

    #[test]
    fn separate_clusters_are_solved_independently() {
        let pairs = [pair(0, 1, 2.0), pair(1, 0, 3.0), pair(2, 2, 0.0)];
        assert_eq!(assigned(3, 3, &pairs), vec![(0, 1), (1, 0), (2, 2)]);
    }

    #[test]
    fn oversized_cluster_falls_back_to_greedy_without_conflicts() {
        let n = MAX_OPTIMAL_CLUSTER + 5;
        let mut pairs = Vec::new();
        for t in 0..n {
            pairs.push(pair(t, t, 1.0));
            pairs.push(pair(t, (t + 1) % n, 0.5));
        }
        let got = assigned(n, n, &pairs);
        assert_eq!(got.len(), n);
        let mut obs: Vec<usize> = got.iter().map(|p| p.1).collect();
        obs.sort_unstable();
        obs.dedup();
        assert_eq!(obs.len(), n, "an observation was used twice");
    }
}
