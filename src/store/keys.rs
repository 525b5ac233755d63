//! The tuple-key codec: typed key parts in, one string out whose UTF-8 byte order is the
//! documented key order, so that `ctx.storage.kv` (which orders keys by UTF-8 bytes) and
//! SQLite's `BINARY` collation both sort store keys correctly with no help.
//!
//! This module owns the key order and the key limits. It never touches storage.
//!
//! # Key order
//!
//! A key is a non-empty tuple of parts. Across types: `null` < `false` < `true` < number <
//! bigint < string < bytes < tuple. Within a type: numbers numerically (`-0` equals `0`),
//! bigints numerically, strings by Unicode code point, bytes lexicographically, tuples element
//! by element with a prefix before its extensions. Numbers and bigints never compare equal to
//! each other: `1` and `1n` are different keys.
//!
//! # Encoding
//!
//! [`NAMESPACE`] (`U+001F`), then each part, self-delimiting. Two formats exist
//! ([`KeyFormat`]); an object's keys are all in one of them, and every tag of one differs from
//! every tag of the other, so a stored key tells which format wrote it ([`format_of`]).
//!
//! | part | V2 (current) | V1 (objects that stored keys before V2) |
//! |---|---|---|
//! | null | `1` | `0` |
//! | false / true | `G` / `U` | `F` / `T` |
//! | number | `g` (negative) or `h` + 1–11 base-64 digits of the order-mapped f64 bits (below) | `f` + 16 hex digits of the order-mapped f64 bits |
//! | bigint | `j` + the V1 form after its tag | `i0` for zero; `i1` + 4 hex digits of the magnitude's byte length + magnitude hex; `i-` + the same with every digit complemented |
//! | string | `t` + UTF-8 with `U+0000..U+0002` escaped + `U+0001` | `s` + the same |
//! | bytes | `y` + lowercase hex + `.` | `x` + lowercase hex + `.` |
//! | tuple | `\|` + parts + `)` | `{` + parts + `)` |
//!
//! `42` is ``h`4D/`` in V2 (5 bytes) and `fc045000000000000` in V1 (17 bytes).
//!
//! A V2 number: the order-mapped 64 bits, followed by two padding bits (`00`, or `11` for a
//! negative number), are cut into eleven 6-bit digits, each written as the character
//! `'0' + digit` (`0`..`o`). Trailing digits equal to the padding's (`0`, or `o` for a
//! negative number) are dropped, and the number ends in [`NUMBER_END`] (`/`, below every digit)
//! or, for a negative number, [`NEGATIVE_NUMBER_END`] (`p`, above every digit). A dropped run
//! of zeros sorts exactly as the terminator below every digit does (and a dropped run of
//! maximal digits as the terminator above them), so byte order stays numeric order; integers
//! and short fractions keep only a few digits.
//!
//! Every part's encoding is a prefix code, so the encodings of `["user", 42]` are a string
//! prefix of exactly the keys that start with `"user", 42` (never `["user", 420]`). Every tag is
//! above `)` so a tuple sorts before its extensions, and the string terminator `U+0001` is
//! below every escaped or plain character so a string sorts before its extensions. The output
//! never contains NUL. Decoding is strict: it accepts exactly the strings `encode` produces, in
//! either format, one format per key.

use thiserror::Error;

/// The first character of every store key in `ctx.storage.kv`. Keys of the user's own raw kv
/// use that start with `U+001F` would be seen by the store: that one character is reserved.
pub const NAMESPACE: char = '\u{1f}';

/// The largest encoded key in UTF-8 bytes, namespace included. `ctx.storage` keys are limited
/// to 2 KiB (2,048 bytes) on key-value backed objects; SQLite-backed objects limit key plus
/// value to 2 MB. 2 KiB is the limit that holds on both, and keeps index rows small.
pub const MAX_KEY_BYTES: usize = 2048;

/// Nested tuples deeper than this are refused (`KEY_TYPE` on the way in, `KEY_MALFORMED` on the
/// way out): the byte limit would stop them soon after, and recursion must stay shallow.
pub const MAX_KEY_DEPTH: usize = 32;

/// The tags of one key format. V1 has one number tag for both signs.
struct Tags {
    null: u8,
    falsy: u8,
    truthy: u8,
    negative_number: u8,
    number: u8,
    bigint: u8,
    string: u8,
    bytes: u8,
    tuple: u8,
}

