//! Chinese words for the codes some departments write instead: a cadre's role
//! (`secretary`, `member`) and a relative's relation (`son`, `spouse`).
//!
//! The registries are free text, and a file filled in from an English template, or
//! exported by a system that stores codes, carries the code rather than the word. The
//! rules keep the row as imported and put the Chinese word wherever a finding shows it
//! (summary and evidence), so an office reading 村支书 never meets `secretary`. Text
//! that is not a known code (a Chinese word, a local title) is shown as written.

use std::borrow::Cow;

/// Village cadre roles by their English codes.
const ROLES: &[(&str, &str)] = &[
    ("secretary", "村党支部书记"),
    ("party_secretary", "村党支部书记"),
    ("deputy_secretary", "村党支部副书记"),
    ("director", "村委会主任"),
    ("chair", "村委会主任"),
    ("chairman", "村委会主任"),
    ("deputy_director", "村委会副主任"),
    ("vice_director", "村委会副主任"),
    ("member", "村委会委员"),
    ("committee_member", "村委会委员"),
    ("supervisor", "村务监督委员会主任"),
    ("supervision_director", "村务监督委员会主任"),
    ("accountant", "村报账员"),
    ("cashier", "村报账员"),
    ("women_director", "村妇联主席"),
    ("group_leader", "村民小组长"),
];

/// Relations by their English codes.
const RELATIONS: &[(&str, &str)] = &[
    ("spouse", "配偶"),
    ("wife", "妻子"),
    ("husband", "丈夫"),
    ("son", "儿子"),
    ("daughter", "女儿"),
    ("child", "子女"),
    ("father", "父亲"),
    ("mother", "母亲"),
    ("parent", "父母"),
    ("brother", "兄弟"),
    ("sister", "姐妹"),
    ("sibling", "兄弟姐妹"),
    ("son_in_law", "女婿"),
    ("daughter_in_law", "儿媳"),
    ("father_in_law", "岳父（公公）"),
    ("mother_in_law", "岳母（婆婆）"),
    ("grandson", "孙子"),
    ("granddaughter", "孙女"),
    ("grandfather", "祖父"),
    ("grandmother", "祖母"),
    ("grandchild", "孙子女"),
];

/// `text` as a code: trimmed, lower-case, spaces and hyphens as `_`.
fn code(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn look_up<'a>(table: &[(&str, &'static str)], text: &'a str) -> Cow<'a, str> {
    let wanted = code(text);
    match table.iter().find(|(key, _)| *key == wanted) {
        Some((_, word)) => Cow::Borrowed(*word),
        None => Cow::Borrowed(text.trim()),
    }
}

/// A cadre's role in Chinese.
pub(super) fn cadre_role(text: &str) -> Cow<'_, str> {
    look_up(ROLES, text)
}

/// A family relation in Chinese.
pub(super) fn relation(text: &str) -> Cow<'_, str> {
    look_up(RELATIONS, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_become_words_and_words_stay() {
        assert_eq!(cadre_role("member"), "村委会委员");
        assert_eq!(cadre_role(" Secretary "), "村党支部书记");
        assert_eq!(cadre_role("deputy-director"), "村委会副主任");
        assert_eq!(cadre_role("村支书"), "村支书");
        assert_eq!(relation("son"), "儿子");
        assert_eq!(relation("Son in law"), "女婿");
        assert_eq!(relation("母亲"), "母亲");
        assert_eq!(relation("cousin"), "cousin");
    }
}
