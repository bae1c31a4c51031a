//! Keyset pagination shared by every list endpoint: the page size, the
//! cursor (one codec for every ordering key), and the page itself.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::field::{Parse, Rejection, integer_schema, string_schema};

/// Page size, 1 to 100 (default 50).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u64);

impl Limit {
    pub const DEFAULT: u64 = 50;
    pub const MAX: u64 = 100;

    /// The requested size, or the default.
    pub fn or_default(limit: Option<Limit>) -> u64 {
        limit.map_or(Self::DEFAULT, |l| l.0)
    }
}

impl Parse for Limit {
    type Raw = u64;
    fn parse(raw: u64) -> Result<Self, Rejection> {
        if (1..=Self::MAX).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(Rejection::new(
                "range",
                format!("must be between 1 and {}", Self::MAX),
            ))
        }
    }
    fn placeholder() -> Self {
        Self(Self::DEFAULT)
    }
}

crate::parsed!(
    Limit,
    integer_schema(1, Limit::MAX as i64, "Page size, 1 to 100 (default 50)")
);

/// The ordering key of a list, written into its cursor.
pub trait Keyset: Sized + Copy {
    /// The cursor's pattern (every string matching it is a cursor).
    const PATTERN: &'static str;
    const MAX_LEN: usize;
    /// The smallest ordinary key (stands in for a rejected cursor).
    fn zero() -> Self;
    fn encode(self) -> String;
    fn decode(s: &str) -> Option<Self>;
}

// Ids are written in decimal, at most 18 digits, so every string the
// pattern allows is a key: a client can never build a cursor the server
// refuses, and an id that matches nothing just ends the list.
fn decode_id(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Lists ordered by id.
impl Keyset for i64 {
    const PATTERN: &'static str = "^-?[0-9]{1,18}$";
    const MAX_LEN: usize = 19;
    fn zero() -> Self {
        0
    }
    fn encode(self) -> String {
        self.to_string()
    }
    fn decode(s: &str) -> Option<Self> {
        decode_id(s)
    }
}

/// Lists ordered by an instant, then id (microseconds since the epoch).
impl Keyset for (DateTime<Utc>, i64) {
    const PATTERN: &'static str = "^-?[0-9]{1,18}_-?[0-9]{1,18}$";
    const MAX_LEN: usize = 39;
    fn zero() -> Self {
        (DateTime::UNIX_EPOCH, 0)
    }
    fn encode(self) -> String {
        format!("{}_{}", self.0.timestamp_micros(), self.1)
    }
    fn decode(s: &str) -> Option<Self> {
        let (t, id) = s.split_once('_')?;
        // 18 digits of microseconds stay within chrono's range of years.
        let at = DateTime::from_timestamp_micros(decode_id(t)?)?;
        Some((at, decode_id(id)?))
    }
}

/// Declares a cursor type over a [`Keyset`]: parsed at the boundary, with
/// the keyset's pattern as its schema.
macro_rules! cursor {
    ($(#[$doc:meta])* $name:ident, $key:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $key);

        impl Parse for $name {
            type Raw = String;
            fn parse(raw: String) -> Result<Self, Rejection> {
                <$key as Keyset>::decode(&raw)
                    .map($name)
                    .ok_or_else(|| Rejection::new("invalid", "is not a cursor this API issued"))
            }
            fn placeholder() -> Self {
                $name(<$key as Keyset>::zero())
            }
        }

        crate::parsed!(
            $name,
            string_schema(
                1,
                <$key as Keyset>::MAX_LEN,
                Some(<$key as Keyset>::PATTERN),
                "`next_cursor` of the previous page",
                &<$key as Keyset>::zero().encode(),
            )
        );
    };
}

cursor!(
    /// The cursor of a list ordered by id.
    IdCursor,
    i64
);

cursor!(
    /// The cursor of a list ordered by due instant, then id.
    DueCursor,
    (DateTime<Utc>, i64)
);

/// One page of a list; pass `next_cursor` back as `cursor` to read the
/// next page (absent on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The one keyset page path: a query for `limit + 1` rows after the cursor,
/// then the page with the cursor of its last item when more rows follow.
pub struct PageRequest<K> {
    pub after: Option<K>,
    pub limit: u64,
}

impl<K: Keyset> PageRequest<K> {
    pub fn new(limit: Option<Limit>, after: Option<K>) -> Self {
        Self {
            after,
            limit: Limit::or_default(limit),
        }
    }

    /// How many rows to fetch: one more than the page, to know if more follow.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }

    /// The page from the fetched rows.
    pub fn page<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> K) -> Page<T> {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| key(r).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = IdCursor::parse(42.encode()).unwrap();
        assert_eq!(c.0, 42);
        assert!(IdCursor::parse("!!".into()).is_err());
        assert!(IdCursor::parse("".into()).is_err());
        assert!(IdCursor::parse("1234567890123456789".into()).is_err());
        let at = DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap();
        let key = (at, 7).encode();
        assert_eq!(DueCursor::parse(key).unwrap().0, (at, 7));
        assert!(DueCursor::parse("5".into()).is_err());
        // The largest values the pattern allows still decode.
        let max = format!("-{}_{}", "9".repeat(18), "9".repeat(18));
        assert!(DueCursor::parse(max).is_ok());
    }

    #[test]
    fn page_knows_when_there_is_more() {
        let req = PageRequest::<i64>::new(Some(Limit::parse(2).unwrap()), None);
        assert_eq!(req.fetch(), 3);
        let p = req.page(vec![1, 2, 3], |x| *x);
        assert_eq!(p.items, [1, 2]);
        assert_eq!(p.next_cursor.as_deref(), Some("2"));
        let p = req.page(vec![1, 2], |x| *x);
        assert_eq!(p.next_cursor, None);
        assert!(Limit::parse(0).is_err());
        assert!(Limit::parse(101).is_err());
        assert_eq!(Limit::or_default(None), 50);
    }
}
