//! The frames screens send (RFC 6455 §5), read without a per-socket codec. Screens send
//! almost nothing: Pongs, the odd Close, and browsers may Ping. [`Reader`] parses those
//! from a small fixed buffer and lets any data frame's payload pass without keeping it, so
//! a screen costs a few hundred bytes however much it sends.
//!
//! Whatever a stranger sends, the reader holds at most `READ_BUFFER` bytes and a few bytes
//! of state: a message is measured across all its fragments against the size limit (1009),
//! text is checked as UTF-8 as it passes, carrying only a cut-off character across
//! fragments and reads (1007), and any framing the protocol forbids is refused (1002).

use super::frame::{
    CLOSE_INVALID_DATA, CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG, FIN, OP_BINARY, OP_CLOSE,
    OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT,
};
use super::utf8::Utf8Check;

/// RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented.
const MAX_CONTROL: u64 = 125;
/// A masked client frame's longest header (2 + 8 length bytes + 4 mask bytes) plus the
/// largest control payload fits, so a full buffer always holds a header or a whole
/// control frame and reading never stalls for want of room.
pub(super) const READ_BUFFER: usize = 160;

/// What a screen sent that the server acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A Ping to answer with its payload.
    Ping(Vec<u8>),
    /// A Pong, or (part of) a data message: a sign of life, otherwise ignored.
    Alive,
    /// The screen is closing, with its status code if it gave one.
    Close(Option<u16>),
}

/// A frame the server refuses; the socket is closed with `code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    pub code: u16,
    pub reason: &'static str,
}

fn protocol(reason: &'static str) -> Violation {
    Violation {
        code: CLOSE_PROTOCOL_ERROR,
        reason,
    }
}

fn not_utf8(reason: &'static str) -> Violation {
    Violation {
        code: CLOSE_INVALID_DATA,
        reason,
    }
}

/// The data frame whose payload is passing through the reader.
#[derive(Clone, Copy, Debug)]
struct Payload {
    left: u64,
    mask: [u8; 4],
    /// Where in the mask the next byte falls (the payload's bytes so far, mod 4).
    phase: usize,
    /// The frame ends its message.
    fin: bool,
}

/// The data message begun and not finished: its size so far, over all its fragments,
/// and for a text message the UTF-8 check.
#[derive(Clone, Copy, Debug)]
struct Message {
    received: u64,
    text: Option<Utf8Check>,
}

/// Parses client frames from what the socket delivered.
pub struct Reader {
    buf: [u8; READ_BUFFER],
    len: usize,
    payload: Option<Payload>,
    message: Option<Message>,
    max_message: u64,
}

impl Reader {
    /// A reader refusing data messages longer than `max_message` bytes in all.
    pub fn new(max_message: usize) -> Reader {
        Reader {
            buf: [0; READ_BUFFER],
            len: 0,
            payload: None,
            message: None,
            max_message: max_message as u64,
        }
    }

    /// Where the next bytes from the socket go; never empty while `next_frame` waits
    /// for more bytes.
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// `n` bytes were written into [`Reader::spare`].
    pub fn filled(&mut self, n: usize) {
        self.len = (self.len + n).min(READ_BUFFER);
    }

    /// Copies as much of `data` as fits; returns how much it took.
    pub fn push(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(READ_BUFFER - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&data[..n]);
        self.len += n;
        n
    }

