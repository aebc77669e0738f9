//! Running a pure function over many items on every core, keeping their order: the
//! import checks and serializes rows this way, the scan parses stored rows, and the
//! rules run side by side.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` over `items`, in order, on one thread per core. The items are cut into pieces of
/// `grain` that the threads take in turn, so a share of slow items does not leave one
/// thread working alone.
pub(crate) fn parallel_map<T: Sync, U: Send>(
    items: &[T],
    grain: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    let pieces: Vec<&[T]> = items.chunks(grain.max(1)).collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(pieces.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Vec<U>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(piece) = pieces.get(i) else { break };
                        mine.push((i, piece.iter().map(&f).collect()));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().flat_map(|(_, part)| part).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items_whatever_the_grain() {
        let items: Vec<u32> = (0..10_001).collect();
        for grain in [0, 1, 7, 4096, 20_000] {
            let doubled = parallel_map(&items, grain, |i| i * 2);
            assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
        assert!(parallel_map(&[] as &[u32], 8, |i| *i).is_empty());
    }
}
