//! Every SeaORM query, one file per resource; entity <-> domain conversion.
//! Functions take `&impl ConnectionTrait` so a service passes the pool or its
//! transaction, and return the ORM's `DbErr`.

pub mod attachments;
pub mod audit;
pub mod equipment;
pub mod login_throttles;
pub mod plans;
pub mod refresh_tokens;
pub mod reports;
pub mod results;
pub mod schedules;
pub mod server_secrets;
pub mod sites;
pub mod stats;
pub mod users;

/// A JSON column's value from a domain value.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, sea_orm::DbErr> {
    serde_json::to_value(v).map_err(json_err)
}

/// A JSON column read straight into its domain type: sqlx hands the bytes to
/// serde, with no `serde_json::Value` tree built and walked in between.
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct JsonColumn<T>(pub T);

impl<T: serde::de::DeserializeOwned> sea_orm::TryGetableFromJson for JsonColumn<T> {}

/// A JSON column that does not hold what the domain expects.
pub(crate) fn json_err(e: serde_json::Error) -> sea_orm::DbErr {
    sea_orm::DbErr::Json(e.to_string())
}

/// A stored enum name, read strictly: an unknown one is a corrupt row (an
/// error, answered 500 with the cause in the log), never a default.
pub(crate) fn stored<T>(column: &str, raw: &str) -> Result<T, sea_orm::DbErr>
where
    T: std::str::FromStr<Err = crate::domain::field::UnknownValue>,
{
    raw.parse()
        .map_err(|e| sea_orm::DbErr::Type(format!("{column}: {e}")))
}

/// A stored value of a parsed domain type, read strictly.
pub(crate) fn stored_parsed<T: crate::domain::field::Parse>(
    column: &str,
    raw: T::Raw,
) -> Result<T, sea_orm::DbErr> {
    T::parse(raw).map_err(|r| sea_orm::DbErr::Type(format!("{column}: {}", r.message)))
}

/// One keyset page of `q` by id: the rows after `page.after` in `order`
/// (ascending: oldest first; descending: newest first), one more than the
/// limit so `PageRequest::page` can tell whether another page follows.
pub(crate) fn page_by_id<E: sea_orm::EntityTrait>(
    q: sea_orm::Select<E>,
    id: E::Column,
    order: sea_orm::Order,
    page: &crate::domain::page::PageRequest<i64>,
) -> sea_orm::Select<E> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let q = match (page.after, &order) {
        (None, _) => q,
        (Some(after), sea_orm::Order::Desc) => q.filter(id.lt(after)),
        (Some(after), _) => q.filter(id.gt(after)),
    };
    q.order_by(id, order).limit(page.fetch())
}

/// Applies the changes of `Option` fields to an active model.
macro_rules! set_some {
    ($am:expr, $( $field:ident => $value:expr ),+ $(,)?) => {
        $( if let Some(v) = $value { $am.$field = sea_orm::ActiveValue::Set(v); } )+
    };
}
pub(crate) use set_some;
