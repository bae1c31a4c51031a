//! Users: roles, the e-mail and password rules, and the request and response
//! shapes of the users resource.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidateEmail, ValidationError};

use super::auth::Secret;
use crate::error::{AppError, AppResult, FieldError};

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

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Inspector, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Inspector => "inspector",
            Role::Viewer => "viewer",
        }
    }

    /// Whether a user of this role may create or change users of `other`'s role.
    pub fn may_manage(self, other: Role) -> bool {
        match self {
            Role::Admin => true,
            Role::Manager => matches!(other, Role::Inspector | Role::Viewer),
            Role::Inspector | Role::Viewer => false,
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}` (admin, manager, inspector, viewer)"))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A syntactically valid, lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    /// Normalizes (trim, lower case) and checks syntax and length.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        if email.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new(
                "email",
                "too_long",
                format!("must be at most {} characters long", Self::MAX_LEN),
            ));
        }
        if !email.validate_email() || !email.contains('.') {
            return Err(FieldError::new(
                "email",
                "invalid_email",
                "must be a valid e-mail address like name@factory.example",
            ));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit('@').next().unwrap_or_default()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

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
/// characters, any characters, not the e-mail address or its local part, not
/// a commonly used password. No composition rules, no forced rotation.
#[derive(Debug, Clone)]
pub struct Password(Secret);

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(field: &str, raw: &Secret, email: Option<&str>) -> Result<Self, FieldError> {
        let pw = raw.expose();
        let chars = pw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("must be at least {} characters long", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("must be at most {} characters long", Self::MAX_CHARS),
            ));
        }
        let lower = pw.to_lowercase();
        if let Some(email) = email {
            let email = email.trim().to_lowercase();
            let local = email.split('@').next().unwrap_or_default();
            if lower == email || lower == local {
                return Err(FieldError::new(
                    field,
                    "same_as_email",
                    "must not be your e-mail address",
                ));
            }
        }
        if COMMON_PASSWORDS.lines().any(|c| c == lower) {
            return Err(FieldError::new(
                field,
                "common_password",
                "is a commonly used password; choose another",
            ));
        }
        Ok(Self(raw.clone()))
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

/// A user as the API shows it. Never carries the password hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    #[schema(example = "kim.minjun@factory.example")]
    pub email: String,
    #[schema(example = "김민준")]
    pub name: String,
    pub role: Role,
    /// False once the user was deleted (deactivated); they cannot log in.
    pub is_active: bool,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::domain::time::rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// `POST /users` body.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(example = "kim.minjun@factory.example")]
    pub email: String,
    #[validate(custom(function = "not_blank"), length(max = 100))]
    #[schema(example = "김민준", max_length = 100)]
    pub name: String,
    pub role: Role,
    /// 8 to 128 characters, not your e-mail address, not a common password.
    pub password: Secret,
}

/// A user ready to be stored.
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password: Password,
}

impl CreateUser {
    /// Checks every field at once and reports all problems together.
    pub fn parse(self, policy: &EmailPolicy) -> AppResult<NewUser> {
        let mut errors = field_errors(self.validate());
        let email = Email::parse(&self.email)
            .and_then(|e| policy.check(&e).map(|()| e))
            .map_err(|e| errors.push(e))
            .ok();
        let password = Password::parse("password", &self.password, Some(&self.email))
            .map_err(|e| errors.push(e))
            .ok();
        match (email, password) {
            (Some(email), Some(password)) if errors.is_empty() => Ok(NewUser {
                email,
                name: self.name.trim().to_owned(),
                role: self.role,
                password,
            }),
            _ => Err(sorted(errors)),
        }
    }
}

/// `PATCH /users/{id}` body: only the fields to change.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub email: Option<String>,
    #[validate(custom(function = "not_blank"), length(max = 100))]
    pub name: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// A checked `UpdateUser`.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub email: Option<Email>,
    pub name: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

impl UpdateUser {
    pub fn parse(self, policy: &EmailPolicy) -> AppResult<UserChanges> {
        let mut errors = field_errors(self.validate());
        let email = match &self.email {
            Some(raw) => Email::parse(raw)
                .and_then(|e| policy.check(&e).map(|()| e))
                .map_err(|e| errors.push(e))
                .ok(),
            None => None,
        };
        if !errors.is_empty() {
            return Err(sorted(errors));
        }
        Ok(UserChanges {
            email,
            name: self.name.map(|n| n.trim().to_owned()),
            role: self.role,
            is_active: self.is_active,
        })
    }
}

/// `PATCH /users/me` body: what users may change about themselves.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    #[validate(custom(function = "not_blank"), length(max = 100))]
    pub name: Option<String>,
}

impl UpdateMe {
    pub fn parse(self) -> AppResult<UserChanges> {
        let errors = field_errors(self.validate());
        if !errors.is_empty() {
            return Err(sorted(errors));
        }
        Ok(UserChanges {
            name: self.name.map(|n| n.trim().to_owned()),
            ..Default::default()
        })
    }
}

/// `PUT /users/me/password` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: Secret,
    /// 8 to 128 characters, not your e-mail address, not a common password.
    pub new_password: Secret,
}

/// `GET /users` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users of this role.
    pub role: Option<Role>,
    /// Only active (true) or deactivated (false) users.
    pub active: Option<bool>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Filters for listing users.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// Restrict to these roles (what the caller may see).
    pub roles_visible: Option<Vec<Role>>,
}

fn not_blank(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() {
        let mut e = ValidationError::new("required");
        e.message = Some("must not be blank".into());
        return Err(e);
    }
    Ok(())
}

fn field_errors(result: Result<(), validator::ValidationErrors>) -> Vec<FieldError> {
    match result {
        Ok(()) => Vec::new(),
        Err(e) => match AppError::from(e) {
            AppError::Validation(v) => v,
            _ => Vec::new(),
        },
    }
}

fn sorted(mut errors: Vec<FieldError>) -> AppError {
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    AppError::Validation(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(err: AppError) -> Vec<(String, String)> {
        match err {
            AppError::Validation(v) => v.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    fn create(email: &str, name: &str, pw: &str) -> CreateUser {
        CreateUser {
            email: email.into(),
            name: name.into(),
            role: Role::Inspector,
            password: Secret::new(pw),
        }
    }

    #[test]
    fn email_is_normalized_and_checked() {
        assert_eq!(
            Email::parse("  Kim@Factory.Example ").unwrap().as_str(),
            "kim@factory.example"
        );
        assert!(Email::parse("no-at-sign").is_err());
        assert!(Email::parse("a@b").is_err());
        let long = format!("{}@x.example", "a".repeat(250));
        assert_eq!(Email::parse(&long).unwrap_err().code, "too_long");
    }

    #[test]
    fn domain_policy() {
        let p = EmailPolicy {
            allowed: vec!["factory.example".into()],
            denied: vec!["bad.factory.example".into()],
        };
        assert!(p.check(&Email::parse("a@factory.example").unwrap()).is_ok());
        assert!(
            p.check(&Email::parse("a@kr.factory.example").unwrap())
                .is_ok()
        );
        assert_eq!(
            p.check(&Email::parse("a@bad.factory.example").unwrap())
                .unwrap_err()
                .code,
            "domain_denied"
        );
        assert_eq!(
            p.check(&Email::parse("a@gmail.com").unwrap())
                .unwrap_err()
                .code,
            "domain_not_allowed"
        );
        assert_eq!(
            p.check(&Email::parse("a@notfactory.example").unwrap())
                .unwrap_err()
                .code,
            "domain_not_allowed"
        );
    }

    #[test]
    fn password_policy_follows_nist() {
        let e = Some("kim@factory.example");
        let check = |pw: &str| {
            Password::parse("password", &Secret::new(pw), e)
                .map(|_| ())
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
    fn create_user_reports_every_field() {
        let errs = codes(
            create("bad", " ", "short")
                .parse(&EmailPolicy::default())
                .unwrap_err(),
        );
        assert_eq!(
            errs,
            [
                ("email".to_owned(), "invalid_email".to_owned()),
                ("name".to_owned(), "required".to_owned()),
                ("password".to_owned(), "too_short".to_owned()),
            ]
        );
        let ok = create("Lee@Factory.Example", " 이서연 ", "hunter2hunter2")
            .parse(&EmailPolicy::default())
            .unwrap();
        assert_eq!(ok.email.as_str(), "lee@factory.example");
        assert_eq!(ok.name, "이서연");
    }

    #[test]
    fn managers_manage_only_floor_roles() {
        assert!(Role::Admin.may_manage(Role::Admin));
        assert!(Role::Manager.may_manage(Role::Inspector));
        assert!(!Role::Manager.may_manage(Role::Manager));
        assert!(!Role::Inspector.may_manage(Role::Viewer));
    }
}
