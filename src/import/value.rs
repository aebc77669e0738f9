//! The typed values a cell can hold once parsed by its column type, and the small value
//! types that exist only in imports: party IDs, number plates, funds and the fixed choices.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::schema::{Choice, ColumnType, MoneyUnit, normalise_header};
use crate::domain::date::{Period, parse_date, parse_period};
use crate::domain::money::Fen;
use crate::domain::region::{Level, RegionCode};
use crate::domain::resident_id::{ResidentId, half_width};
use crate::domain::uscc::Uscc;

/// The identifier of a counterparty or payee, who may be a person or a company.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PartyId {
    Person(ResidentId),
    Company(Uscc),
}

impl PartyId {
    /// Parses a resident ID or, failing that, a unified social credit code.
    ///
    /// Both are 18 characters, so the error reported is the one for the form the input
    /// most resembles: 17 digits suggest a resident ID, anything else a company code. A
    /// company code whose check character fails is accepted (early codes may fail it),
    /// unless it is shaped like a resident ID (17 digits and a digit or X): that is far
    /// more likely a mistyped ID number than an old company code.
    pub fn parse(input: &str) -> Result<PartyId, String> {
        let person = match ResidentId::parse(input) {
            Ok(id) => return Ok(PartyId::Person(id)),
            Err(e) => e,
        };
        let company = match Uscc::parse(input) {
            Ok(code) if code.check_ok() || !resident_shaped(input) => {
                return Ok(PartyId::Company(code));
            }
            Ok(code) => {
                let mismatch = code.check_mismatch().map(|m| m.to_string());
                format!("{code}: {}", mismatch.unwrap_or_default())
            }
            Err(e) => e.to_string(),
        };
        let digits = input
            .trim()
            .chars()
            .map(half_width)
            .take(17)
            .filter(char::is_ascii_digit)
            .count();
        let likely = if digits == 17 {
            person.to_string()
        } else {
            company
        };
        Err(format!(
            "neither a resident ID nor a unified social credit code ({likely})"
        ))
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        match self {
            PartyId::Person(id) => id.as_str(),
            PartyId::Company(code) => code.as_str(),
        }
    }
}

/// Whether the input is shaped like a resident ID: 17 digits, then a digit or X.
fn resident_shaped(input: &str) -> bool {
    let chars: Vec<char> = input.trim().chars().map(half_width).collect();
    chars.len() == 18
        && chars[..17].iter().all(char::is_ascii_digit)
        && (chars[17].is_ascii_digit() || matches!(chars[17], 'X' | 'x'))
}

/// A vehicle number plate such as `京A12345` or the eight-character new-energy `京AD12345`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Plate(String);

impl Plate {
    /// Parses a plate, removing spaces and the `·` some registries print after the city
    /// letter, and upper-casing the letters.
    pub fn parse(input: &str) -> Result<Plate, String> {
        let chars: Vec<char> = input
            .chars()
            .map(half_width)
            .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '•' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bad = |why: &str| format!("{} is not a number plate: {why}", input.trim());
        let Some((&region, rest)) = chars.split_first() else {
            return Err(bad("it is empty"));
        };
        if !is_cjk(region) {
            return Err(bad("it must start with a Chinese region character"));
        }
        let (body, suffix) = match rest.split_last() {
            Some((&last, body)) if is_cjk(last) => (body, Some(last)),
            _ => (rest, None),
        };
        let Some((&city, serial)) = body.split_first() else {
            return Err(bad("it has no letters or digits after the region"));
        };
        let serial_len = if suffix.is_some() { 4..=5 } else { 5..=6 };
        if !city.is_ascii_uppercase()
            || !serial_len.contains(&serial.len())
            || !serial.iter().all(char::is_ascii_alphanumeric)
        {
            return Err(bad("expected a letter and 5 or 6 letters or digits"));
        }
        Ok(Plate(chars.into_iter().collect()))
    }

