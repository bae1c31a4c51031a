//! Response bodies written as serde_json writes them, byte for byte, with
//! one difference in how: a string with nothing to escape (every field name,
//! and nearly every value) is found so eight bytes at a time and copied in
//! one piece.
//!
//! serde_json checks each byte of each string against its escape table and
//! writes quotes, text and colon separately; a page of 50 schedules with
//! their plans and equipment holds ~2,600 field names and ~1,200 string
//! values, and that was the largest single cost of `GET /schedules`
//! (bench/RESULTS.md). A string that does hold a byte JSON escapes (a
//! quote, a backslash, a control character) is written by serde_json's
//! escaper, and so are numbers, map keys and everything else: the output is
//! serde_json's compact output, which the unit tests compare.

use serde::ser::{self, Serialize, Serializer};

type Error = serde_json::Error;

/// `value` as serde_json's compact JSON, appended to `out`.
pub(crate) fn write<T: ?Sized + Serialize>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(Writer { out })
}

/// serde_json's serializer on the same buffer, for one value.
fn json(out: &mut Vec<u8>) -> serde_json::Serializer<&mut Vec<u8>> {
    serde_json::Serializer::new(out)
}

/// A string as serde_json writes it: quoted and escaped.
fn string(out: &mut Vec<u8>, s: &str) -> Result<(), Error> {
    if plain(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        json(out).serialize_str(s)
    }
}

/// `"name":`.
fn key(out: &mut Vec<u8>, name: &str) -> Result<(), Error> {
    if plain(name.as_bytes()) {
        out.reserve(name.len() + 3);
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        Ok(())
    } else {
        string(out, name)?;
        out.push(b':');
        Ok(())
    }
}

const ONES: u64 = u64::from_le_bytes([1; 8]);

/// Whether a byte of these eight is one JSON escapes: below 0x20, a quote
/// or a backslash. (`x - n` per byte borrows into the top bit of a byte
/// below `n` whose own top bit was clear; a borrow only ever carries out of
/// a byte that matched, so the answer for the word is exact.)
fn special(w: u64) -> bool {
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let q = w ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = w ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (control | quote | backslash) & (ONES * 0x80) != 0
}

fn word(s: &[u8], at: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_le_bytes(w)
}

fn half(s: &[u8], at: usize) -> u64 {
    let mut w = [0; 4];
    w.copy_from_slice(&s[at..at + 4]);
    u64::from(u32::from_le_bytes(w))
}

/// Whether JSON writes these bytes as they are: eight at a time, the last
/// (or only) eight overlapping the ones before.
fn plain(s: &[u8]) -> bool {
    let n = s.len();
    if n >= 8 {
        let mut at = 0;
        while at + 8 <= n {
            if special(word(s, at)) {
                return false;
            }
            at += 8;
        }
        at == n || !special(word(s, n - 8))
    } else if n >= 4 {
        !special(half(s, 0) | half(s, n - 4) << 32)
    } else {
        s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
    }
}

/// Serializer methods that hand the value to serde_json as it is.
macro_rules! by_serde_json {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            json(self.out).$method(v)
        }
    )*};
}

/// `$then!` over the methods of `bool` and the integers (which a value and a
/// map key both hand to serde_json, a key between quotes) and any `$more`.
macro_rules! bool_and_integers {
    ($then:ident $(, $more:ident($ty:ty))* $(,)?) => {
        $then!(
            serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
            serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
            serialize_u32(u32), serialize_u64(u64), serialize_u128(u128) $(, $more($ty))*
        );
    };
}

/// Map key methods that write serde_json's value between quotes.
macro_rules! quoted {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            self.quoted(|o| json(o).$method(v))
        }
    )*};
}

