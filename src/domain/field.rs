//! How the domain says a value is wrong, and the one mechanism by which
//! request values are parsed: every newtype implements [`Parse`] (its raw
//! JSON/query form, the rule, the OpenAPI schema that states the rule), and
//! [`parse_all`] runs a deserialization so that every rejected field is
//! reported together in one 422, not only the first.

use std::borrow::Cow;
use std::cell::Cell;

use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned, Deserializer, Error as _};
use utoipa::ToSchema;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field in the request, e.g. `email` or `items[2].max`.
    pub field: String,
    /// Stable machine-readable code, e.g. `required`, `invalid_email`, `too_short`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// The domain's error: one or more fields are invalid (422 at the boundary).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fields: {0:?}")]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self(vec![FieldError::new(field, code, message)])
    }

    /// `Ok(value)` when no error was collected.
    pub fn or_ok<T>(errors: Vec<FieldError>, value: impl FnOnce() -> T) -> Result<T, Invalid> {
        if errors.is_empty() {
            Ok(value())
        } else {
            Err(Self(errors))
        }
    }
}

impl From<FieldError> for Invalid {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

/// Why a single value was refused; the field path is added by whoever knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub message: Cow<'static, str>,
}

impl Rejection {
    pub fn new(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// This rejection as the error of field `field`.
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError::new(field, self.code, self.message)
    }
}

/// A value parsed once, at the boundary, from its raw form. The schema of a
/// `Parse` type states exactly the rule `parse` enforces, so the OpenAPI
/// document allows what the server accepts and nothing else.
pub trait Parse: Sized {
    /// What the request carries (a string, an integer …).
    type Raw: DeserializeOwned;
    fn parse(raw: Self::Raw) -> Result<Self, Rejection>;
    /// Stands in for a rejected value while [`parse_all`] looks for further
    /// errors; never leaves a failed parse.
    fn placeholder() -> Self;
}

// Rejections travel through serde as custom error messages; this marker
// tells them apart from serde's own ("invalid type", "missing field").
const MARK: char = '\u{1e}';

thread_local! {
    /// How many rejections the running [`parse_all`] pass has recorded
    /// already and must skip (with a placeholder) to reach the next one.
    static SKIP: Cell<usize> = const { Cell::new(0) };
}

/// `Deserialize` for a [`Parse`] type (use with `#[serde(deserialize_with)]`
/// or through [`parsed!`](crate::parsed)).
pub fn deserialize<'de, D: Deserializer<'de>, T: Parse>(d: D) -> Result<T, D::Error> {
    let raw = T::Raw::deserialize(d)?;
    match T::parse(raw) {
        Ok(v) => Ok(v),
        Err(r) => {
            let skip = SKIP.with(Cell::get);
            if skip > 0 {
                SKIP.with(|s| s.set(skip - 1));
                Ok(T::placeholder())
            } else {
                Err(D::Error::custom(format!(
                    "{MARK}{}{MARK}{}",
                    r.code, r.message
                )))
            }
        }
    }
}

/// The code and message of a rejection carried in a serde error message.
pub fn rejection_in(message: &str) -> Option<(&str, &str)> {
    let rest = message.split_once(MARK)?.1;
    let (code, message) = rest.split_once(MARK)?;
    // serde_json appends " at line L column C".
    let message = message.split(" at line ").next().unwrap_or(message);
    Some((code, message))
}

/// What one failed deserialization pass found.
pub enum Failure {
    /// A value was rejected by its [`Parse`] rule: later passes skip it.
    Rejected(FieldError),
    /// Anything else (wrong type, missing or unknown field): reported, and
    /// the search stops, since later values cannot be reached past it.
    Fatal(FieldError),
    /// Not a field problem (malformed syntax): answered on its own.
    Other,
}

/// Runs `pass` until it succeeds or finds nothing new, skipping in each
/// pass the rejections found before, so that every rejected value is
/// reported together. `classify` turns a pass's error into a [`Failure`].
pub fn parse_all<T, E>(
    mut pass: impl FnMut() -> Result<T, E>,
    classify: impl Fn(&E) -> Failure,
) -> Result<T, ParseError<E>> {
    const MAX_ERRORS: usize = 50;
    let mut errors: Vec<FieldError> = Vec::new();
    loop {
        SKIP.with(|s| s.set(errors.len()));
        let result = pass();
        SKIP.with(|s| s.set(0));
        match result {
            Ok(v) if errors.is_empty() => return Ok(v),
            Ok(_) => return Err(ParseError::Invalid(Invalid(errors))),
            Err(e) => match classify(&e) {
                Failure::Rejected(f) => {
                    errors.push(f);
                    if errors.len() >= MAX_ERRORS {
                        return Err(ParseError::Invalid(Invalid(errors)));
                    }
                }
                Failure::Fatal(f) => {
                    errors.push(f);
                    return Err(ParseError::Invalid(Invalid(errors)));
                }
                Failure::Other if errors.is_empty() => return Err(ParseError::Other(e)),
                Failure::Other => return Err(ParseError::Invalid(Invalid(errors))),
            },
        }
    }
}

