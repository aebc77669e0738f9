//! How personal data is shown to the public: masked on the server, before anything is
//! rendered, so an unmasked name never reaches a public response.

/// A recipient's name as the public sees it: the family name and, for names of three or
/// more characters, the last character, with the rest starred (张*三, 欧**华); a
/// two-character name keeps only its first (张*).
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.as_slice() {
        [] | [_] => "*".to_string(),
        [first, _] => format!("{first}*"),
        [first, middle @ .., last] => {
            let mut masked = String::with_capacity(name.len());
            masked.push(*first);
            masked.extend(middle.iter().map(|_| '*'));
            masked.push(*last);
            masked
        }
    }
}

/// An ID number as an audit record names it: region and last two characters only
/// (`410221**********1X`), enough to match a complaint, not enough to identify anyone.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let (head, rest) = chars.split_at(6);
    let (middle, tail) = rest.split_at(rest.len() - 2);
    let mut masked: String = head.iter().collect();
    masked.extend(middle.iter().map(|_| '*'));
    masked.extend(tail);
    masked
}

/// A reporter's mobile number as an office sees it: `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    if phone.len() != 11 || !phone.is_ascii() {
        return "*".repeat(phone.chars().count());
    }
    format!("{}****{}", &phone[..3], &phone[7..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_first_and_last_characters_only() {
        assert_eq!(mask_name("张三丰"), "张*丰");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳春华"), "欧**华");
        assert_eq!(mask_name(" 李 "), "*");
        assert_eq!(mask_name(""), "*");
        assert_eq!(mask_name("阿卜杜·热合曼"), "阿*****曼");
    }

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn ids_keep_their_region_and_last_two_characters() {
        assert_eq!(mask_id("41022119800101123X"), "410221**********3X");
        assert_eq!(mask_id("1234"), "****");
    }
}