    /// The plate as normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// A welfare fund. The four funds the collision rules know have fixed names; any other
/// fund a department reports is kept under the name it gave.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fund {
    /// 低保, the minimum living allowance.
    Dibao,
    /// 五保 / 特困供养, support for people with no one to support them.
    Wubao,
    /// 危房改造, the dilapidated-house renovation subsidy.
    HouseRenovation,
    /// 残疾人补贴, disability subsidies.
    Disability,
    /// Any other fund, by the name given in the file.
    Other(String),
}

impl Fund {
    /// Maps a fund name, Chinese or English, to a fund; unknown names become `Other`.
    pub fn parse(input: &str) -> Fund {
        let name = input.trim();
        let key: String = name.chars().map(half_width).collect::<String>();
        match key.to_lowercase().as_str() {
            "dibao" | "低保" | "最低生活保障" | "城乡低保" | "农村低保" | "城市低保" => {
                Fund::Dibao
            }
            "wubao" | "五保" | "特困" | "特困供养" | "五保供养" | "特困人员救助供养" => {
                Fund::Wubao
            }
            "house_renovation" | "危房改造" | "农村危房改造" => Fund::HouseRenovation,
            "disability" | "残疾人补贴" | "残疾人两项补贴" => Fund::Disability,
            _ => Fund::Other(name.to_owned()),
        }
    }

    /// The Chinese name, as in titles, summaries and the public pages.
    pub fn chinese_name(&self) -> &str {
        match self {
            Fund::Dibao => "低保",
            Fund::Wubao => "特困供养",
            Fund::HouseRenovation => "危房改造补助",
            Fund::Disability => "残疾人补贴",
            Fund::Other(name) => name,
        }
    }

    /// The canonical name, or the name given for other funds.
    pub fn as_str(&self) -> &str {
        match self {
            Fund::Dibao => "dibao",
            Fund::Wubao => "wubao",
            Fund::HouseRenovation => "house_renovation",
            Fund::Disability => "disability",
            Fund::Other(name) => name,
        }
    }
}

/// Who approved a village payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalLevel {
    Village,
    Town,
}

/// How a project's contractor was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procurement {
    Tender,
    Quote,
    Direct,
}

pub use super::company_status::CompanyStatus;

/// A parsed cell. Its `Display` is the canonical text used to compare row keys.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Text(String),
    Person(ResidentId),
    Company(Uscc),
    Party(PartyId),
    Money(Fen),
    Date(NaiveDate),
    Period(Period),
    Bool(bool),
    Region(RegionCode),
    Choice(&'static str),
    Fund(Fund),
    Status(CompanyStatus),
    Ids(Vec<ResidentId>),
    Plate(Plate),
}

/// Parses one non-empty, trimmed cell by its column type.
pub(crate) fn parse_cell(
    ty: ColumnType,
    unit: MoneyUnit,
    text: &str,
    known_regions: &dyn Fn(&RegionCode) -> bool,
) -> Result<Value, String> {
    let err = |e: &dyn fmt::Display| e.to_string();
    Ok(match ty {
        ColumnType::Text => Value::Text(text.to_owned()),
        ColumnType::ResidentId => Value::Person(ResidentId::parse(text).map_err(|e| err(&e))?),
        ColumnType::Uscc => Value::Company(Uscc::parse(text).map_err(|e| err(&e))?),
        ColumnType::PartyId => Value::Party(PartyId::parse(text)?),
        ColumnType::Money => Value::Money(
            match unit {
                MoneyUnit::Yuan => Fen::parse_yuan(text),
                MoneyUnit::WanYuan => Fen::parse_wan_yuan(text),
            }
            .map_err(|e| err(&e))?,
        ),
        ColumnType::Date => Value::Date(parse_date(text)?),
        ColumnType::Period => Value::Period(parse_period(text)?),
        ColumnType::YesNo => Value::Bool(parse_yes_no(text)?),
        ColumnType::VillageCode => Value::Region(parse_region(text, true, known_regions)?),
        ColumnType::RegionCode => Value::Region(parse_region(text, false, known_regions)?),
        ColumnType::Enum(choices) => Value::Choice(parse_choice(text, choices)?),
        ColumnType::Fund => Value::Fund(Fund::parse(text)),
        ColumnType::CompanyStatus => Value::Status(CompanyStatus::parse(text)?),
        ColumnType::IdList => Value::Ids(parse_id_list(text)?),
        ColumnType::Plate => Value::Plate(Plate::parse(text)?),
    })
}