/// The compound traits: those whose items are values (arrays, tuples),
/// then those whose items are named fields (structs).
macro_rules! compound {
    ($($elements:ident::$element:ident),*; $($fields:ident::$field:ident),*) => {
        $(impl ser::$elements for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        })*
        $(impl ser::$fields for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $field<T: ?Sized + Serialize>(
                &mut self,
                name: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(name, value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        })*
    };
}

/// What a value and a map key write alike: strings as strings, a unit
/// variant as its name, a newtype or an option as what it holds.
macro_rules! shared {
    () => {
        fn serialize_str(self, v: &str) -> Result<(), Error> {
            string(self.out, v)
        }
        fn serialize_unit_variant(
            self,
            _name: &'static str,
            _index: u32,
            variant: &'static str,
        ) -> Result<(), Error> {
            string(self.out, variant)
        }
        fn serialize_newtype_struct<T: ?Sized + Serialize>(
            self,
            _name: &'static str,
            value: &T,
        ) -> Result<(), Error> {
            value.serialize(self)
        }
        fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
            value.serialize(self)
        }
    };
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// An array or object being written: its separator state and closing bytes.
pub(crate) struct Compound<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    close: &'static [u8],
}

impl<'a> Compound<'a> {
    fn open(out: &'a mut Vec<u8>, open: &[u8], close: &'static [u8]) -> Self {
        out.extend_from_slice(open);
        Compound {
            out,
            first: true,
            close,
        }
    }

    /// `{"variant":` then the opening of the variant's value.
    fn variant(
        out: &'a mut Vec<u8>,
        variant: &str,
        open: &[u8],
        close: &'static [u8],
    ) -> Result<Self, Error> {
        out.push(b'{');
        key(out, variant)?;
        Ok(Self::open(out, open, close))
    }

    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.out.push(b',');
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(Writer { out: self.out })
    }

    fn field<T: ?Sized + Serialize>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        self.comma();
        key(self.out, name)?;
        value.serialize(Writer { out: self.out })
    }

    fn close(self) -> Result<(), Error> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'a> Serializer for Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    shared!();
    // Numbers, booleans, characters and bytes: serde_json's own.
    bool_and_integers!(
        by_serde_json,
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_bytes(&[u8])
    );

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        key(self.out, variant)?;
        value.serialize(Writer { out: self.out })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        if len == Some(0) {
            // serde_json writes `[]` at once and nothing at the end.
            return Ok(Compound::open(self.out, b"[]", b""));
        }
        Ok(Compound::open(self.out, b"[", b"]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        if len == 0 {
            return Compound::variant(self.out, variant, b"[]", b"}");
        }
        Compound::variant(self.out, variant, b"[", b"]}")
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        if len == Some(0) {
            return Ok(Compound::open(self.out, b"{}", b""));
        }
        Ok(Compound::open(self.out, b"{", b"}"))
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        if len == 0 {
            return Compound::variant(self.out, variant, b"{}", b"}");
        }
        Compound::variant(self.out, variant, b"{", b"}}")
    }
    fn collect_str<T: ?Sized + std::fmt::Display>(self, value: &T) -> Result<(), Error> {
        json(self.out).collect_str(value)
    }
}

compound!(
    SerializeSeq::serialize_element, SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field, SerializeTupleVariant::serialize_field;
    SerializeStruct::serialize_field, SerializeStructVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> Result<(), Error> {
        self.comma();
        k.serialize(MapKey { out: self.out })
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.out.push(b':');
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// A map's key, as serde_json writes keys: strings as they are, numbers
/// and booleans quoted, anything else an error.
struct MapKey<'a> {
    out: &'a mut Vec<u8>,
}

impl MapKey<'_> {
    fn quoted(self, write: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>) -> Result<(), Error> {
        self.out.push(b'"');
        write(self.out)?;
        self.out.push(b'"');
        Ok(())
    }
}

fn not_a_string<T>() -> Result<T, Error> {
    Err(ser::Error::custom("key must be a string"))
}

