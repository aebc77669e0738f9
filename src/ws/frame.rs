//! WebSocket frames (RFC 6455 §5) as the server writes them, without a per-socket codec.
//! A frame the server sends is never masked, so its bytes are the same for every screen:
//! each message is framed once and the same shared bytes are written to every socket of
//! the scope, with no per-screen copy or write buffer. The framing is written by hand
//! rather than by a WebSocket library for that reason: `qingfeng-bench fanout` measured
//! this server at the floor of a bare tungstenite broadcast, which a per-socket codec
//! framing each message again for every screen could not reach.
//!
//! Screens send almost nothing; what they send is read by [`super::reader::Reader`].

use bytes::{BufMut, Bytes, BytesMut};

pub use super::reader::{Incoming, Reader, Violation};

pub(super) const FIN: u8 = 0x80;
pub(super) const OP_CONTINUATION: u8 = 0x0;
pub(super) const OP_TEXT: u8 = 0x1;
pub(super) const OP_BINARY: u8 = 0x2;
pub(super) const OP_CLOSE: u8 = 0x8;
pub(super) const OP_PING: u8 = 0x9;
pub(super) const OP_PONG: u8 = 0xA;

/// The close codes the server sends (RFC 6455 §7.4.1, and one of the private range).
pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Bad framing: reserved bits, an unknown opcode, an unmasked frame, a fragmented or
/// oversized control frame, a continuation out of place, an invalid Close.
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// A text message (or a Close reason) that is not UTF-8.
pub const CLOSE_INVALID_DATA: u16 = 1007;
/// A message, counted over all its fragments, larger than `MAX_INCOMING`.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// The token the socket was opened with expired or was signed out: the screen must sign
/// in again rather than reconnect (`screens/assets/live.js` goes to the sign-in page).
pub const CLOSE_SESSION_ENDED: u16 = 4001;

/// A text message framed for every screen (the payload is JSON, so valid UTF-8).
pub fn text(payload: &str) -> Bytes {
    frame(OP_TEXT, payload.as_bytes())
}

/// An empty Ping, which browsers answer without any page code.
pub fn ping() -> Bytes {
    frame(OP_PING, &[])
}

/// The answer to a screen's Ping: its payload echoed.
pub fn pong(payload: &[u8]) -> Bytes {
    frame(OP_PONG, payload)
}

/// A Close frame with its status code.
pub fn close(code: u16) -> Bytes {
    close_with(code, "")
}

/// A Close frame with its status code and a short reason (at most 123 bytes, the rest of
/// a control frame's 125; a longer one is cut at a character boundary).
pub fn close_with(code: u16, reason: &str) -> Bytes {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    frame(OP_CLOSE, &payload)
}

fn frame(opcode: u8, payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(payload.len() + 10);
    out.put_u8(FIN | opcode);
    match payload.len() {
        len @ 0..=125 => out.put_u8(len as u8),
        len @ 126..=0xFFFF => {
            out.put_u8(126);
            out.put_u16(len as u16);
        }
        len => {
            out.put_u8(127);
            out.put_u64(len as u64);
        }
    }
    out.put_slice(payload);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_frames_carry_the_length_in_one_three_or_nine_bytes() {
        assert_eq!(&text("hi")[..], b"\x81\x02hi");
        let medium = text(&"a".repeat(300));
        assert_eq!(&medium[..4], &[0x81, 126, 0x01, 0x2C]);
        assert_eq!(medium.len(), 304);
        let large = text(&"a".repeat(70_000));
        assert_eq!(&large[..2], &[0x81, 127]);
        assert_eq!(&large[2..10], &70_000u64.to_be_bytes());
        assert_eq!(&close(CLOSE_GOING_AWAY)[..], &[0x88, 2, 0x03, 0xE9]);
        assert_eq!(&ping()[..], &[0x89, 0]);
    }

    #[test]
    fn a_close_reason_fits_a_control_frame_and_stays_utf8() {
        let ended = close_with(CLOSE_SESSION_ENDED, "session ended");
        assert_eq!(&ended[..4], &[0x88, 15, 0x0F, 0xA1]);
        assert_eq!(&ended[4..], b"session ended");
        let long = close_with(CLOSE_NORMAL, &"清".repeat(60));
        assert_eq!(long[1], 2 + 123, "41 characters of three bytes");
        assert!(std::str::from_utf8(&long[4..]).is_ok());
    }
}