/// What the uploader should know about a cell that parsed: a credit code whose check
/// character fails (accepted, because some early codes fail it).
pub(crate) fn cell_warning(value: &Value) -> Option<String> {
    let code = match value {
        Value::Company(code) | Value::Party(PartyId::Company(code)) => code,
        _ => return None,
    };
    let mismatch = code.check_mismatch()?;
    Some(format!("unified social credit code {code}: {mismatch}"))
}

fn parse_yes_no(text: &str) -> Result<bool, String> {
    let key: String = text
        .chars()
        .map(half_width)
        .collect::<String>()
        .to_lowercase();
    match key.as_str() {
        "是" | "yes" | "y" | "1" | "true" => Ok(true),
        "否" | "no" | "n" | "0" | "false" => Ok(false),
        _ => Err(format!(
            "{text} is not yes or no (use 是/否, yes/no, Y/N or 1/0)"
        )),
    }
}

fn parse_region(
    text: &str,
    village_only: bool,
    known_regions: &dyn Fn(&RegionCode) -> bool,
) -> Result<RegionCode, String> {
    let code = RegionCode::parse(text).map_err(|e| e.to_string())?;
    if village_only && code.level() != Level::Village {
        return Err(format!(
            "{code} is a {} code; this column needs a village",
            code.level()
        ));
    }
    if !known_regions(&code) {
        return Err(format!("{code} is not in the region tree"));
    }
    Ok(code)
}

fn parse_choice(text: &str, choices: &'static [Choice]) -> Result<&'static str, String> {
    // Choices are matched like headers, so `Town`, ` town ` and `镇级` all count.
    let key = normalise_header(text);
    choices
        .iter()
        .find(|c| c.value == key || c.aliases.iter().any(|a| normalise_header(a) == key))
        .map(|c| c.value)
        .ok_or_else(|| format!("{text} is not {}", ColumnType::Enum(choices).describe()))
}

/// Parses `;`-separated resident IDs, reporting every bad one with its position.
fn parse_id_list(text: &str) -> Result<Vec<ResidentId>, String> {
    let pieces: Vec<&str> = text
        .split([';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut ids = Vec::with_capacity(pieces.len());
    let mut problems = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        match ResidentId::parse(piece) {
            Ok(id) => ids.push(id),
            Err(e) => problems.push(format!("ID {} of {}: {e}", i + 1, pieces.len())),
        }
    }
    if problems.is_empty() {
        Ok(ids)
    } else {
        Err(problems.join("; "))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => f.write_str(s),
            Value::Person(id) => f.write_str(id.as_str()),
            Value::Company(code) => f.write_str(code.as_str()),
            Value::Party(party) => f.write_str(party.as_str()),
            Value::Money(fen) => write!(f, "{fen}"),
            Value::Date(date) => write!(f, "{date}"),
            Value::Period(period) => write!(f, "{period}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Region(code) => f.write_str(code.as_str()),
            Value::Choice(choice) => f.write_str(choice),
            Value::Fund(fund) => f.write_str(fund.as_str()),
            Value::Status(status) => f.write_str(status.as_str()),
            Value::Ids(ids) => {
                let ids: Vec<&str> = ids.iter().map(ResidentId::as_str).collect();
                f.write_str(&ids.join(";"))
            }
            Value::Plate(plate) => f.write_str(plate.as_str()),
        }
    }
}

/// Serialises a value type as its text and deserialises it through its `parse`, so a
/// stored value is checked again on the way back in.
macro_rules! serde_as_text {
    ($type:ty, $parse:expr) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $parse(&text)
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

serde_as_text!(PartyId, |t: &str| PartyId::parse(t)
    .map_err(serde::de::Error::custom));
serde_as_text!(Plate, |t: &str| Plate::parse(t)
    .map_err(serde::de::Error::custom));
serde_as_text!(Fund, |t: &str| Ok(Fund::parse(t)));
