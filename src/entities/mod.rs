//! SeaORM entities, in the shape `sea-orm-cli generate entity` writes them
//! from the migrated schema. Not edited by hand beyond that shape; only
//! repositories use them.

pub mod login_throttles;
pub mod refresh_tokens;
pub mod users;
