//! The distributions the bidding rules test against, and the correction for testing many
//! hypotheses at once.
//!
//! Everything is computed exactly rather than through a normal approximation, because
//! the counts are small (a company bids a few dozen times) and the interesting cases sit
//! far out in the tail, where approximations are worst. Probabilities are built from
//! log-factorials so that binomial coefficients of a few thousand never overflow, and
//! tails are summed term by term from the far side, never as `1 − P(X < x)`, so a tail
//! of 1e-12 keeps its digits.

/// `ln k!` for every `k` up to a bound, so a binomial coefficient costs three lookups.
pub(super) struct LnFactorials(Vec<f64>);

impl LnFactorials {
    /// The table for `0..=n`.
    pub fn up_to(n: usize) -> LnFactorials {
        let mut table = Vec::with_capacity(n + 1);
        let mut sum = 0.0;
        table.push(sum);
        for k in 1..=n {
            sum += (k as f64).ln();
            table.push(sum);
        }
        LnFactorials(table)
    }

    fn get(&self, k: usize) -> f64 {
        // A bound too small is a bug of the caller; computing the value keeps it right.
        self.0
            .get(k)
            .copied()
            .unwrap_or_else(|| (1..=k).map(|i| (i as f64).ln()).sum())
    }

    /// `ln C(n, k)`, or minus infinity when `k > n` (no way to choose).
    pub fn ln_choose(&self, n: usize, k: usize) -> f64 {
        if k > n {
            return f64::NEG_INFINITY;
        }
        self.get(n) - self.get(k) - self.get(n - k)
    }
}

/// A distribution over the whole numbers `lo, lo + 1, …`, summing to one.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Pmf {
    lo: usize,
    p: Vec<f64>,
}

impl Pmf {
    /// Certainly `x`.
    pub fn point(x: usize) -> Pmf {
        Pmf {
            lo: x,
            p: vec![1.0],
        }
    }

    /// The distribution from log-weights of `lo, lo + 1, …`, normalised.
    fn from_ln_weights(lo: usize, ln_weights: &[f64]) -> Pmf {
        let top = ln_weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !top.is_finite() {
            return Pmf::point(lo);
        }
        let weights: Vec<f64> = ln_weights.iter().map(|w| (w - top).exp()).collect();
        let total: f64 = weights.iter().sum();
        Pmf {
            lo,
            p: weights.into_iter().map(|w| w / total).collect(),
        }
    }

    /// The distribution of the sum of two independent variables.
    pub fn plus(&self, other: &Pmf) -> Pmf {
        let mut p = vec![0.0; self.p.len() + other.p.len() - 1];
        for (i, a) in self.p.iter().enumerate() {
            for (j, b) in other.p.iter().enumerate() {
                if let Some(slot) = p.get_mut(i + j) {
                    *slot += a * b;
                }
            }
        }
        Pmf {
            lo: self.lo + other.lo,
            p,
        }
    }

    /// `P(X ≥ x)`.
    pub fn at_least(&self, x: usize) -> f64 {
        let skip = x.saturating_sub(self.lo);
        let tail: f64 = self.p.iter().skip(skip).rev().sum();
        tail.min(1.0)
    }

    /// The expected value.
    pub fn mean(&self) -> f64 {
        let at = |i: usize| (self.lo + i) as f64;
        self.p.iter().enumerate().map(|(i, p)| at(i) * p).sum()
    }
}

/// Fisher's noncentral hypergeometric distribution: of `total` items, `marked` are
/// marked; `drawn` items are chosen, each marked one with `odds` times the odds of an
/// unmarked one; the number of marked items chosen. With `odds` 1 it is the ordinary
/// hypergeometric distribution.
pub(super) fn fisher(
    ln: &LnFactorials,
    total: usize,
    marked: usize,
    drawn: usize,
    odds: f64,
) -> Pmf {
    let marked = marked.min(total);
    let drawn = drawn.min(total);
    let lo = drawn.saturating_sub(total - marked);
    let hi = marked.min(drawn);
    if odds <= 0.0 || !odds.is_finite() {
        // No room on the marked items (or a degenerate weight): as few as possible.
        return Pmf::point(lo);
    }
    let ln_odds = odds.ln();
    let weights: Vec<f64> = (lo..=hi)
        .map(|x| {
            ln.ln_choose(marked, x) + ln.ln_choose(total - marked, drawn - x) + x as f64 * ln_odds
        })
        .collect();
    Pmf::from_ln_weights(lo, &weights)
}

/// `P(S ≥ k)` for S the number of successes of independent trials with chances `probs`
/// (the Poisson-binomial distribution).
///
/// The distribution is followed only up to `k − 1` successes; mass reaching `k` is
/// moved to the tail as it arrives, so the cost is `probs.len() · k` and the tail is a
/// sum of positive terms.
pub(super) fn successes_at_least(probs: &[f64], k: usize) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let mut below = vec![0.0; k];
    if let Some(first) = below.first_mut() {
        *first = 1.0;
    }
    let mut tail = 0.0;
    for &p in probs {
        let p = p.clamp(0.0, 1.0);
        tail += below.last().copied().unwrap_or(0.0) * p;
        for j in (1..k).rev() {
            let moved = below.get(j - 1).copied().unwrap_or(0.0) * p;
            if let Some(slot) = below.get_mut(j) {
                *slot = *slot * (1.0 - p) + moved;
            }
        }
        if let Some(first) = below.first_mut() {
            *first *= 1.0 - p;
        }
    }
    tail.min(1.0)
}

