//! UTF-8 checked piece by piece. A text message from a screen is never kept (the reader
//! skips data), yet RFC 6455 §8.1 requires refusing one that is not UTF-8, wherever the
//! fragments and the socket's reads happen to cut it. So the check runs over each piece
//! as it passes and carries only the start of a character cut off at the end of a piece:
//! at most three bytes, whatever the message's length.

/// What the check has seen so far of one text message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Utf8Check {
    /// The start of a character whose remaining bytes have not arrived yet.
    carry: [u8; 3],
    carried: usize,
}

/// The bytes are not UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotUtf8;

impl Utf8Check {
    /// Checks the next piece of the message.
    pub fn feed(&mut self, mut piece: &[u8]) -> Result<(), NotUtf8> {
        if self.carried > 0 {
            piece = self.finish_carried(piece)?;
            if self.carried > 0 {
                // The piece ended before the cut character did; all of it is carried.
                return Ok(());
            }
        }
        match std::str::from_utf8(piece) {
            Ok(_) => Ok(()),
            // `error_len` is `None` only when the piece ends inside a character whose
            // bytes so far are valid: the rest may come with the next piece.
            Err(error) if error.error_len().is_none() => {
                let tail = &piece[error.valid_up_to()..];
                self.carry[..tail.len()].copy_from_slice(tail);
                self.carried = tail.len();
                Ok(())
            }
            Err(_) => Err(NotUtf8),
        }
    }

    /// The message has ended: it must not end inside a character.
    pub fn end(&self) -> Result<(), NotUtf8> {
        if self.carried == 0 {
            Ok(())
        } else {
            Err(NotUtf8)
        }
    }

    /// Completes the carried character with the first bytes of `piece` and returns the
    /// rest of the piece. When the piece is too short, what it has joins the carry.
    fn finish_carried<'p>(&mut self, piece: &'p [u8]) -> Result<&'p [u8], NotUtf8> {
        let width = char_width(self.carry[0]);
        let taken = (width - self.carried).min(piece.len());
        let mut joined = [0u8; 4];
        joined[..self.carried].copy_from_slice(&self.carry[..self.carried]);
        joined[self.carried..self.carried + taken].copy_from_slice(&piece[..taken]);
        let joined = &joined[..self.carried + taken];
        match std::str::from_utf8(joined) {
            Ok(_) => self.carried = 0,
            Err(error) if error.error_len().is_none() && joined.len() < width => {
                self.carry[..joined.len()].copy_from_slice(joined);
                self.carried = joined.len();
            }
            Err(_) => return Err(NotUtf8),
        }
        Ok(&piece[taken..])
    }
}

/// How many bytes the character led by `lead` has. Only leads that `from_utf8` accepted
/// as the start of an unfinished character are ever carried, so the table needs no
/// other cases.
fn char_width(lead: u8) -> usize {
    match lead {
        0xF0..=0xF4 => 4,
        0xE0..=0xEF => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` cut at `cuts` and reports whether the whole was accepted.
    fn check_cut(bytes: &[u8], cuts: &[usize]) -> bool {
        let mut check = Utf8Check::default();
        let mut from = 0;
        for &cut in cuts.iter().chain([bytes.len()].iter()) {
            if check.feed(&bytes[from..cut]).is_err() {
                return false;
            }
            from = cut;
        }
        check.end().is_ok()
    }

    /// Every way of cutting `bytes` in up to three pieces agrees with `from_utf8`.
    fn agrees_with_std_however_cut(bytes: &[u8]) {
        let whole = std::str::from_utf8(bytes).is_ok();
        for a in 0..=bytes.len() {
            for b in a..=bytes.len() {
                assert_eq!(
                    check_cut(bytes, &[a, b]),
                    whole,
                    "{bytes:x?} cut at {a}, {b}"
                );
            }
        }
    }

    #[test]
    fn text_cut_anywhere_is_accepted() {
        agrees_with_std_however_cut("中文 ok 𝄞 é".as_bytes());
        agrees_with_std_however_cut(b"");
    }

    #[test]
    fn bad_bytes_are_refused_wherever_the_cut_falls() {
        for bad in [
            &b"\xff"[..],
            b"ok\xc3",               // a message ending inside a character
            b"\xe4\xb8",             // the same, two bytes into three
            b"\xed\xa0\x80",         // a UTF-16 surrogate
            b"\xc0\xaf",             // an overlong slash
            b"\xf4\x90\x80\x80",     // beyond U+10FFFF
            b"\xe4\xb8\x41\xad",     // a character broken by an ASCII byte
            b"\xf0\x9d\x84\x9e\x80", // a stray continuation after a whole character
        ] {
            assert!(std::str::from_utf8(bad).is_err());
            agrees_with_std_however_cut(bad);
        }
    }
}