/// Why [`parse_all`] failed.
pub enum ParseError<E> {
    Invalid(Invalid),
    Other(E),
}

/// Implements `Deserialize` through [`Parse`] and `ToSchema` from a schema
/// expression (an `ObjectBuilder`), for a newtype of the domain.
#[macro_export]
macro_rules! parsed {
    ($t:ty, $schema:expr) => {
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::domain::field::deserialize(d)
            }
        }
        impl utoipa::PartialSchema for $t {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema.into()
            }
        }
        impl utoipa::ToSchema for $t {}
    };
}

/// A `String` newtype that only parsing makes: `as_str`, `into_string`,
/// `Display`, and `trusted` for a value this service stored after parsing it.
#[macro_export]
macro_rules! string_newtype {
    ($(#[$attr:meta])* $t:ident) => {
        $(#[$attr])*
        pub struct $t(String);

        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
            /// A value this service stored after parsing it.
            pub fn trusted(s: String) -> Self {
                Self(s)
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A display text (name, title, label): 1 to `$max` characters, no control
/// characters, not only spaces; surrounding spaces are trimmed.
#[macro_export]
macro_rules! display_text {
    ($(#[$doc:meta])* $t:ident, $max:expr, $example:expr) => {
        $crate::string_newtype!(
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
            #[serde(transparent)]
            $t
        );

        impl $t {
            pub const MAX_CHARS: usize = $max;
        }

        impl $crate::domain::field::Parse for $t {
            type Raw = String;
            fn parse(raw: String) -> Result<Self, $crate::domain::field::Rejection> {
                $crate::domain::field::display_text(raw, $max).map(Self)
            }
            fn placeholder() -> Self {
                Self(String::new())
            }
        }

        $crate::parsed!(
            $t,
            $crate::domain::field::string_schema(
                1,
                $max,
                Some($crate::domain::field::DISPLAY_TEXT_PATTERN),
                concat!("1 to ", stringify!($max), " characters, not blank, no control characters"),
                $example,
            )
        );
    };
}

/// No control characters, and at least one character that is not a space.
pub const DISPLAY_TEXT_PATTERN: &str = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$";

/// The rule of [`display_text!`] types.
pub fn display_text(raw: String, max: usize) -> Result<String, Rejection> {
    if raw.chars().any(|c| c.is_ascii_control()) {
        return Err(Rejection::new(
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    if raw.chars().count() > max {
        return Err(Rejection::new(
            "length",
            format!("must be at most {max} characters long"),
        ));
    }
    let trimmed = raw.trim_matches(' ');
    if trimmed.is_empty() {
        return Err(Rejection::new("blank", "must contain more than spaces"));
    }
    Ok(if trimmed.len() == raw.len() {
        raw
    } else {
        trimmed.to_owned()
    })
}

/// A free text (notes, text values): at most `max` characters, no NUL.
pub fn free_text(raw: String, max: usize) -> Result<String, Rejection> {
    if raw.contains('\0') {
        return Err(Rejection::new(
            "invalid_characters",
            "must not contain NUL characters",
        ));
    }
    if raw.chars().count() > max {
        return Err(Rejection::new(
            "length",
            format!("must be at most {max} characters long"),
        ));
    }
    Ok(raw)
}

/// A string schema: `min..=max` characters matching `pattern`.
pub fn string_schema(
    min: usize,
    max: usize,
    pattern: Option<&str>,
    description: &str,
    example: &str,
) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(pattern)
        .description(Some(description))
        .examples([serde_json::Value::from(example)])
}

/// An integer schema: `min..=max`.
pub fn integer_schema(min: i64, max: i64, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(
            if max > i64::from(i32::MAX) {
                KnownFormat::Int64
            } else {
                KnownFormat::Int32
            },
        )))
        .minimum(Some(min as f64))
        .maximum(Some(max as f64))
        .description(Some(description))
}

/// An enum-of-strings schema.
pub fn enum_schema<'a>(
    values: impl IntoIterator<Item = &'a str>,
    description: &str,
) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
}

/// A stored or sent value that is not one of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownValue(pub String);

/// `as_str`, `ALL`, `FromStr` (strict: an unknown name is an error, never a
/// default) and `Display` for an enum stored by its names.
#[macro_export]
macro_rules! str_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(Self::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
        }
        impl std::str::FromStr for $t {
            type Err = $crate::domain::field::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok(Self::$v),)+
                    _ => Err($crate::domain::field::UnknownValue(s.to_owned())),
                }
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Rules across the fields of a request, checked once every field parsed.
pub trait Checked {
    fn check(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

/// Why a request body or query string could not be read.
#[derive(Debug)]
pub enum InputError {
    /// Not JSON / not a query string at all (400).
    Malformed(String),
    /// Fields are missing, of the wrong type or rejected (422).
    Invalid(Invalid),
}

impl From<Invalid> for InputError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

/// A JSON request body: syntax errors are `Malformed`; every field error is
/// reported together; then the cross-field rules of [`Checked`].
pub fn from_json<T: DeserializeOwned + Checked>(bytes: &[u8]) -> Result<T, InputError> {
    // Syntax first, so that `{} x` is malformed rather than incomplete.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| InputError::Malformed(format!("malformed JSON: {e}")))?;
    // Every request body of this API is an object; say so instead of
    // letting serde read an array as a struct's fields.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Invalid::one(
            "body",
            "invalid_type",
            "the request body must be a JSON object",
        )
        .into());
    }
    let value: T = parse_all(
        || serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(bytes)),
        classify_json,
    )
    .map_err(|e| match e {
        ParseError::Invalid(i) => InputError::Invalid(i),
        ParseError::Other(e) => InputError::Malformed(format!("malformed JSON: {}", e.inner())),
    })?;
    value.check()?;
    Ok(value)
}

fn classify_json(err: &serde_path_to_error::Error<serde_json::Error>) -> Failure {
    use serde_json::error::Category;
    let path = err.path().to_string();
    let inner = err.inner();
    if !matches!(inner.classify(), Category::Data) {
        return Failure::Other;
    }
    let text = inner.to_string();
    if let Some((code, message)) = rejection_in(&text) {
        let field = if path == "." { "body".to_owned() } else { path };
        return Failure::Rejected(FieldError::new(field, code, message));
    }
    // serde reports "missing field `x`" / "unknown field `x`" at the parent path.
    let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
    let named = message.split('`').nth(1).unwrap_or_default();
    let join = |name: &str| {
        if path == name || path.ends_with(&format!(".{name}")) {
            path.clone()
        } else if path == "." || path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let (field, code) = if message.starts_with("missing field") {
        (join(named), "required")
    } else if message.starts_with("unknown field") {
        (join(named), "unknown_field")
    } else if path == "." {
        ("body".to_owned(), "invalid_type")
    } else {
        (path, "invalid_type")
    };
    Failure::Fatal(FieldError::new(field, code, message))
}

/// A query string: a value of the wrong type is `Malformed` (400), a
/// rejected value is `Invalid` (422, every one reported).
pub fn from_query<T: DeserializeOwned + Checked>(query: &str) -> Result<T, InputError> {
    let value: T = parse_all(
        || {
            serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(
                form_urlencoded::parse(query.as_bytes()),
            ))
        },
        |e: &serde_path_to_error::Error<serde_urlencoded::de::Error>| match rejection_in(
            &e.inner().to_string(),
        ) {
            Some((code, message)) => {
                Failure::Rejected(FieldError::new(e.path().to_string(), code, message))
            }
            None => Failure::Other,
        },
    )
    .map_err(|e| match e {
        ParseError::Invalid(i) => InputError::Invalid(i),
        ParseError::Other(e) => {
            let field = e.path().to_string();
            InputError::Malformed(if field == "." {
                format!("invalid query string: {}", e.inner())
            } else {
                format!("invalid query parameter `{field}`: {}", e.inner())
            })
        }
    })?;
    value.check()?;
    Ok(value)
}

/// A request value built in code (the command line, the demo, tests), parsed
/// exactly as the same JSON body would be.
pub fn from_value<T: DeserializeOwned + Checked>(v: serde_json::Value) -> Result<T, InputError> {
    let bytes = serde_json::to_vec(&v).map_err(|e| InputError::Malformed(e.to_string()))?;
    from_json(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code)]
    struct Body {
        name: crate::domain::site::Name,
        code: crate::domain::site::Code,
        age: u32,
    }
    impl Checked for Body {}

    fn fields(bytes: &[u8]) -> Vec<(String, String)> {
        match from_json::<Body>(bytes) {
            Err(InputError::Invalid(Invalid(v))) => {
                v.into_iter().map(|e| (e.field, e.code)).collect()
            }
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    fn pair(f: &str, c: &str) -> (String, String) {
        (f.to_owned(), c.to_owned())
    }

    #[test]
    fn json_errors_name_every_field() {
        assert!(matches!(
            from_json::<Body>(b"{"),
            Err(InputError::Malformed(_))
        ));
        assert!(matches!(
            from_json::<Body>(b"{} x"),
            Err(InputError::Malformed(_))
        ));
        assert_eq!(
            fields(br#"{"name":"a","code":"A"}"#),
            [pair("age", "required")]
        );
        assert_eq!(
            fields(br#"{"name":"a","code":"A","age":"x"}"#),
            [pair("age", "invalid_type")]
        );
        assert_eq!(
            fields(br#"{"name":"a","code":"A","age":1,"zzz":1}"#),
            [pair("zzz", "unknown_field")]
        );
        assert_eq!(fields(b"[]"), [pair("body", "invalid_type")]);
        // Every rejected value at once, then the first structural error.
        assert_eq!(
            fields(br#"{"name":" ","code":"a b","age":1}"#),
            [pair("name", "blank"), pair("code", "invalid_code")]
        );
        assert_eq!(
            fields(br#"{"name":" ","code":"a b"}"#),
            [
                pair("name", "blank"),
                pair("code", "invalid_code"),
                pair("age", "required")
            ]
        );
    }
}