const V1_TAGS: Tags = Tags {
    null: b'0',
    falsy: b'F',
    truthy: b'T',
    negative_number: b'f',
    number: b'f',
    bigint: b'i',
    string: b's',
    bytes: b'x',
    tuple: b'{',
};

const V2_TAGS: Tags = Tags {
    null: b'1',
    falsy: b'G',
    truthy: b'U',
    negative_number: b'g',
    number: b'h',
    bigint: b'j',
    string: b't',
    bytes: b'y',
    tuple: b'|',
};

const TUPLE_END: u8 = b')';
pub const STRING_END: u8 = 0x01;
pub const STRING_ESCAPE: u8 = 0x02;
const BYTES_END: u8 = b'.';
const BIGINT_NEGATIVE: u8 = b'-';
const BIGINT_ZERO: u8 = b'0';
const BIGINT_POSITIVE: u8 = b'1';
/// Hex digits of a bigint's magnitude length: up to 65,535 bytes, far above what fits a key.
const BIGINT_LENGTH_DIGITS: usize = 4;
/// Hex digits of a V1 number.
const NUMBER_DIGITS: usize = 16;
const HEX: &[u8; 16] = b"0123456789abcdef";
/// The character of base-64 digit 0 in a V2 number; digit `d` is `NUMBER_DIGIT_BASE + d`.
pub const NUMBER_DIGIT_BASE: u8 = b'0';
/// The most base-64 digits a V2 number has: 64 bits and 2 padding bits.
pub const NUMBER_MAX_DIGITS: usize = 11;
/// Ends a V2 number that is not negative: below every digit.
pub const NUMBER_END: u8 = b'/';
/// Ends a negative V2 number: above every digit.
pub const NEGATIVE_NUMBER_END: u8 = b'p';

/// Which encoding an object's store keys use. An object stays in the format of the keys it
/// already holds (the facade reads its first key at the first store call of a wake, see
/// [`format_of`]); an object with no store key starts in [`KeyFormat::CURRENT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFormat {
    /// Numbers as 16 hex digits: what every object stored before V2.
    V1,
    /// Numbers as 1–11 base-64 digits (see the module doc).
    V2,
}

impl KeyFormat {
    /// The format of objects with no store key yet.
    pub const CURRENT: KeyFormat = KeyFormat::V2;

    /// The number the facade passes for this format (`storeOpen`, `storeEncode`, `storeRange`).
    pub fn version(self) -> u8 {
        match self {
            KeyFormat::V1 => 1,
            KeyFormat::V2 => 2,
        }
    }

    pub fn from_version(version: u8) -> Option<KeyFormat> {
        match version {
            1 => Some(KeyFormat::V1),
            2 => Some(KeyFormat::V2),
            _ => None,
        }
    }

    fn tags(self) -> &'static Tags {
        match self {
            KeyFormat::V1 => &V1_TAGS,
            KeyFormat::V2 => &V2_TAGS,
        }
    }

    /// The format whose tags include `tag`, if any (the formats share no tag).
    fn of_tag(tag: u8) -> Option<KeyFormat> {
        let has = |tags: &Tags| {
            [
                tags.null,
                tags.falsy,
                tags.truthy,
                tags.negative_number,
                tags.number,
                tags.bigint,
                tags.string,
                tags.bytes,
                tags.tuple,
            ]
            .contains(&tag)
        };
        [KeyFormat::V1, KeyFormat::V2]
            .into_iter()
            .find(|format| has(format.tags()))
    }

    /// Encodes a key (a non-empty tuple of parts) into its kv string in this format.
    pub fn encode(self, parts: &[KeyPart]) -> Result<String, KeyError> {
        if parts.is_empty() {
            return Err(KeyError::Type("empty tuple".into()));
        }
        let mut out = Vec::with_capacity(16);
        let mut namespace = [0; 4];
        out.extend_from_slice(NAMESPACE.encode_utf8(&mut namespace).as_bytes());
        let encoder = Encoder {
            format: self,
            tags: self.tags(),
        };
        for part in parts {
            encoder.part(part, &mut out, 0)?;
            if out.len() > MAX_KEY_BYTES {
                break;
            }
        }
        if out.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLarge {
                bytes: out.len(),
                limit: MAX_KEY_BYTES,
            });
        }
        // Every byte pushed is ASCII or comes from a `str`, escaped only below 0x03, so this never fails.
        String::from_utf8(out).map_err(|e| KeyError::Malformed(e.to_string()))
    }
}

