//! Dense groups in the graph of significant pairs: the candidate rings of `bid_ring`.
//!
//! A ring's members all bid with each other, so every pair of them is significant: a
//! ring is a clique. Connected components are not rings: in a busy market, chance
//! discoveries and the odd pair of real partners link up into one "ring" of the whole
//! market, one pair at a time. So the groups are the maximal cliques (Bron–Kerbosch with
//! pivoting), then cliques that differ by one missing pair are joined into one group
//! when the union stays nearly complete (every member significant with all the others
//! but at most one), because a ring of six has fifteen pairs and one of them may fall
//! short of significance by chance.

use std::collections::{BTreeMap, BTreeSet};

/// Beyond this many maximal cliques the search stops: a graph with so many is a dense
/// market, not a few rings, and the cliques found so far are judged.
const MAX_CLIQUES: usize = 10_000;

/// Who is significant with whom.
type Graph = BTreeMap<usize, BTreeSet<usize>>;

/// The graph of `pairs`.
pub(super) fn graph(pairs: impl IntoIterator<Item = (usize, usize)>) -> Graph {
    let mut graph = Graph::new();
    for (a, b) in pairs {
        graph.entry(a).or_default().insert(b);
        graph.entry(b).or_default().insert(a);
    }
    graph
}

/// The dense groups of `graph` with `min..=max` members, each sorted, in order.
pub(super) fn dense_groups(graph: &Graph, min: usize, max: usize) -> Vec<Vec<usize>> {
    let mut cliques = Vec::new();
    let all: BTreeSet<usize> = graph.keys().copied().collect();
    expand(graph, BTreeSet::new(), all, BTreeSet::new(), &mut cliques);
    cliques.retain(|c| c.len() >= min);
    let groups = join_near_cliques(graph, cliques, max);
    let mut groups: Vec<Vec<usize>> = groups
        .into_iter()
        .filter(|g| (min..=max).contains(&g.len()))
        .map(|g| g.into_iter().collect())
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

fn neighbours(graph: &Graph, v: usize) -> BTreeSet<usize> {
    graph.get(&v).cloned().unwrap_or_default()
}

/// Bron–Kerbosch with pivoting: every maximal clique containing `chosen`, extended
/// from `open` and not from `done`.
fn expand(
    graph: &Graph,
    chosen: BTreeSet<usize>,
    mut open: BTreeSet<usize>,
    mut done: BTreeSet<usize>,
    out: &mut Vec<BTreeSet<usize>>,
) {
    if out.len() >= MAX_CLIQUES {
        return;
    }
    if open.is_empty() && done.is_empty() {
        out.push(chosen);
        return;
    }
    // The pivot with the most neighbours among the open vertices leaves the fewest
    // branches to try.
    let pivot = open
        .iter()
        .chain(&done)
        .max_by_key(|&&u| graph.get(&u).map_or(0, |n| n.intersection(&open).count()))
        .copied();
    let skip = pivot.map(|p| neighbours(graph, p)).unwrap_or_default();
    let branches: Vec<usize> = open.difference(&skip).copied().collect();
    for v in branches {
        let near = neighbours(graph, v);
        let mut next = chosen.clone();
        next.insert(v);
        let next_open = open.intersection(&near).copied().collect();
        let next_done = done.intersection(&near).copied().collect();
        expand(graph, next, next_open, next_done, out);
        open.remove(&v);
        done.insert(v);
    }
}

/// Whether every member of `group` is linked to all the others but at most one.
fn nearly_complete(graph: &Graph, group: &BTreeSet<usize>) -> bool {
    group.iter().all(|&v| {
        let linked = graph.get(&v).map_or(0, |n| n.intersection(group).count());
        linked + 2 >= group.len()
    })
}

/// Joins cliques whose union is nearly complete and not above `max`, until none can be
/// joined; a clique inside a joined group is dropped.
fn join_near_cliques(
    graph: &Graph,
    mut groups: Vec<BTreeSet<usize>>,
    max: usize,
) -> Vec<BTreeSet<usize>> {
    loop {
        let mut joined = None;
        'search: for (i, first) in groups.iter().enumerate() {
            for (j, second) in groups.iter().enumerate().skip(i + 1) {
                if first.is_disjoint(second) {
                    continue;
                }
                let union: BTreeSet<usize> = first.union(second).copied().collect();
                if union.len() <= max && nearly_complete(graph, &union) {
                    joined = Some((i, j, union));
                    break 'search;
                }
            }
        }
        let Some((i, j, union)) = joined else {
            break;
        };
        groups.remove(j);
        groups.remove(i);
        groups.retain(|g| !g.is_subset(&union));
        groups.push(union);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(pairs: &[(usize, usize)], max: usize) -> Vec<Vec<usize>> {
        dense_groups(&graph(pairs.iter().copied()), 3, max)
    }

    /// Every pair of `members`.
    fn complete(members: &[usize]) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for (i, &a) in members.iter().enumerate() {
            pairs.extend(members.iter().skip(i + 1).map(|&b| (a, b)));
        }
        pairs
    }

    #[test]
    fn a_chain_of_pairs_is_no_ring() {
        // 0-1-2-3-4-5: a connected component of six, and not a single triangle.
        let chain: Vec<(usize, usize)> = (0..5).map(|i| (i, i + 1)).collect();
        assert!(groups(&chain, 6).is_empty());
    }

    #[test]
    fn two_rings_joined_by_one_pair_stay_two_rings() {
        let mut pairs = complete(&[0, 1, 2, 3]);
        pairs.extend(complete(&[10, 11, 12]));
        pairs.push((3, 10));
        assert_eq!(groups(&pairs, 6), vec![vec![0, 1, 2, 3], vec![10, 11, 12]]);
    }

    #[test]
    fn a_ring_missing_one_pair_is_still_one_ring() {
        let mut pairs = complete(&[0, 1, 2, 3, 4, 5]);
        pairs.retain(|&p| p != (4, 5));
        assert_eq!(groups(&pairs, 6), vec![vec![0, 1, 2, 3, 4, 5]]);
        // Two missing pairs at one member is no longer nearly complete: two cliques.
        pairs.retain(|&p| p != (3, 5));
        let expected = vec![vec![0, 1, 2, 3, 4], vec![0, 1, 2, 5]];
        assert_eq!(groups(&pairs, 6), expected);
    }

    #[test]
    fn groups_above_the_largest_ring_are_left_out() {
        assert!(groups(&complete(&[0, 1, 2, 3, 4, 5, 6]), 6).is_empty());
        assert_eq!(groups(&complete(&[0, 1, 2]), 6), vec![vec![0, 1, 2]]);
        assert!(groups(&complete(&[0, 1]), 6).is_empty());
    }
}
