//! WebSocket frames (RFC 6455 §5) as the server writes and reads them, without a
//! per-socket codec. A frame the server sends is never masked, so its bytes are the same
//! for every screen: each message is framed once and the same shared bytes are written
//! to every socket of the scope, with no per-screen copy or write buffer.
//!
//! Screens send almost nothing: Pongs, the odd Close, and browsers may Ping. [`Reader`]
//! parses those from a small fixed buffer and skips any data frame's payload without
//! keeping it, so an idle screen costs a few hundred bytes however chatty it gets.

use bytes::{BufMut, Bytes, BytesMut};

const FIN: u8 = 0x80;
const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;
/// RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented.
const MAX_CONTROL: usize = 125;
/// A masked client frame's longest header (2 + 8 length bytes + 4 mask bytes) plus the
/// largest control payload fits, so a buffer this size always holds a whole header.
const READ_BUFFER: usize = 160;

/// The close codes the server sends (RFC 6455 §7.4.1).
pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
pub const CLOSE_TOO_BIG: u16 = 1009;

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
    frame(OP_CLOSE, &code.to_be_bytes())
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

/// Parses client frames from what the socket delivered.
pub struct Reader {
    buf: [u8; READ_BUFFER],
    len: usize,
    /// Payload bytes of a data frame still to be thrown away.
    skip: u64,
    max_message: u64,
}

impl Reader {
    /// A reader refusing data frames longer than `max_message` bytes.
    pub fn new(max_message: usize) -> Reader {
        Reader {
            buf: [0; READ_BUFFER],
            len: 0,
            skip: 0,
            max_message: max_message as u64,
        }
    }

    /// Where the next bytes from the socket go.
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

    /// The next complete frame's meaning, `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Incoming>, Violation> {
        if self.skip > 0 {
            let n = self.skip.min(self.len as u64) as usize;
            self.consume(n);
            self.skip -= n as u64;
            return Ok((n > 0).then_some(Incoming::Alive));
        }
        let Some(header) = Header::parse(&self.buf[..self.len])? else {
            return Ok(None);
        };
        if header.control() {
            let end = header.size + header.payload as usize;
            if self.len < end {
                return Ok(None);
            }
            let mut payload = self.buf[header.size..end].to_vec();
            unmask(&mut payload, header.mask);
            self.consume(end);
            return Ok(Some(match header.opcode {
                OP_PING => Incoming::Ping(payload),
                OP_PONG => Incoming::Alive,
                _ => Incoming::Close(
                    (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]])),
                ),
            }));
        }
        if header.payload > self.max_message {
            return Err(Violation {
                code: CLOSE_TOO_BIG,
                reason: "a message larger than screens ever send",
            });
        }
        self.consume(header.size);
        self.skip = header.payload;
        Ok(Some(Incoming::Alive))
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

/// A client frame's header.
struct Header {
    opcode: u8,
    payload: u64,
    mask: [u8; 4],
    /// The header's own length in bytes.
    size: usize,
}

impl Header {
    fn parse(bytes: &[u8]) -> Result<Option<Header>, Violation> {
        let protocol = |reason| Violation {
            code: CLOSE_PROTOCOL_ERROR,
            reason,
        };
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
        if bytes.len() < at + 4 {
            return Ok(None);
        }
        let header = Header {
            opcode,
            payload,
            mask: [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]],
            size: at + 4,
        };
        if header.control() && (first & FIN == 0 || payload > MAX_CONTROL as u64) {
            return Err(protocol("a fragmented or oversized control frame"));
        }
        Ok(Some(header))
    }

    fn control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame as a client sends it: masked.
    fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut out = vec![first];
        match payload.len() {
            len @ 0..=125 => out.push(0x80 | len as u8),
            len @ 126..=0xFFFF => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        let mut body = payload.to_vec();
        unmask(&mut body, mask);
        out.extend_from_slice(&body);
        out
    }

    /// Feeds `bytes` in chunks of `chunk` and collects every frame read.
    fn read_all(bytes: &[u8], chunk: usize) -> Result<Vec<Incoming>, Violation> {
        let mut reader = Reader::new(16 * 1024);
        let mut seen = Vec::new();
        for piece in bytes.chunks(chunk) {
            let mut rest = piece;
            while !rest.is_empty() {
                let taken = reader.push(rest);
                rest = &rest[taken..];
                while let Some(incoming) = reader.next_frame()? {
                    seen.push(incoming);
                }
            }
        }
        Ok(seen)
    }

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
    fn pings_pongs_and_closes_are_read_whole_however_the_bytes_arrive() {
        let mut bytes = client_frame(0x89, b"are you there");
        bytes.extend(client_frame(0x8A, b""));
        bytes.extend(client_frame(0x88, &1000u16.to_be_bytes()));
        for chunk in [1, 3, 7, 200] {
            let frames = read_all(&bytes, chunk).unwrap();
            assert_eq!(
                frames,
                [
                    Incoming::Ping(b"are you there".to_vec()),
                    Incoming::Alive,
                    Incoming::Close(Some(1000)),
                ],
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn data_frames_are_skipped_without_being_kept_and_the_next_frame_still_parses() {
        let mut bytes = client_frame(0x81, "x".repeat(5_000).as_bytes());
        bytes.extend(client_frame(0x88, b""));
        let frames = read_all(&bytes, 512).unwrap();
        assert!(
            frames[..frames.len() - 1]
                .iter()
                .all(|f| *f == Incoming::Alive)
        );
        assert_eq!(frames.last(), Some(&Incoming::Close(None)));
    }

    #[test]
    fn unmasked_oversized_or_unknown_frames_are_refused_with_a_close_code() {
        let unmasked = [0x81, 0x02, b'h', b'i'];
        assert_eq!(
            read_all(&unmasked, 4).unwrap_err().code,
            CLOSE_PROTOCOL_ERROR
        );
        let huge = client_frame(0x82, &vec![0; 20_000]);
        assert_eq!(read_all(&huge, 64).unwrap_err().code, CLOSE_TOO_BIG);
        let unknown = client_frame(0x83, b"");
        assert_eq!(
            read_all(&unknown, 8).unwrap_err().code,
            CLOSE_PROTOCOL_ERROR
        );
        let long_ping = client_frame(0x89, &[0; 126]);
        assert_eq!(
            read_all(&long_ping, 8).unwrap_err().code,
            CLOSE_PROTOCOL_ERROR
        );
        let fragmented_ping = client_frame(0x09, b"");
        assert!(read_all(&fragmented_ping, 8).is_err());
    }
}