/// The format a stored key was written in (by its first tag), or `None` for a string that is
/// not a store key. How the facade tells an object's format from the first key it lists.
pub fn format_of(kv_key: &str) -> Option<KeyFormat> {
    let body = kv_key.strip_prefix(NAMESPACE)?;
    KeyFormat::of_tag(*body.as_bytes().first()?)
}

/// Every tag's character of one format, for the TypeScript fast path (`src/shared.rs`).
pub fn tag_literals(format: KeyFormat) -> [(&'static str, char); 9] {
    let tags = format.tags();
    [
        ("null", char::from(tags.null)),
        ("false", char::from(tags.falsy)),
        ("true", char::from(tags.truthy)),
        ("negativeNumber", char::from(tags.negative_number)),
        ("number", char::from(tags.number)),
        ("bigint", char::from(tags.bigint)),
        ("string", char::from(tags.string)),
        ("bytes", char::from(tags.bytes)),
        ("tuple", char::from(tags.tuple)),
    ]
}

/// Why a key was refused.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum KeyError {
    /// The caller passed something that is not a key (NaN, infinity, an empty tuple, ...).
    #[error("invalid key: {0}; a key is a string, finite number, bigint, boolean, null, Uint8Array or a non-empty tuple of them")]
    Type(String),
    #[error(
        "key is {bytes} bytes once encoded, above the limit of {limit}; use shorter key parts"
    )]
    TooLarge { bytes: usize, limit: usize },
    /// A stored string is not a store key (corrupt storage or a foreign kv key).
    #[error("not a store key: {0}")]
    Malformed(String),
}

impl crate::error::ErrorCode for KeyError {
    fn code(&self) -> &'static str {
        match self {
            KeyError::Type(_) => "KEY_TYPE",
            KeyError::TooLarge { .. } => "KEY_TOO_LARGE",
            KeyError::Malformed(_) => "KEY_MALFORMED",
        }
    }
}

/// An arbitrary-size integer: sign and big-endian magnitude without leading zero bytes.
/// Zero is never negative. Crosses the wasm boundary as signed hex (`n.toString(16)`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BigIntKey {
    negative: bool,
    magnitude: Vec<u8>,
}

impl BigIntKey {
    /// The integer with this sign and big-endian magnitude (leading zeros are dropped).
    pub fn new(negative: bool, magnitude: &[u8]) -> Self {
        let first = magnitude
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(magnitude.len());
        let magnitude = magnitude.get(first..).unwrap_or_default().to_vec();
        BigIntKey {
            negative: negative && !magnitude.is_empty(),
            magnitude,
        }
    }

    pub fn from_i128(value: i128) -> Self {
        BigIntKey::new(value < 0, &value.unsigned_abs().to_be_bytes())
    }

    /// Parses JavaScript's `bigint.toString(16)`: optional `-`, then hex digits.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let invalid =
            || KeyError::Type(format!("bigint hex `{text}` is not a hexadecimal integer"));
        if digits.is_empty() {
            return Err(invalid());
        }
        let nibbles: Vec<u8> = digits
            .chars()
            .map(|c| {
                c.to_digit(16)
                    .and_then(|d| u8::try_from(d).ok())
                    .ok_or_else(invalid)
            })
            .collect::<Result<_, _>>()?;
        // An odd count gets a leading zero nibble so bytes pair up from the right.
        let padded: Vec<u8> = std::iter::repeat_n(0, nibbles.len() % 2)
            .chain(nibbles)
            .collect();
        let bytes: Vec<u8> = padded
            .chunks(2)
            .map(|pair| pair.iter().fold(0, |acc, n| acc << 4 | n))
            .collect();
        Ok(BigIntKey::new(negative, &bytes))
    }

    /// The signed hex form JavaScript reads back with `BigInt("0x...")` (negated for `-`).
    pub fn to_hex(&self) -> String {
        let mut out = String::from(if self.negative { "-" } else { "" });
        let digits: String = self.magnitude.iter().map(|b| format!("{b:02x}")).collect();
        let trimmed = digits.trim_start_matches('0');
        out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
        out
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    pub fn magnitude(&self) -> &[u8] {
        &self.magnitude
    }
}

