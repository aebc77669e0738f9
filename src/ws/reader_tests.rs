//! The frame reader by example, then by property: random and hostile bytes, cut anywhere,
//! never panic it, never make it hold more than its buffer, and each class of bad input
//! closes with its own code.

use super::*;

const MAX: usize = 16 * 1024;
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame as a client sends it: masked. `first` is the FIN bit, reserved bits and
/// opcode; `declared` overrides the length the header claims.
fn client_frame_declaring(first: u8, payload: &[u8], declared: u64) -> Vec<u8> {
    let mut out = vec![first];
    match declared {
        len @ 0..=125 => out.push(0x80 | len as u8),
        len @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(0x80 | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(&MASK);
    let mut body = payload.to_vec();
    unmask(&mut body, MASK, 0);
    out.extend_from_slice(&body);
    out
}

fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    client_frame_declaring(first, payload, payload.len() as u64)
}

/// What a reader made of some bytes: the frames read, and the refusal that ended it.
#[derive(Debug, Default)]
struct Outcome {
    frames: Vec<Incoming>,
    refused: Option<Violation>,
}

impl Outcome {
    fn code(&self) -> Option<u16> {
        self.refused.map(|v| v.code)
    }

    fn pings(&self) -> Vec<Vec<u8>> {
        let pings = self.frames.iter().filter_map(|frame| match frame {
            Incoming::Ping(payload) => Some(payload.clone()),
            _ => None,
        });
        pings.collect()
    }
}

/// Feeds `bytes` the way a connection does (into `spare`, then `filled`), in reads of the
/// sizes `reads` cycles through, checking the reader's bounds after every step: it never
/// holds more than its buffer, it always has room while it waits for bytes, and every
/// frame it returns consumed bytes (so a connection can never spin on it).
fn feed(bytes: &[u8], reads: &[usize]) -> Outcome {
    let mut reader = Reader::new(MAX);
    let mut outcome = Outcome::default();
    let mut rest = bytes;
    let mut reads = reads.iter().copied().filter(|&n| n > 0).cycle();
    while !rest.is_empty() {
        let spare = reader.spare();
        assert!(!spare.is_empty(), "a reader waiting for bytes has no room");
        let n = reads
            .next()
            .unwrap_or(usize::MAX)
            .min(spare.len())
            .min(rest.len());
        spare[..n].copy_from_slice(&rest[..n]);
        reader.filled(n);
        rest = &rest[n..];
        loop {
            let before = reader.len;
            match reader.next_frame() {
                Ok(None) => break,
                Ok(Some(frame)) => {
                    assert!(reader.len < before, "a frame read without consuming a byte");
                    if let Incoming::Ping(payload) = &frame {
                        assert!(payload.len() <= MAX_CONTROL as usize);
                    }
                    outcome.frames.push(frame);
                }
                Err(violation) => {
                    outcome.refused = Some(violation);
                    return outcome;
                }
            }
            assert!(reader.len <= READ_BUFFER);
        }
    }
    outcome
}

#[test]
fn pings_pongs_and_closes_are_read_whole_however_the_bytes_arrive() {
    let mut bytes = client_frame(0x89, b"are you there");
    bytes.extend(client_frame(0x8A, b""));
    bytes.extend(client_frame(0x88, &1000u16.to_be_bytes()));
    for read in [1, 3, 7, 200] {
        let outcome = feed(&bytes, &[read]);
        assert_eq!(
            outcome.frames,
            [
                Incoming::Ping(b"are you there".to_vec()),
                Incoming::Alive,
                Incoming::Close(Some(1000)),
            ],
            "reads of {read}"
        );
    }
}

#[test]
fn data_frames_pass_without_being_kept_and_the_next_frame_still_parses() {
    let mut bytes = client_frame(0x81, "x".repeat(5_000).as_bytes());
    bytes.extend(client_frame(0x88, b""));
    let outcome = feed(&bytes, &[512]);
    let (last, before) = outcome.frames.split_last().unwrap();
    assert!(before.iter().all(|f| *f == Incoming::Alive));
    assert_eq!(*last, Incoming::Close(None));
}

#[test]
fn a_fragmented_message_with_pings_between_its_fragments_is_read() {
    let mut bytes = client_frame(0x01, "清风".as_bytes());
    bytes.extend(client_frame(0x89, b"mid"));
    bytes.extend(client_frame(0x00, b""));
    bytes.extend(client_frame(0x80, "明月".as_bytes()));
    bytes.extend(client_frame(0x82, &[0xFF; 10]));
    let outcome = feed(&bytes, &[5]);
    assert_eq!(
        (outcome.code(), outcome.pings()),
        (None, vec![b"mid".to_vec()])
    );
}

#[test]
fn unmasked_oversized_or_unknown_frames_are_refused_with_a_close_code() {
    let cases: [(Vec<u8>, u16); 7] = [
        (vec![0x81, 0x02, b'h', b'i'], CLOSE_PROTOCOL_ERROR),
        (client_frame(0x82, &vec![0; 20_000]), CLOSE_TOO_BIG),
        (client_frame(0x83, b""), CLOSE_PROTOCOL_ERROR),
        (client_frame(0xC1, b"x"), CLOSE_PROTOCOL_ERROR),
        (client_frame(0x89, &[0; 126]), CLOSE_PROTOCOL_ERROR),
        (client_frame(0x09, b""), CLOSE_PROTOCOL_ERROR),
        (
            client_frame_declaring(0x82, b"", 1 << 63),
            CLOSE_PROTOCOL_ERROR,
        ),
    ];
    for (bytes, code) in cases {
        assert_eq!(feed(&bytes, &[64]).code(), Some(code), "{:x?}", &bytes[..2]);
    }
}

/// A text message of `n` fragments of 100 bytes, then an empty final fragment.
fn fragmented(n: usize) -> Vec<u8> {
    let fragment = [b'x'; 100];
    let mut bytes = client_frame(0x01, &fragment);
    for _ in 1..n {
        bytes.extend(client_frame(0x00, &fragment));
    }
    bytes.extend(client_frame(0x80, b""));
    bytes
}

#[test]
fn a_message_in_many_small_fragments_is_measured_whole() {
    let too_many = MAX / 100 + 1;
    assert_eq!(
        feed(&fragmented(too_many), &[1000]).code(),
        Some(CLOSE_TOO_BIG)
    );
    // One fragment fewer fits, and the reader is ready for the next message after it.
    let mut fits = fragmented(too_many - 1);
    fits.extend(client_frame(0x89, b"next"));
    let outcome = feed(&fits, &[7]);
    assert_eq!(
        (outcome.code(), outcome.pings()),
        (None, vec![b"next".to_vec()])
    );
}

#[test]
fn fragments_out_of_order_are_protocol_errors() {
    let lone_continuation = client_frame(0x80, b"x");
    let mut interleaved = client_frame(0x01, b"a");
    interleaved.extend(client_frame(0x81, b"b"));
    for bytes in [lone_continuation, interleaved] {
        assert_eq!(feed(&bytes, &[3]).code(), Some(CLOSE_PROTOCOL_ERROR));
    }
}

#[test]
fn text_that_is_not_utf8_is_refused_even_when_a_character_spans_fragments() {
    let split = "中".as_bytes();
    let mut good = client_frame(0x01, &split[..1]);
    good.extend(client_frame(0x80, &split[1..]));
    assert_eq!(feed(&good, &[2]).code(), None);
    let mut cut = client_frame(0x01, b"ok");
    cut.extend(client_frame(0x80, &split[..2]));
    let mut broken = client_frame(0x01, &split[..2]);
    broken.extend(client_frame(0x80, b"A"));
    let binary_is_not_checked = client_frame(0x82, &[0xFF, 0xFE]);
    assert_eq!(feed(&binary_is_not_checked, &[2]).code(), None);
    for bytes in [cut, broken, client_frame(0x81, &[b'a', 0xFF])] {
        assert_eq!(feed(&bytes, &[2]).code(), Some(CLOSE_INVALID_DATA));
    }
}

#[test]
fn a_close_must_carry_nothing_or_an_allowed_code_and_a_utf8_reason() {
    let with = |payload: &[u8]| feed(&client_frame(0x88, payload), &[4]);
    assert_eq!(with(&[0x03]).code(), Some(CLOSE_PROTOCOL_ERROR));
    for refused in [999u16, 1005, 1006, 1015, 2999, 5000] {
        let outcome = with(&refused.to_be_bytes());
        assert_eq!(outcome.code(), Some(CLOSE_PROTOCOL_ERROR), "{refused}");
    }
    let mut bad_reason = 1000u16.to_be_bytes().to_vec();
    bad_reason.push(0xC3);
    assert_eq!(with(&bad_reason).code(), Some(CLOSE_INVALID_DATA));
    let mut reason = 4001u16.to_be_bytes().to_vec();
    reason.extend_from_slice("再见".as_bytes());
    assert_eq!(with(&reason).frames, [Incoming::Close(Some(4001))]);
}

#[path = "reader_props.rs"]
mod props;
