//! Users: roles, the e-mail and password rules, and the request and response
//! shapes of the users resource.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
use utoipa::{IntoParams, ToSchema};

use super::auth::Secret;
use super::field::{Checked, FieldError, Invalid, Parse, Rejection, string_schema};
use super::page::{IdCursor, Limit};
use crate::{display_text, parsed, str_enum, string_newtype};

/// What a user may do. `admin` sees everything; `manager` plans and manages
/// inspectors and viewers; `inspector` records results; `viewer` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Inspector,
    Viewer,
}

str_enum!(Role { Admin => "admin", Manager => "manager", Inspector => "inspector", Viewer => "viewer" });

impl Role {
    /// Whether a user of this role may create or change users of `other`'s role.
    pub fn may_manage(self, other: Role) -> bool {
        match self {
            Role::Admin => true,
            Role::Manager => matches!(other, Role::Inspector | Role::Viewer),
            Role::Inspector | Role::Viewer => false,
        }
    }
}

string_newtype!(
    /// A syntactically valid e-mail address, stored lower case.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[serde(transparent)]
    Email
);

/// The address pattern (WHATWG's, with a dot required in the domain).
const EMAIL_PATTERN: &str = "^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn domain(&self) -> &str {
        self.0.rsplit('@').next().unwrap_or_default()
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        let b = l.as_bytes();
        (1..=63).contains(&b.len())
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    local_ok && labels.len() >= 2 && labels.iter().all(label_ok)
}

impl Parse for Email {
    type Raw = String;
    fn parse(raw: String) -> Result<Self, Rejection> {
        if raw.chars().count() > Self::MAX_LEN {
            return Err(Rejection::new(
                "too_long",
                format!("must be at most {} characters long", Self::MAX_LEN),
            ));
        }
        if !is_email(&raw) {
            return Err(Rejection::new(
                "invalid_email",
                "must be a valid e-mail address like name@factory.example",
            ));
        }
        Ok(Self(raw.to_ascii_lowercase()))
    }
    fn placeholder() -> Self {
        Self(String::new())
    }
}

parsed!(
    Email,
    string_schema(
        3,
        Email::MAX_LEN,
        Some(EMAIL_PATTERN),
        "An e-mail address; stored lower case",
        "kim.minjun@factory.example",
    )
);

display_text!(
    /// A person's name: 1 to 100 characters.
    UserName,
    100,
    "김민준"
);

/// Which e-mail domains may hold accounts (from configuration).
#[derive(Debug, Clone, Default)]
pub struct EmailPolicy {
    /// When non-empty, only these domains and their subdomains.
    pub allowed: Vec<String>,
    /// Never these domains or their subdomains.
    pub denied: Vec<String>,
}

impl EmailPolicy {
    pub fn check(&self, email: &Email) -> Result<(), FieldError> {
        let domain = email.domain();
        let matches = |d: &String| domain == d || domain.ends_with(&format!(".{d}"));
        if self.denied.iter().any(matches) {
            return Err(FieldError::new(
                "email",
                "domain_denied",
                format!("addresses at `{domain}` are not accepted"),
            ));
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(matches) {
            return Err(FieldError::new(
                "email",
                "domain_not_allowed",
                format!(
                    "addresses at `{domain}` are not accepted; allowed domains: {}",
                    self.allowed.join(", ")
                ),
            ));
        }
        Ok(())
    }
}

/// A password that meets the policy (NIST SP 800-63B §3.1.1.2): 8 to 128
/// characters, any characters, not a commonly used password, and (checked
/// with the account, see [`Password::check_against`]) not the e-mail
/// address or its local part. No composition rules, no forced rotation.
#[derive(Debug, Clone)]
pub struct Password(Secret);

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// The rule that needs the account: not its e-mail address or local part.
    pub fn check_against(&self, field: &str, email: &str) -> Result<(), FieldError> {
        let lower = self.0.expose().to_lowercase();
        let email = email.to_lowercase();
        let local = email.split('@').next().unwrap_or_default();
        if lower == email || lower == local {
            return Err(FieldError::new(
                field,
                "same_as_email",
                "must not be your e-mail address",
            ));
        }
        Ok(())
    }
}

impl Parse for Password {
    type Raw = Secret;
    fn parse(raw: Secret) -> Result<Self, Rejection> {
        let pw = raw.expose();
        let chars = pw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Rejection::new(
                "too_short",
                format!("must be at least {} characters long", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(Rejection::new(
                "too_long",
                format!("must be at most {} characters long", Self::MAX_CHARS),
            ));
        }
        let lower = pw.to_lowercase();
        if COMMON_PASSWORDS.lines().any(|c| c == lower) {
            return Err(Rejection::new(
                "common_password",
                "is a commonly used password; choose another",
            ));
        }
        Ok(Self(raw))
    }
    fn placeholder() -> Self {
        Self(Secret::new(""))
    }
}

parsed!(
    Password,
    string_schema(
        Password::MIN_CHARS,
        Password::MAX_CHARS,
        None,
        "8 to 128 characters, not your e-mail address, not a commonly used password",
        "correct horse battery staple",
    )
    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)))
);