/// One element of a key.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyPart {
    Null,
    Bool(bool),
    Number(f64),
    BigInt(BigIntKey),
    String(String),
    Bytes(Vec<u8>),
    Tuple(Vec<KeyPart>),
}

/// Encodes a key (a non-empty tuple of parts) into its kv string, namespace included, in the
/// current format ([`KeyFormat::CURRENT`]).
pub fn encode(parts: &[KeyPart]) -> Result<String, KeyError> {
    KeyFormat::CURRENT.encode(parts)
}

struct Encoder {
    format: KeyFormat,
    tags: &'static Tags,
}

impl Encoder {
    /// Appends one part; `depth` counts the tuples around it.
    fn part(&self, part: &KeyPart, out: &mut Vec<u8>, depth: usize) -> Result<(), KeyError> {
        let tags = self.tags;
        match part {
            KeyPart::Null => out.push(tags.null),
            KeyPart::Bool(false) => out.push(tags.falsy),
            KeyPart::Bool(true) => out.push(tags.truthy),
            KeyPart::Number(n) => {
                if !n.is_finite() {
                    return Err(KeyError::Type(format!(
                        "{} is not a finite number",
                        crate::numbers::Decimal(*n)
                    )));
                }
                match self.format {
                    KeyFormat::V1 => {
                        out.push(tags.number);
                        push_hex_u64(ordered_bits(*n), out);
                    }
                    KeyFormat::V2 => push_number_v2(ordered_bits(*n), tags, out),
                }
            }
            KeyPart::BigInt(big) => {
                out.push(tags.bigint);
                encode_bigint(big, out)?;
            }
            KeyPart::String(s) => {
                out.push(tags.string);
                for byte in s.bytes() {
                    if byte <= STRING_ESCAPE {
                        out.extend_from_slice(&[STRING_ESCAPE, byte + 3]);
                    } else {
                        out.push(byte);
                    }
                }
                out.push(STRING_END);
            }
            KeyPart::Bytes(bytes) => {
                out.push(tags.bytes);
                bytes.iter().for_each(|b| push_hex_byte(*b, out));
                out.push(BYTES_END);
            }
            KeyPart::Tuple(items) => {
                if items.is_empty() {
                    return Err(KeyError::Type("empty tuple".into()));
                }
                if depth >= MAX_KEY_DEPTH {
                    return Err(KeyError::Type(format!(
                        "tuples nested deeper than {MAX_KEY_DEPTH}"
                    )));
                }
                out.push(tags.tuple);
                for item in items {
                    self.part(item, out, depth + 1)?;
                    if out.len() > MAX_KEY_BYTES {
                        return Ok(());
                    }
                }
                out.push(TUPLE_END);
            }
        }
        Ok(())
    }
}

/// A bigint after its tag (the same in both formats).
fn encode_bigint(big: &BigIntKey, out: &mut Vec<u8>) -> Result<(), KeyError> {
    if big.magnitude.is_empty() {
        out.push(BIGINT_ZERO);
        return Ok(());
    }
    let length = u16::try_from(big.magnitude.len()).map_err(|_| KeyError::TooLarge {
        bytes: big.magnitude.len() * 2,
        limit: MAX_KEY_BYTES,
    })?;
    // A negative number's digits are complemented, so a larger magnitude sorts lower.
    let flip: u8 = if big.negative { 0xff } else { 0 };
    out.push(if big.negative {
        BIGINT_NEGATIVE
    } else {
        BIGINT_POSITIVE
    });
    let [high, low] = length.to_be_bytes();
    push_hex_byte(high ^ flip, out);
    push_hex_byte(low ^ flip, out);
    big.magnitude
        .iter()
        .for_each(|b| push_hex_byte(b ^ flip, out));
    Ok(())
}

/// The padding digit, the terminator and the padding bits of a V2 number of this sign.
fn number_v2_shape(negative: bool) -> (u8, u8, u128) {
    if negative {
        (63, NEGATIVE_NUMBER_END, 0b11)
    } else {
        (0, NUMBER_END, 0)
    }
}