fn finite<F: Into<f64> + Copy>(v: F) -> Result<F, Error> {
    if v.into().is_finite() {
        Ok(v)
    } else {
        Err(ser::Error::custom(
            "float key must be finite (got NaN or +/-inf)",
        ))
    }
}

impl Serializer for MapKey<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    shared!();
    fn serialize_char(self, v: char) -> Result<(), Error> {
        json(self.out).serialize_char(v)
    }
    bool_and_integers!(quoted);
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        let v = finite(v)?;
        self.quoted(|o| json(o).serialize_f32(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        let v = finite(v)?;
        self.quoted(|o| json(o).serialize_f64(v))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        not_a_string()
    }
    fn serialize_none(self) -> Result<(), Error> {
        not_a_string()
    }
    fn serialize_unit(self) -> Result<(), Error> {
        not_a_string()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        not_a_string()
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        not_a_string()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        not_a_string()
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        not_a_string()
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        not_a_string()
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        not_a_string()
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        not_a_string()
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        not_a_string()
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        not_a_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::{Value, json};
    use std::collections::{BTreeMap, HashMap};

    fn same<T: ?Sized + Serialize>(value: &T) {
        let expected = serde_json::to_vec(value);
        let mut got = Vec::new();
        let written = write(&mut got, value);
        match expected {
            Ok(expected) => {
                written.unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&expected)
                );
            }
            Err(e) => assert_eq!(written.unwrap_err().to_string(), e.to_string()),
        }
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Pair(i32, &'static str);

    #[derive(Serialize)]
    struct Wrapped(u64);

    #[derive(Serialize)]
    #[allow(dead_code)]
    enum Shape {
        Plain,
        New(i64),
        Tuple(i8, f64),
        NoFields(),
        Struct { a: bool, b: Option<String> },
        EmptyStruct {},
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case", tag = "kind")]
    #[allow(dead_code)]
    enum Tagged {
        First { x: i32 },
        Second(Inner),
    }

    #[derive(Serialize)]
    struct Inner {
        #[serde(rename = "quote\"and\\back\nslash")]
        odd: u8,
        #[serde(rename = "점검")]
        korean: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<i32>,
    }

    #[derive(Serialize)]
    struct Zoo {
        unit: Unit,
        pair: Pair,
        wrapped: Wrapped,
        shapes: Vec<Shape>,
        tagged: Vec<Tagged>,
        empty: Vec<i32>,
        empty_map: BTreeMap<String, i32>,
        none: Option<i32>,
        text: String,
        floats: Vec<f64>,
        small: f32,
        big: (i128, u128),
        chars: Vec<char>,
        by_id: BTreeMap<i64, Vec<u8>>,
        by_flag: BTreeMap<bool, i32>,
        by_name: HashMap<String, Inner>,
        by_float: BTreeMap<Wrapped, i32>,
        json: Value,
        #[serde(flatten)]
        flat: Inner,
    }

    impl PartialEq for Wrapped {
        fn eq(&self, other: &Self) -> bool {
            self.0 == other.0
        }
    }
    impl Eq for Wrapped {}
    impl PartialOrd for Wrapped {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Wrapped {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.0.cmp(&other.0)
        }
    }

    fn inner(skipped: Option<i32>) -> Inner {
        Inner {
            odd: 7,
            korean: "압력 \u{1F527} \u{0001}",
            skipped,
        }
    }

    #[test]
    fn finds_every_byte_json_escapes() {
        let escaped = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
        for len in 0..=19 {
            for at in 0..len {
                for filler in [b'a', 0x20, b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff] {
                    for b in 0..=255u8 {
                        let mut s = vec![filler; len];
                        s[at] = b;
                        assert_eq!(plain(&s), !escaped(b), "{s:?}");
                    }
                }
            }
        }
        assert!(plain(b""));
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let zoo = Zoo {
            unit: Unit,
            pair: Pair(-3, "tab\there"),
            wrapped: Wrapped(u64::MAX),
            shapes: vec![
                Shape::Plain,
                Shape::New(-1),
                Shape::Tuple(1, 2.5),
                Shape::NoFields(),
                Shape::Struct {
                    a: true,
                    b: Some("\"quoted\"".into()),
                },
                Shape::Struct { a: false, b: None },
                Shape::EmptyStruct {},
            ],
            tagged: vec![Tagged::First { x: 1 }, Tagged::Second(inner(Some(2)))],
            empty: vec![],
            empty_map: BTreeMap::new(),
            none: None,
            text: "줄\r\n끝 \u{7f} \u{2028} </script>".into(),
            floats: vec![0.0, -0.0, 1e16, 1.5e-7, f64::NAN, f64::INFINITY, 0.1 + 0.2],
            small: 1.1,
            big: (i128::MIN, u128::MAX),
            chars: vec!['a', '"', '\u{0}', '가'],
            by_id: BTreeMap::from([(-5, vec![1, 2]), (9, vec![])]),
            by_flag: BTreeMap::from([(false, 0), (true, 1)]),
            by_name: HashMap::from([("a".into(), inner(None)), ("b\\".into(), inner(Some(-1)))]),
            by_float: BTreeMap::from([(Wrapped(3), 4)]),
            json: json!({"a": [1, {"b": null, "c": [[], {}]}], "d\"": "e", "f": 1.25}),
            flat: inner(None),
        };
        same(&zoo);
        same(&Shape::Plain);
        same(&());
        same(&Some(Unit));
        same(&Vec::<Zoo>::new());
        same(&[json!([]), json!({}), json!(null)]);
    }

    #[test]
    fn refuses_the_keys_serde_json_refuses() {
        same(&BTreeMap::from([((1, 2), 3)]));
        same(&HashMap::from([(Some(1), 1)]));
        let mut nan = Vec::new();
        let err = write(&mut nan, &HashMap::from([(ordered(f64::NAN), 1)])).unwrap_err();
        let expected = serde_json::to_vec(&HashMap::from([(ordered(f64::NAN), 1)])).unwrap_err();
        assert_eq!(err.to_string(), expected.to_string());
        same(&HashMap::from([(ordered(2.5), 1)]));
    }

    /// A float usable as a map key in the test.
    #[derive(Serialize, PartialEq, Eq, Hash)]
    #[serde(transparent)]
    struct Key(#[serde(serialize_with = "as_f64")] u64);

    fn ordered(v: f64) -> Key {
        Key(v.to_bits())
    }

    fn as_f64<S: Serializer>(bits: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(f64::from_bits(*bits))
    }

    /// Random JSON documents (a fixed seed), nested up to four levels.
    #[test]
    fn random_documents_match() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        fn doc(next: &mut impl FnMut() -> u64, depth: u32) -> Value {
            let pick = next() % if depth >= 4 { 4 } else { 6 };
            let text = |next: &mut dyn FnMut() -> u64| -> String {
                let alphabet = [
                    'a',
                    'Z',
                    '"',
                    '\\',
                    '\n',
                    '\u{1}',
                    '검',
                    '\u{1F600}',
                    ' ',
                    '/',
                ];
                (0..next() % 8)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            };
            match pick {
                0 => Value::Null,
                1 => Value::Bool(next().is_multiple_of(2)),
                2 => match next() % 3 {
                    0 => json!(next() as i64),
                    1 => json!(next()),
                    _ => json!(f64::from_bits(next() >> 2)),
                },
                3 => Value::String(text(next)),
                4 => Value::Array((0..next() % 5).map(|_| doc(next, depth + 1)).collect()),
                _ => Value::Object(
                    (0..next() % 5)
                        .map(|_| (text(next), doc(next, depth + 1)))
                        .collect(),
                ),
            }
        }
        for _ in 0..2_000 {
            same(&doc(&mut next, 0));
        }
    }
}