/// Benjamini–Hochberg adjusted p-values ("q-values") of `p`, as if `tested` hypotheses
/// were tested in all; those not in `p` count as p = 1, which is how a caller skips
/// hypotheses that cannot be significant. A hypothesis is a discovery at false-discovery
/// rate `q` exactly when its adjusted value is at most `q`.
pub(super) fn benjamini_hochberg(p: &[f64], tested: usize) -> Vec<f64> {
    let tested = tested.max(p.len()) as f64;
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p.get(a).unwrap_or(&1.0).total_cmp(p.get(b).unwrap_or(&1.0)));
    let mut adjusted = vec![1.0; p.len()];
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        let value = p.get(i).copied().unwrap_or(1.0) * tested / (rank + 1) as f64;
        running = running.min(value);
        if let Some(slot) = adjusted.get_mut(i) {
            *slot = running.min(1.0);
        }
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
    }

    #[test]
    fn binomial_coefficients_come_from_the_table() {
        let ln = LnFactorials::up_to(100);
        assert!(close(ln.ln_choose(10, 3).exp(), 120.0));
        assert!(close(ln.ln_choose(80, 6).exp(), 300_500_200.0));
        assert_eq!(ln.ln_choose(3, 4), f64::NEG_INFINITY);
        // Beyond the table the value is computed, not wrong.
        assert!(close(ln.ln_choose(120, 2).exp(), 7_140.0));
    }

    #[test]
    fn the_hypergeometric_tail_matches_fisher_s_tea_tasting() {
        // Eight cups, four with milk first; the lady picks four: P(3 or 4 right) = 17/70.
        let ln = LnFactorials::up_to(8);
        let pmf = fisher(&ln, 8, 4, 4, 1.0);
        assert!(close(pmf.at_least(3), 17.0 / 70.0));
        assert!(close(pmf.at_least(4), 1.0 / 70.0));
        assert!(close(pmf.mean(), 2.0));
        assert!(close(pmf.at_least(0), 1.0));
        // Six of eighty tenders, the same six twice: one way in C(80, 6).
        let ln = LnFactorials::up_to(80);
        assert!(close(
            fisher(&ln, 80, 6, 6, 1.0).at_least(6),
            1.0 / 300_500_200.0
        ));
    }

    #[test]
    fn the_noncentral_tail_weights_each_marked_item_by_the_odds() {
        // Six items, three marked, three drawn, odds 2: the weights C(3,x)·C(3,3−x)·2^x
        // are 1, 18, 36 and 8, so P(X ≥ 2) = 44/63.
        let ln = LnFactorials::up_to(6);
        let pmf = fisher(&ln, 6, 3, 3, 2.0);
        assert!(close(pmf.at_least(2), 44.0 / 63.0));
        assert!(close(pmf.mean(), (18.0 + 72.0 + 24.0) / 63.0));
        // Drawing more than the unmarked items forces marked ones in.
        assert_eq!(fisher(&ln, 6, 4, 5, 1.0).at_least(3), 1.0);
        assert_eq!(fisher(&ln, 6, 3, 3, 0.0), Pmf::point(0));
    }

    #[test]
    fn sums_of_independent_counts_convolve() {
        let ln = LnFactorials::up_to(8);
        let one = fisher(&ln, 8, 4, 4, 1.0);
        let two = one.plus(&one);
        assert!(close(two.mean(), 4.0));
        // Both strata all right: (1/70)².
        assert!(close(two.at_least(8), 1.0 / 4_900.0));
        assert!(close(Pmf::point(2).plus(&one).at_least(6), 1.0 / 70.0));
    }

    #[test]
    fn the_poisson_binomial_tail_is_exact() {
        assert!(close(successes_at_least(&[0.5; 4], 3), 5.0 / 16.0));
        // 0.1, 0.5, 0.9: P(3) = 0.045, P(2) = 0.455.
        assert!(close(successes_at_least(&[0.1, 0.5, 0.9], 2), 0.5));
        assert!(close(successes_at_least(&[0.1, 0.5, 0.9], 3), 0.045));
        assert_eq!(successes_at_least(&[0.3], 0), 1.0);
        assert_eq!(successes_at_least(&[0.3], 2), 0.0);
        // Twelve wins in twelve tenders of five bidders.
        assert!(close(successes_at_least(&[0.2; 12], 12), 0.2f64.powi(12)));
    }

    #[test]
    fn benjamini_hochberg_steps_up() {
        // Thresholds 0.05·i/3: 0.0167, 0.0333, 0.05. The smallest p misses its own
        // threshold but the second meets its, so both are discoveries.
        let adjusted = benjamini_hochberg(&[0.02, 0.2, 0.03], 3);
        assert!(close(adjusted[0], 0.045) && close(adjusted[2], 0.045));
        assert!(close(adjusted[1], 0.2));
        // Hypotheses left out count as p = 1 and still count in the number tested.
        let adjusted = benjamini_hochberg(&[0.01], 10);
        assert!(close(adjusted[0], 0.1));
        assert!(benjamini_hochberg(&[], 5).is_empty());
    }
}