    /// The next complete frame's meaning (or a piece of a data frame's payload, which
    /// reads as [`Incoming::Alive`]); `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Incoming>, Violation> {
        if let Some(payload) = self.payload {
            return self.pass(payload);
        }
        let Some(header) = Header::parse(&self.buf[..self.len])? else {
            return Ok(None);
        };
        if header.control() {
            return self.control(&header);
        }
        self.begin_data(&header)?;
        self.consume(header.size);
        let payload = Payload {
            left: header.payload,
            mask: header.mask,
            phase: 0,
            fin: header.fin,
        };
        self.payload = Some(payload);
        if payload.left == 0 {
            self.pass(payload)?;
        }
        Ok(Some(Incoming::Alive))
    }

    /// Checks a data frame's header against the message it begins or continues.
    fn begin_data(&mut self, header: &Header) -> Result<(), Violation> {
        let continues = header.opcode == OP_CONTINUATION;
        let mut message = match (self.message.take(), continues) {
            (Some(message), true) => message,
            (None, false) => Message {
                received: 0,
                text: (header.opcode == OP_TEXT).then(Utf8Check::default),
            },
            (None, true) => return Err(protocol("a continuation frame with no message begun")),
            (Some(_), false) => return Err(protocol("a new message inside a fragmented one")),
        };
        message.received = message.received.saturating_add(header.payload);
        if message.received > self.max_message {
            return Err(Violation {
                code: CLOSE_TOO_BIG,
                reason: "a message larger than screens ever send",
            });
        }
        self.message = Some(message);
        Ok(())
    }

    /// Lets through what the buffer holds of the current data frame's payload, checking
    /// it as UTF-8 if the message is text; ends the frame, and the message with its
    /// last frame, once the payload has all passed.
    fn pass(&mut self, mut payload: Payload) -> Result<Option<Incoming>, Violation> {
        let n = payload.left.min(self.len as u64) as usize;
        if n == 0 && payload.left > 0 {
            return Ok(None);
        }
        if let Some(check) = self.message.as_mut().and_then(|m| m.text.as_mut()) {
            let piece = &mut self.buf[..n];
            unmask(piece, payload.mask, payload.phase);
            check
                .feed(piece)
                .map_err(|_| not_utf8("a text message that is not UTF-8"))?;
        }
        self.consume(n);
        payload.left -= n as u64;
        payload.phase = (payload.phase + n) % 4;
        if payload.left > 0 {
            self.payload = Some(payload);
            return Ok(Some(Incoming::Alive));
        }
        self.payload = None;
        if payload.fin {
            let message = self.message.take();
            if let Some(check) = message.and_then(|m| m.text) {
                check
                    .end()
                    .map_err(|_| not_utf8("a text message ending inside a character"))?;
            }
        }
        Ok(Some(Incoming::Alive))
    }

    /// Reads a whole control frame once the buffer holds it.
    fn control(&mut self, header: &Header) -> Result<Option<Incoming>, Violation> {
        let end = header.size + header.payload as usize;
        if self.len < end {
            return Ok(None);
        }
        let mut payload = [0u8; MAX_CONTROL as usize];
        let payload = &mut payload[..end - header.size];
        payload.copy_from_slice(&self.buf[header.size..end]);
        unmask(payload, header.mask, 0);
        self.consume(end);
        Ok(Some(match header.opcode {
            OP_PING => Incoming::Ping(payload.to_vec()),
            OP_PONG => Incoming::Alive,
            _ => Incoming::Close(close_code(payload)?),
        }))
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

/// The status code of a client's Close (RFC 6455 §5.5.1, §7.4): none, or two bytes
/// holding a code an endpoint may send, then a UTF-8 reason.
fn close_code(payload: &[u8]) -> Result<Option<u16>, Violation> {
    let [high, low, reason @ ..] = payload else {
        return match payload {
            [] => Ok(None),
            _ => Err(protocol("a Close with a one-byte payload")),
        };
    };
    let code = u16::from_be_bytes([*high, *low]);
    // 1004–1006 and 1015 are reserved for reporting, never sent; below 1000 and the rest
    // of 1016–2999 are unassigned; 3000–4999 belong to libraries and applications.
    if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
        return Err(protocol("a Close with a code no endpoint may send"));
    }
    std::str::from_utf8(reason).map_err(|_| not_utf8("a Close reason that is not UTF-8"))?;
    Ok(Some(code))
}

/// A client frame's header.
struct Header {
    fin: bool,
    opcode: u8,
    payload: u64,
    mask: [u8; 4],
    /// The header's own length in bytes.
    size: usize,
}

impl Header {
    fn parse(bytes: &[u8]) -> Result<Option<Header>, Violation> {
        let [first, second, ..] = *bytes else {
            return Ok(None);
        };
        if first & 0x70 != 0 {
            return Err(protocol("reserved bits set without an extension"));
        }
        if second & 0x80 == 0 {
            return Err(protocol("an unmasked frame from a client"));
        }
        let opcode = first & 0x0F;
        if !matches!(
            opcode,
            OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG
        ) {
            return Err(protocol("an unknown opcode"));
        }
        let (payload, at) = match second & 0x7F {
            126 if bytes.len() >= 4 => (u16::from_be_bytes([bytes[2], bytes[3]]) as u64, 4),
            127 if bytes.len() >= 10 => {
                let mut len = [0; 8];
                len.copy_from_slice(&bytes[2..10]);
                (u64::from_be_bytes(len), 10)
            }
            126 | 127 => return Ok(None),
            short => (short as u64, 2),
        };
        // RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
        if payload >> 63 != 0 {
            return Err(protocol("a length with its most significant bit set"));
        }
        if bytes.len() < at + 4 {
            return Ok(None);
        }
        let header = Header {
            fin: first & FIN != 0,
            opcode,
            payload,
            mask: [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]],
            size: at + 4,
        };
        if header.control() && (!header.fin || payload > MAX_CONTROL) {
            return Err(protocol("a fragmented or oversized control frame"));
        }
        Ok(Some(header))
    }

    fn control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

/// Unmasks (or masks: the same XOR) bytes that start `phase` bytes into the payload.
fn unmask(bytes: &mut [u8], mask: [u8; 4], phase: usize) {
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte ^= mask[(phase + i) % 4];
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