/// A user as the API shows it. Never carries the password hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub email: Email,
    pub name: UserName,
    pub role: Role,
    /// False once the user was deleted (deactivated); they cannot log in.
    pub is_active: bool,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /users` body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: Email,
    pub name: UserName,
    pub role: Role,
    pub password: Password,
}

impl Checked for NewUser {
    fn check(&self) -> Result<(), Invalid> {
        self.password
            .check_against("password", self.email.as_str())
            .map_err(Invalid::from)
    }
}

/// `PATCH /users/{id}` body: only the fields to change.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub name: Option<UserName>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

impl Checked for UserPatch {}

/// `PATCH /users/me` body: what users may change about themselves.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    #[serde(default)]
    pub name: Option<UserName>,
}

impl Checked for MePatch {}

impl From<MePatch> for UserPatch {
    fn from(p: MePatch) -> Self {
        Self {
            name: p.name,
            ..Default::default()
        }
    }
}

/// `PUT /users/me/password` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[schema(value_type = String, format = Password, min_length = 1, max_length = 1024)]
    pub current_password: Secret,
    pub new_password: Password,
}

impl Checked for ChangePassword {}

/// `GET /users` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users of this role.
    pub role: Option<Role>,
    /// Only active (true) or deactivated (false) users.
    pub active: Option<bool>,
    #[param(inline)]
    pub limit: Option<Limit>,
    #[param(inline)]
    pub cursor: Option<IdCursor>,
}

impl Checked for UserQuery {}

/// Filters for listing users.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Restrict to members of these sites (a manager sees the users of
    /// their own sites only).
    pub sites: Option<Vec<i64>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_support::{codes, parse_json};
    use serde_json::json;

    fn email(s: &str) -> Result<Email, &'static str> {
        Email::parse(s.into()).map_err(|r| r.code)
    }

    #[test]
    fn email_is_normalized_and_checked() {
        assert_eq!(
            email("Kim@Factory.Example").unwrap().as_str(),
            "kim@factory.example"
        );
        assert!(email(" kim@factory.example").is_err());
        assert!(email("no-at-sign").is_err());
        assert!(email("a@b").is_err());
        assert!(email("a@-b.example").is_err());
        assert!(email("a@b..example").is_err());
        let long = format!("{}@x.example", "a".repeat(250));
        assert_eq!(email(&long).unwrap_err(), "too_long");
    }

    #[test]
    fn domain_policy() {
        let p = EmailPolicy {
            allowed: vec!["factory.example".into()],
            denied: vec!["bad.factory.example".into()],
        };
        let e = |s: &str| email(s).unwrap();
        assert!(p.check(&e("a@factory.example")).is_ok());
        assert!(p.check(&e("a@kr.factory.example")).is_ok());
        assert_eq!(
            p.check(&e("a@bad.factory.example")).unwrap_err().code,
            "domain_denied"
        );
        assert_eq!(
            p.check(&e("a@gmail.com")).unwrap_err().code,
            "domain_not_allowed"
        );
        assert_eq!(
            p.check(&e("a@notfactory.example")).unwrap_err().code,
            "domain_not_allowed"
        );
    }

    #[test]
    fn password_policy_follows_nist() {
        let check = |pw: &str| {
            let p = Password::parse(Secret::new(pw)).map_err(|r| r.code.to_owned())?;
            p.check_against("password", "kim@factory.example")
                .map_err(|e| e.code)
        };
        assert_eq!(check("short"), Err("too_short".into()));
        assert_eq!(check(&"x".repeat(129)), Err("too_long".into()));
        assert_eq!(check("KIM@factory.example"), Err("same_as_email".into()));
        assert_eq!(check("password1"), Err("common_password".into()));
        assert_eq!(check("Password123"), Err("common_password".into()));
        // No composition rules: a long passphrase of lower-case words is fine, and so is Korean.
        assert_eq!(check("correct horse battery staple"), Ok(()));
        assert_eq!(check("공장점검비밀번호"), Ok(()));
        assert_eq!(check(&"y".repeat(128)), Ok(()));
    }

    #[test]
    fn new_user_reports_every_field() {
        let errs = codes(
            parse_json::<NewUser>(json!({
                "email": "bad", "name": " ", "role": "inspector", "password": "short"
            }))
            .unwrap_err(),
        );
        assert_eq!(
            errs,
            [
                ("email".to_owned(), "invalid_email".to_owned()),
                ("name".to_owned(), "blank".to_owned()),
                ("password".to_owned(), "too_short".to_owned()),
            ]
        );
        let ok: NewUser = parse_json(json!({
            "email": "Lee@Factory.Example", "name": " 이서연 ", "role": "inspector",
            "password": "hunter2hunter2"
        }))
        .unwrap();
        assert_eq!(ok.email.as_str(), "lee@factory.example");
        assert_eq!(ok.name.as_str(), "이서연");
        let errs = codes(
            parse_json::<NewUser>(json!({
                "email": "lee@factory.example", "name": "이서연", "role": "inspector",
                "password": "lee@factory.example"
            }))
            .unwrap_err(),
        );
        assert_eq!(errs, [("password".to_owned(), "same_as_email".to_owned())]);
    }

    #[test]
    fn managers_manage_only_floor_roles() {
        assert!(Role::Admin.may_manage(Role::Admin));
        assert!(Role::Manager.may_manage(Role::Inspector));
        assert!(!Role::Manager.may_manage(Role::Manager));
        assert!(!Role::Inspector.may_manage(Role::Viewer));
        assert_eq!("viewer".parse::<Role>().unwrap(), Role::Viewer);
        assert!("root".parse::<Role>().is_err());
    }
}
