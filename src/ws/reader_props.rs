//! Properties of the frame reader over generated input: valid streams cut anywhere read
//! cleanly, random and hostile bytes never panic it or overfill it (`feed` checks its
//! bounds after every step), and each class of bad input closes with its code.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::*;

/// A valid stream: its bytes, and the Ping payloads in it, in order.
#[derive(Clone, Debug, Default)]
struct Stream {
    bytes: Vec<u8>,
    pings: Vec<Vec<u8>>,
}

impl Stream {
    /// Appends one message cut at `cuts`, with a Ping or a Pong (`between`, in turn)
    /// after each fragment but the last.
    fn message(&mut self, text: bool, content: &[u8], cuts: &[Index], between: &[Vec<u8>]) {
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(content.len() + 1)).collect();
        at.sort_unstable();
        at.push(content.len());
        let mut from = 0;
        for (k, &to) in at.iter().enumerate() {
            let opcode = match (k, text) {
                (0, true) => OP_TEXT,
                (0, false) => OP_BINARY,
                _ => OP_CONTINUATION,
            };
            let last = k + 1 == at.len();
            let fin = if last { FIN } else { 0 };
            self.bytes
                .extend(client_frame(fin | opcode, &content[from..to]));
            from = to;
            if let (false, Some(control)) = (last, between.get(k % between.len().max(1))) {
                self.control(k, control);
            }
        }
    }

    fn control(&mut self, k: usize, payload: &[u8]) {
        if k.is_multiple_of(2) {
            self.bytes.extend(client_frame(FIN | OP_PING, payload));
            self.pings.push(payload.to_vec());
        } else {
            self.bytes.extend(client_frame(FIN | OP_PONG, payload));
        }
    }
}

/// One message's parts: text or not, its content, where it is cut, what goes between.
type MessageParts = (bool, Vec<u8>, Vec<Index>, Vec<Vec<u8>>);

fn message() -> impl Strategy<Value = MessageParts> {
    let text = any::<String>().prop_map(|s| (true, s.into_bytes()));
    let binary = vec(any::<u8>(), 0..600).prop_map(|b| (false, b));
    (
        prop_oneof![text, binary],
        vec(any::<Index>(), 0..6),
        vec(vec(any::<u8>(), 0..=125), 0..3),
    )
        .prop_map(|((text, content), cuts, between)| (text, content, cuts, between))
}

fn stream() -> impl Strategy<Value = Stream> {
    vec(message(), 0..6).prop_map(|messages| {
        let mut stream = Stream::default();
        for (text, content, cuts, between) in messages {
            stream.message(text, &content, &cuts, &between);
        }
        stream
    })
}

/// The sizes of the socket's reads, cycled through.
fn reads() -> impl Strategy<Value = Vec<usize>> {
    vec(1..300usize, 1..8)
}

