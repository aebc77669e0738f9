//! The report form's challenge: a small sum in words, issued with the form and answered
//! with it, kept on the server (no outside captcha service). It stops blind scripts, a
//! form sent back faster than a person writes, and the same form sent twice: a challenge
//! is answered at most once, not before `min_age` and not after `MAX_AGE`.
//!
//! Issued challenges live in a bounded cache: a stranger fetching forms by the thousand
//! can only push out other unanswered challenges (whose owners are asked again), never
//! grow the server's memory.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

/// Unanswered challenges remembered at once.
const REMEMBERED: usize = 100_000;
/// How long a form stays answerable.
const MAX_AGE: Duration = Duration::minutes(30);

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// A challenge as the form shows it.
pub struct Issued {
    pub token: String,
    pub question: String,
}

/// Why an answer was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Unknown, already answered, or expired: ask again.
    Stale,
    TooFast,
    Wrong,
}

pub struct Challenges {
    issued: quick_cache::sync::Cache<String, (u32, DateTime<Utc>)>,
    min_age: Duration,
}

impl Challenges {
    pub fn new(min_age_seconds: u32) -> Challenges {
        Challenges {
            issued: quick_cache::sync::Cache::new(REMEMBERED),
            min_age: Duration::seconds(i64::from(min_age_seconds)),
        }
    }

    pub fn issue(&self, now: DateTime<Utc>) -> Issued {
        let mut rng = rand::thread_rng();
        let (a, b) = (rng.gen_range(1..=9u32), rng.gen_range(1..=9u32));
        // Letters only (a–p for each hex digit): a token is never mistaken for a number
        // on a page, such as an ID number by the test that looks for them.
        let token: String = uuid::Uuid::new_v4()
            .as_bytes()
            .iter()
            .flat_map(|b| [b >> 4, b & 0x0f])
            .map(|nibble| char::from(b'a' + nibble))
            .collect();
        self.issued.insert(token.clone(), (a + b, now));
        Issued {
            token,
            question: format!(
                "{}加{}等于几？（请填数字）",
                DIGITS[a as usize], DIGITS[b as usize]
            ),
        }
    }

    /// Takes the challenge `token` answered with `answer`: it cannot be answered again.
    pub fn answer(&self, token: &str, answer: &str, now: DateTime<Utc>) -> Result<(), Refused> {
        let (expected, issued_at) = self
            .issued
            .remove(token)
            .map(|(_, value)| value)
            .ok_or(Refused::Stale)?;
        if now - issued_at > MAX_AGE {
            return Err(Refused::Stale);
        }
        if now - issued_at < self.min_age {
            return Err(Refused::TooFast);
        }
        match answer.trim().parse::<u32>() {
            Ok(given) if given == expected => Ok(()),
            _ => Err(Refused::Wrong),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn expected(challenges: &Challenges, token: &str) -> u32 {
        challenges.issued.get(token).unwrap().0
    }

    #[test]
    fn a_challenge_is_answered_once_not_too_fast_and_not_too_late() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
        let challenges = Challenges::new(5);
        let issued = challenges.issue(now);
        assert!(issued.question.contains("加"));
        let sum = expected(&challenges, &issued.token).to_string();
        let answered = challenges.answer(&issued.token, &sum, now + Duration::seconds(2));
        assert_eq!(answered, Err(Refused::TooFast));

        let issued = challenges.issue(now);
        let sum = expected(&challenges, &issued.token).to_string();
        let later = now + Duration::seconds(10);
        assert_eq!(
            challenges.answer(&issued.token, "99", later),
            Err(Refused::Wrong)
        );
        let issued = challenges.issue(now);
        let sum_ok = expected(&challenges, &issued.token).to_string();
        assert_eq!(challenges.answer(&issued.token, &sum_ok, later), Ok(()));
        assert_eq!(
            challenges.answer(&issued.token, &sum_ok, later),
            Err(Refused::Stale),
            "answered twice"
        );
        let _ = sum;
        let old = challenges.issue(now);
        let sum = expected(&challenges, &old.token).to_string();
        let too_late = now + Duration::minutes(31);
        assert_eq!(
            challenges.answer(&old.token, &sum, too_late),
            Err(Refused::Stale)
        );
    }
}