/// A V2 number (see the module doc): tag, digits without the trailing padding ones, terminator.
fn push_number_v2(ordered: u64, tags: &Tags, out: &mut Vec<u8>) {
    let negative = ordered >> 63 == 0;
    let (fill, end, padding) = number_v2_shape(negative);
    let stream = u128::from(ordered) << 2 | padding;
    let digits = (0..NUMBER_MAX_DIGITS)
        .rev()
        .map(|i| ((stream >> (6 * i)) & 63) as u8);
    let digits: Vec<u8> = digits.collect();
    let kept = digits
        .iter()
        .rposition(|d| *d != fill)
        .map_or(0, |last| last + 1);
    out.push(if negative {
        tags.negative_number
    } else {
        tags.number
    });
    out.extend(digits.iter().take(kept).map(|d| NUMBER_DIGIT_BASE + d));
    out.push(end);
}

/// Maps an f64 to bits whose unsigned order is the numeric order: positives get the sign bit
/// set, negatives have every bit flipped. `-0` is first made `0` so the two are one key.
fn ordered_bits(n: f64) -> u64 {
    let bits = if n == 0.0 { 0 } else { n.to_bits() };
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

fn number_from_ordered_bits(ordered: u64) -> f64 {
    let bits = if ordered >> 63 == 1 {
        ordered & !(1 << 63)
    } else {
        !ordered
    };
    f64::from_bits(bits)
}

fn push_hex_byte(byte: u8, out: &mut Vec<u8>) {
    for nibble in [byte >> 4, byte & 0xf] {
        out.push(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'));
    }
}

fn push_hex_u64(value: u64, out: &mut Vec<u8>) {
    value
        .to_be_bytes()
        .iter()
        .for_each(|b| push_hex_byte(*b, out));
}

/// A key as a JavaScript literal, the way a user writes it: `["sub", "s1"]`, `[1, 2n, null]`,
/// `[new Uint8Array([1, 2])]`. Used in error messages, which users read next to their code.
pub fn js_literal(parts: &[KeyPart]) -> String {
    let mut out = String::new();
    push_tuple_literal(parts, &mut out);
    out
}

fn push_tuple_literal(parts: &[KeyPart], out: &mut String) {
    out.push('[');
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        push_part_literal(part, out);
    }
    out.push(']');
}

fn push_part_literal(part: &KeyPart, out: &mut String) {
    use std::fmt::Write as _;
    match part {
        KeyPart::Null => out.push_str("null"),
        KeyPart::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        KeyPart::Number(n) => push_number_literal(*n, out),
        KeyPart::BigInt(big) => {
            if big.negative {
                out.push('-');
            }
            out.push_str(&decimal(&big.magnitude));
            out.push('n');
        }
        KeyPart::String(text) => crate::literal::push_string_literal(text, out),
        KeyPart::Bytes(bytes) => {
            out.push_str("new Uint8Array([");
            for (index, byte) in bytes.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{byte}");
            }
            out.push_str("])");
        }
        KeyPart::Tuple(items) => push_tuple_literal(items, out),
    }
}

/// A big-endian magnitude in decimal, by repeated division (keys hold at most ~1 KB of it).
fn decimal(magnitude: &[u8]) -> String {
    let mut digits = Vec::new();
    let mut rest: Vec<u8> = magnitude.to_vec();
    while rest.iter().any(|b| *b != 0) {
        let mut remainder = 0u32;
        for byte in rest.iter_mut() {
            let value = remainder << 8 | u32::from(*byte);
            *byte = u8::try_from(value / 10).unwrap_or(0);
            remainder = value % 10;
        }
        digits.push(char::from_digit(remainder, 10).unwrap_or('0'));
    }
    if digits.is_empty() {
        return "0".to_owned();
    }
    digits.iter().rev().collect()
}

/// A finite number as JavaScript prints it for the common cases (integers without `.0`).
fn push_number_literal(n: f64, out: &mut String) {
    use std::fmt::Write as _;
    let _ = write!(out, "{}", crate::numbers::Decimal(n));
}

