//! Identifiers of fictional people, companies and vehicles, each valid by its standard and
//! each handed out once.
//!
//! Resident IDs use county code 990102 (province 99 does not exist), a plausible birth date
//! and a sequence digit of the right parity for the person's sex, with the ISO 7064
//! MOD 11-2 check character. Credit codes are `91990102` (an enterprise registered in
//! the demo county), nine organisation characters and the GB 32100 mod-31 check
//! character. The check formulas are those of `crate::domain`, whose parsers the tests
//! run on every generated identifier.
//!
//! Uniqueness is what keeps the clean population clean: a person appears in two datasets
//! only when the generator puts them there on purpose, never by a collision.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::names;

/// The weights of the first 17 digits of a resident ID (GB 11643).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character of a resident ID for each remainder modulo 11.
const ID_CHECKS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// The symbols of a credit code; a symbol's value is its index.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weights of the first 17 characters of a credit code (GB 32100).
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Distinct seven-symbol organisation serials: 31⁷.
const SERIALS: u64 = 27_512_614_111;
/// City letters of the fictional 清 plates (I and O are never used on plates).
const PLATE_CITIES: &[u8] = b"ABCDEFGHJKLMNPQRSTUV";

/// A fictional person.
#[derive(Clone, Debug)]
pub(super) struct Person {
    pub id: String,
    pub name: String,
    pub born: NaiveDate,
    pub male: bool,
}

/// Hands out people with distinct resident IDs.
#[derive(Default)]
pub(super) struct People {
    used: HashSet<String>,
}

impl People {
    /// A new person born in one of `years`, of either sex.
    pub fn born_in(&mut self, rng: &mut StdRng, years: (i32, i32)) -> Person {
        let male = rng.gen_bool(0.5);
        self.born_between(rng, years, male)
    }

    /// A new person of the given sex born in one of `years`.
    pub fn born_between(&mut self, rng: &mut StdRng, years: (i32, i32), male: bool) -> Person {
        let first = date(years.0, 1, 1);
        let span = date(years.1, 12, 31)
            .signed_duration_since(first)
            .num_days();
        let born = first + Days::new(rng.gen_range(0..=span.max(0)).unsigned_abs());
        self.born_on(rng, born, male)
    }

    /// A new person born on `born`, of the given sex.
    pub fn born_on(&mut self, rng: &mut StdRng, born: NaiveDate, male: bool) -> Person {
        // Most people were registered in the demo county; some in its neighbours.
        let county = match rng.gen_range(0..10) {
            0 => "990101",
            1 => "990103",
            _ => "990102",
        };
        loop {
            // The third sequence digit is odd for men and even for women.
            let seq = rng.gen_range(0..500) * 2 + u32::from(male);
            let id = resident_id(county, born, seq);
            if self.used.insert(id.clone()) {
                let name = names::person_name(rng, male);
                return Person {
                    id,
                    name,
                    born,
                    male,
                };
            }
        }
    }
}

/// A calendar date the generator knows to exist.
pub(super) fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// The resident ID of a person registered in `county`, born on `born`, with sequence `seq`.
pub(super) fn resident_id(county: &str, born: NaiveDate, seq: u32) -> String {
    let first17 = format!(
        "{county}{:04}{:02}{:02}{:03}",
        born.year(),
        born.month(),
        born.day(),
        seq % 1000
    );
    let sum: u32 = first17
        .bytes()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = ID_CHECKS.get((sum % 11) as usize).copied().unwrap_or('1');
    format!("{first17}{check}")
}

/// Hands out distinct credit codes and number plates.
pub(super) struct Codes {
    companies: u64,
    plates: u64,
    company_offset: u64,
    plate_offset: u64,
}

impl Codes {
    pub fn new(rng: &mut StdRng) -> Codes {
        Codes {
            companies: 0,
            plates: 0,
            company_offset: rng.gen_range(0..SERIALS),
            plate_offset: rng.gen_range(0..plate_capacity()),
        }
    }

    /// The next credit code. Serials are spread over the whole range by a multiplier
    /// prime to 31 (so none repeats), so that they look issued over the years rather
    /// than counted.
    pub fn uscc(&mut self) -> String {
        let n = (self.companies * 2_654_435_761 + self.company_offset) % SERIALS;
        self.companies += 1;
        let mut serial = [b'0'; 7];
        let mut rest = n;
        for slot in serial.iter_mut().rev() {
            *slot = USCC_ALPHABET[(rest % 31) as usize];
            rest /= 31;
        }
        let body = format!("91990102MA{}", String::from_utf8_lossy(&serial));
        format!("{body}{}", uscc_check(&body))
    }

    /// The next plate: `清` and a city letter, then five digits, or `D` and five digits
    /// for a new-energy vehicle.
    pub fn plate(&mut self, new_energy: bool) -> String {
        assert!(
            self.plates < plate_capacity(),
            "more vehicles than the fictional plates can number"
        );
        // 7,919 is prime to the capacity (a multiple of 2 and 5 only), so no plate repeats.
        let n = (self.plates * 7_919 + self.plate_offset) % plate_capacity();
        self.plates += 1;
        let city = char::from(PLATE_CITIES[(n / 100_000) as usize]);
        let digits = n % 100_000;
        if new_energy {
            format!("清{city}D{digits:05}")
        } else {
            format!("清{city}{digits:05}")
        }
    }
}

fn plate_capacity() -> u64 {
    PLATE_CITIES.len() as u64 * 100_000
}

/// The check character of the first 17 characters of a credit code.
fn uscc_check(body: &str) -> char {
    let value = |b: u8| USCC_ALPHABET.iter().position(|a| *a == b).unwrap_or(0) as u32;
    let sum: u32 = body
        .bytes()
        .zip(USCC_WEIGHTS)
        .map(|(b, w)| value(b) * w)
        .sum();
    char::from(USCC_ALPHABET[((31 - sum % 31) % 31) as usize])
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::domain::resident_id::ResidentId;
    use crate::domain::uscc::Uscc;
    use crate::import::value::Plate;

    #[test]
    fn generated_identifiers_pass_the_importers_checks_and_never_repeat() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut people = People::default();
        let mut codes = Codes::new(&mut rng);
        let mut seen = HashSet::new();
        for i in 0..2_000 {
            let person = people.born_in(&mut rng, (1930, 2005));
            let parsed = ResidentId::parse(&person.id).expect("a valid resident ID");
            assert_eq!(parsed.birth_date(), Some(person.born));
            let uscc = codes.uscc();
            assert!(Uscc::parse(&uscc).is_ok_and(|u| u.check_ok()), "{uscc}");
            let plate = codes.plate(i % 7 == 0);
            assert!(Plate::parse(&plate).is_ok(), "{plate}");
            assert!(seen.insert(person.id) && seen.insert(uscc) && seen.insert(plate));
        }
    }

    #[test]
    fn the_template_examples_have_the_check_characters_computed_here() {
        let born = date(1958, 2, 3);
        assert_eq!(resident_id("990102", born, 7), "990102195802030077");
        assert_eq!(uscc_check("91990102MA0000002"), 'G');
    }
}