/// Bytes the protocol forbids, each with the close code it must get.
fn hostile() -> impl Strategy<Value = (Vec<u8>, u16)> {
    let opcode = prop::sample::select(vec![OP_TEXT, OP_BINARY, OP_PING, OP_PONG]);
    let reserved = (1u8..8, opcode).prop_map(|(rsv, op)| client_frame(FIN | rsv << 4 | op, b""));
    let unknown = prop::sample::select(vec![3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
        .prop_map(|op| client_frame(FIN | op, b"?"));
    let unmasked = vec(any::<u8>(), 0..20).prop_map(|body| {
        let mut frame = vec![FIN | OP_TEXT, body.len() as u8];
        frame.extend(body);
        frame
    });
    let control = prop::sample::select(vec![OP_CLOSE, OP_PING, OP_PONG]);
    let fragmented_control = control.clone().prop_map(|op| client_frame(op, b""));
    let oversized_control =
        (control, 126usize..400).prop_map(|(op, len)| client_frame(FIN | op, &vec![0; len]));
    let lone_continuation = vec(any::<u8>(), 0..50).prop_map(|b| client_frame(FIN, &b));
    let restarted = (any::<bool>(), any::<bool>()).prop_map(|(fin, text)| {
        let mut bytes = client_frame(OP_BINARY, b"open");
        let op = if text { OP_TEXT } else { OP_BINARY };
        let fin = if fin { FIN } else { 0 };
        bytes.extend(client_frame(fin | op, b"again"));
        bytes
    });
    let msb_set = (1u64 << 63..=u64::MAX).prop_map(|len| client_frame_declaring(0x82, b"", len));
    prop_oneof![
        reserved.prop_map(|b| (b, CLOSE_PROTOCOL_ERROR)),
        unknown.prop_map(|b| (b, CLOSE_PROTOCOL_ERROR)),
        unmasked.prop_map(|b| (b, CLOSE_PROTOCOL_ERROR)),
        fragmented_control.prop_map(|b| (b, CLOSE_PROTOCOL_ERROR)),
        oversized_control.prop_map(|b| (b, CLOSE_PROTOCOL_ERROR)),
        lone_continuation.prop_map(|b| (b, CLOSE_PROTOCOL_ERROR)),
        restarted.prop_map(|b| (b, CLOSE_PROTOCOL_ERROR)),
        msb_set.prop_map(|b| (b, CLOSE_PROTOCOL_ERROR)),
        too_big().prop_map(|b| (b, CLOSE_TOO_BIG)),
        not_utf8().prop_map(|b| (b, CLOSE_INVALID_DATA)),
    ]
}

/// A message over the limit: one huge declared length, or many small fragments.
fn too_big() -> impl Strategy<Value = Vec<u8>> {
    let declared = (MAX as u64 + 1..1u64 << 63, any::<bool>())
        .prop_map(|(len, text)| client_frame_declaring(if text { 0x81 } else { 0x82 }, b"", len));
    let fragments = (64usize..512).prop_map(|size| {
        let fragment = vec![b'a'; size];
        let mut bytes = client_frame(OP_TEXT, &fragment);
        for _ in 0..MAX / size {
            bytes.extend(client_frame(OP_CONTINUATION, &fragment));
        }
        bytes
    });
    prop_oneof![declared, fragments]
}

/// A text message, cut into fragments anywhere, with one byte that cannot be there put
/// in, or with its last character cut short.
fn not_utf8() -> impl Strategy<Value = Vec<u8>> {
    let bad = prop::sample::select(vec![0x80u8, 0xBF, 0xC0, 0xC3, 0xE4, 0xED, 0xF4, 0xF8, 0xFF]);
    let inserted = ("[a-z中文𝄞é ]{0,40}", any::<Index>(), bad).prop_map(|(s, at, bad)| {
        let mut bytes = s.into_bytes();
        bytes.insert(at.index(bytes.len() + 1), bad);
        bytes
    });
    let cut_short = (
        "[a-z ]{0,40}",
        prop::sample::select(vec!["é", "中", "𝄞"]),
        1usize..4,
    )
        .prop_map(|(s, last, drop)| {
            let mut bytes = (s + last).into_bytes();
            bytes.truncate(bytes.len() - drop.min(last.len() - 1));
            bytes
        });
    let content = prop_oneof![inserted, cut_short]
        .prop_filter("not UTF-8", |b| std::str::from_utf8(b).is_err());
    (content, vec(any::<Index>(), 0..6)).prop_map(|(content, cuts)| {
        let mut stream = Stream::default();
        stream.message(true, &content, &cuts, &[]);
        stream.bytes
    })
}

proptest! {
    #[test]
    fn a_valid_stream_cut_anywhere_is_read_without_a_refusal(stream in stream(), reads in reads()) {
        let outcome = feed(&stream.bytes, &reads);
        prop_assert_eq!(outcome.refused, None);
        prop_assert_eq!(outcome.pings(), stream.pings);
    }

    #[test]
    fn random_bytes_never_panic_or_overfill_the_reader(bytes in vec(any::<u8>(), 0..2000), reads in reads()) {
        let outcome = feed(&bytes, &reads);
        if let Some(code) = outcome.code() {
            prop_assert!([CLOSE_PROTOCOL_ERROR, CLOSE_INVALID_DATA, CLOSE_TOO_BIG].contains(&code));
        }
    }

    #[test]
    fn random_masked_headers_never_panic_or_overfill_the_reader(
        frames in vec((any::<u8>(), prop_oneof![0u64..200, 0u64..0x1_0000, any::<u64>()], vec(any::<u8>(), 0..200)), 1..12),
        reads in reads(),
    ) {
        let mut bytes = Vec::new();
        for (first, declared, payload) in frames {
            bytes.extend(client_frame_declaring(first, &payload, declared));
        }
        feed(&bytes, &reads);
    }

    #[test]
    fn hostile_bytes_after_a_valid_stream_close_with_their_code(
        stream in stream(),
        (hostile, code) in hostile(),
        reads in reads(),
    ) {
        let mut bytes = stream.bytes;
        bytes.extend(hostile);
        prop_assert_eq!(feed(&bytes, &reads).code(), Some(code));
    }
}

#[test]
fn a_reader_is_a_few_hundred_bytes_and_owns_nothing_else() {
    // Every field is inline (no Vec, no Box), so this is all a screen's reading costs.
    assert!(std::mem::size_of::<Reader>() <= 256);
}