/// Decodes a kv string produced by [`encode`] back into its parts.
pub fn decode(key: &str) -> Result<Vec<KeyPart>, KeyError> {
    let body = key
        .strip_prefix(NAMESPACE)
        .ok_or_else(|| KeyError::Malformed("missing the store namespace".into()))?;
    let mut reader = Reader {
        bytes: body.as_bytes(),
        at: 0,
        depth: 0,
        format: None,
    };
    let mut parts = Vec::new();
    while !reader.is_done() {
        parts.push(reader.part()?);
    }
    if parts.is_empty() {
        return Err(KeyError::Malformed("empty key".into()));
    }
    Ok(parts)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Tuples open around the current part.
    depth: usize,
    /// The format of the key's first tag: every later tag must be of the same one.
    format: Option<KeyFormat>,
}

impl Reader<'_> {
    fn is_done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn malformed(&self, what: &str) -> KeyError {
        KeyError::Malformed(format!("{what} at byte {}", self.at + NAMESPACE.len_utf8()))
    }

    fn next(&mut self) -> Result<u8, KeyError> {
        let byte = self
            .bytes
            .get(self.at)
            .copied()
            .ok_or_else(|| self.malformed("unexpected end"))?;
        self.at += 1;
        Ok(byte)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn hex_byte(&mut self) -> Result<u8, KeyError> {
        let high = self.nibble()?;
        let low = self.nibble()?;
        Ok(high << 4 | low)
    }

    fn nibble(&mut self) -> Result<u8, KeyError> {
        match self.next()? {
            digit @ b'0'..=b'9' => Ok(digit - b'0'),
            letter @ b'a'..=b'f' => Ok(letter - b'a' + 10),
            _ => Err(self.malformed("expected a lowercase hex digit")),
        }
    }

    fn part(&mut self) -> Result<KeyPart, KeyError> {
        let tag = self.next()?;
        let format = KeyFormat::of_tag(tag).ok_or_else(|| self.malformed("unknown type tag"))?;
        if *self.format.get_or_insert(format) != format {
            return Err(self.malformed("a tag of another key format"));
        }
        let tags = format.tags();
        match tag {
            _ if tag == tags.null => Ok(KeyPart::Null),
            _ if tag == tags.falsy => Ok(KeyPart::Bool(false)),
            _ if tag == tags.truthy => Ok(KeyPart::Bool(true)),
            _ if format == KeyFormat::V1 && tag == tags.number => self.number_v1(),
            _ if tag == tags.number => self.number_v2(false),
            _ if tag == tags.negative_number => self.number_v2(true),
            _ if tag == tags.bigint => self.bigint(),
            _ if tag == tags.string => self.string(),
            _ if tag == tags.bytes => self.bytes(),
            _ => self.tuple(),
        }
    }

    fn number_v1(&mut self) -> Result<KeyPart, KeyError> {
        let mut ordered = 0u64;
        for _ in 0..NUMBER_DIGITS {
            ordered = ordered << 4 | u64::from(self.nibble()?);
        }
        self.canonical_number(ordered)
    }

    fn number_v2(&mut self, negative: bool) -> Result<KeyPart, KeyError> {
        let (fill, end, padding) = number_v2_shape(negative);
        let mut stream = 0u128;
        let mut count = 0;
        let mut last = fill;
        loop {
            let byte = self.next()?;
            if byte == end {
                break;
            }
            let digit = byte
                .checked_sub(NUMBER_DIGIT_BASE)
                .filter(|d| *d < 64 && count < NUMBER_MAX_DIGITS)
                .ok_or_else(|| self.malformed("expected a number digit or the number's end"))?;
            stream = stream << 6 | u128::from(digit);
            count += 1;
            last = digit;
        }
        // Canonical: at least one digit, no trailing padding digit, padding bits as written.
        if last == fill {
            return Err(self.malformed("not a canonical number"));
        }
        for _ in count..NUMBER_MAX_DIGITS {
            stream = stream << 6 | u128::from(fill);
        }
        let ordered =
            u64::try_from(stream >> 2).map_err(|_| self.malformed("number out of range"))?;
        if stream & 0b11 != padding || (ordered >> 63 == 0) != negative {
            return Err(self.malformed("not a canonical number"));
        }
        self.canonical_number(ordered)
    }

    fn canonical_number(&self, ordered: u64) -> Result<KeyPart, KeyError> {
        let n = number_from_ordered_bits(ordered);
        // Only what `encode` writes: finite, and zero only as +0.
        if !n.is_finite() || (n == 0.0 && n.is_sign_negative()) {
            return Err(self.malformed("not a canonical finite number"));
        }
        Ok(KeyPart::Number(n))
    }

    fn bigint(&mut self) -> Result<KeyPart, KeyError> {
        let flip: u8 = match self.next()? {
            BIGINT_ZERO => return Ok(KeyPart::BigInt(BigIntKey::from_i128(0))),
            BIGINT_POSITIVE => 0,
            BIGINT_NEGATIVE => 0xff,
            _ => return Err(self.malformed("bad bigint sign")),
        };
        let mut length = 0usize;
        for _ in 0..BIGINT_LENGTH_DIGITS / 2 {
            length = length << 8 | usize::from(self.hex_byte()? ^ flip);
        }
        let magnitude: Vec<u8> = (0..length)
            .map(|_| Ok(self.hex_byte()? ^ flip))
            .collect::<Result<_, KeyError>>()?;
        if magnitude.first().is_none_or(|b| *b == 0) {
            return Err(self.malformed("bigint magnitude is empty or has a leading zero"));
        }
        Ok(KeyPart::BigInt(BigIntKey {
            negative: flip != 0,
            magnitude,
        }))
    }

    fn string(&mut self) -> Result<KeyPart, KeyError> {
        let mut bytes = Vec::new();
        loop {
            match self.next()? {
                STRING_END => break,
                STRING_ESCAPE => match self.next()? {
                    escaped @ 3..=5 => bytes.push(escaped - 3),
                    _ => return Err(self.malformed("bad string escape")),
                },
                0 => return Err(self.malformed("unescaped control character in string")),
                byte => bytes.push(byte),
            }
        }
        String::from_utf8(bytes)
            .map(KeyPart::String)
            .map_err(|_| self.malformed("string is not UTF-8"))
    }

    fn bytes(&mut self) -> Result<KeyPart, KeyError> {
        let mut bytes = Vec::new();
        while self.peek() != Some(BYTES_END) {
            bytes.push(self.hex_byte()?);
        }
        self.at += 1;
        Ok(KeyPart::Bytes(bytes))
    }

    fn tuple(&mut self) -> Result<KeyPart, KeyError> {
        if self.depth >= MAX_KEY_DEPTH {
            return Err(self.malformed("tuples nested too deep"));
        }
        self.depth += 1;
        let items = self.tuple_items();
        self.depth -= 1;
        items
    }

    fn tuple_items(&mut self) -> Result<KeyPart, KeyError> {
        let mut items = Vec::new();
        while self.peek() != Some(TUPLE_END) {
            if self.is_done() {
                return Err(self.malformed("unterminated tuple"));
            }
            items.push(self.part()?);
        }
        self.at += 1;
        if items.is_empty() {
            return Err(self.malformed("empty tuple"));
        }
        Ok(KeyPart::Tuple(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn key(parts: &[KeyPart]) -> String {
        encode(parts).unwrap()
    }

    #[test]
    fn ascii_strings_stay_readable() {
        let parts = [KeyPart::String("user".into()), KeyPart::Number(42.0)];
        let encoded = KeyFormat::V1.encode(&parts).unwrap();
        assert_eq!(encoded, "\u{1f}suser\u{1}fc045000000000000");
        assert_eq!(key(&parts), "\u{1f}tuser\u{1}h`4D/");
    }

    #[test]
    fn numbers_in_v2_keep_only_their_significant_digits() {
        let cases = [
            (0.0, "hP/"),
            (1.0, "h_o/"),
            (-1.0, "g@0p"),
            (42.0, "h`4D/"),
            (9999.0, "h`<>7P/"),
            (0.5, "h_n/"),
            (-3.5, "g?o?p"),
        ];
        for (n, expected) in cases {
            let encoded = key(&[KeyPart::Number(n)]);
            assert_eq!(&encoded[1..], expected, "{n}");
            assert_eq!(decode(&encoded).unwrap(), vec![KeyPart::Number(n)]);
        }
    }

    #[test]
    fn a_key_is_in_one_format_and_says_which() {
        let parts = [
            KeyPart::Null,
            KeyPart::Bool(true),
            KeyPart::Number(-3.5),
            KeyPart::String("a".into()),
        ];
        for format in [KeyFormat::V1, KeyFormat::V2] {
            let encoded = format.encode(&parts).unwrap();
            assert_eq!(format_of(&encoded), Some(format));
            assert_eq!(decode(&encoded).unwrap(), parts);
        }
        assert_eq!(format_of("plain"), None);
        // A V1 null followed by a V2 true.
        assert_eq!(decode("\u{1f}0U").unwrap_err().code(), "KEY_MALFORMED");
    }

    #[test]
    fn minus_zero_is_zero() {
        assert_eq!(key(&[KeyPart::Number(-0.0)]), key(&[KeyPart::Number(0.0)]));
    }

    #[test]
    fn non_finite_numbers_and_empty_tuples_are_key_type_errors() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                encode(&[KeyPart::Number(bad)]).unwrap_err().code(),
                "KEY_TYPE"
            );
        }
        assert_eq!(encode(&[]).unwrap_err().code(), "KEY_TYPE");
        assert_eq!(
            encode(&[KeyPart::Tuple(vec![])]).unwrap_err().code(),
            "KEY_TYPE"
        );
    }

    #[test]
    fn a_key_above_two_kib_is_too_large() {
        let fits = "a".repeat(MAX_KEY_BYTES - 3);
        assert!(encode(&[KeyPart::String(fits)]).is_ok());
        let err = encode(&[KeyPart::String("a".repeat(MAX_KEY_BYTES - 2))]).unwrap_err();
        assert_eq!(err.code(), "KEY_TOO_LARGE");
    }

    #[test]
    fn keys_print_as_javascript_literals() {
        let parts = [
            KeyPart::String("sub".into()),
            KeyPart::String("s\"1\n".into()),
            KeyPart::Number(42.0),
            KeyPart::Number(-1.5),
            KeyPart::Null,
            KeyPart::Bool(true),
            KeyPart::BigInt(BigIntKey::from_i128(-255)),
            KeyPart::BigInt(BigIntKey::from_i128(1 << 64)),
            KeyPart::BigInt(BigIntKey::from_i128(0)),
            KeyPart::Bytes(vec![1, 255]),
            KeyPart::Tuple(vec![KeyPart::Number(0.0)]),
        ];
        assert_eq!(
            js_literal(&parts),
            r#"["sub", "s\"1\n", 42, -1.5, null, true, -255n, 18446744073709551616n, 0n, new Uint8Array([1, 255]), [0]]"#
        );
    }

    #[test]
    fn decode_refuses_tuples_nested_too_deep() {
        let deep = format!(
            "\u{1f}{}0{}",
            "{".repeat(MAX_KEY_DEPTH + 1),
            ")".repeat(MAX_KEY_DEPTH + 1)
        );
        assert_eq!(decode(&deep).unwrap_err().code(), "KEY_MALFORMED");
        let fits = format!(
            "\u{1f}{}0{}",
            "{".repeat(MAX_KEY_DEPTH),
            ")".repeat(MAX_KEY_DEPTH)
        );
        assert!(decode(&fits).is_ok());
    }

    #[test]
    fn bigint_hex_round_trips() {
        for text in ["0", "1", "-1", "ff", "-100", "123456789abcdef0123456789"] {
            assert_eq!(BigIntKey::from_hex(text).unwrap().to_hex(), text);
        }
        assert_eq!(BigIntKey::from_hex("-0").unwrap(), BigIntKey::from_i128(0));
        assert_eq!(BigIntKey::from_hex("00ff").unwrap().to_hex(), "ff");
        assert!(BigIntKey::from_hex("").is_err());
        assert!(BigIntKey::from_hex("12g").is_err());
    }

    #[test]
    fn decode_refuses_non_canonical_forms() {
        for bad in [
            "",
            "\u{1f}",
            "suser\u{1}",
            "\u{1f}fFFF0000000000000",
            "\u{1f}f0000000000000000",
            "\u{1f}fffffffffffffffff",
            "\u{1f}i1000100",
            "\u{1f}{)",
            "\u{1f}sab",
            "\u{1f}x0",
        ] {
            assert_eq!(decode(bad).unwrap_err().code(), "KEY_MALFORMED", "{bad:?}");
        }
    }
}
