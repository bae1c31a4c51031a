//! Attachments: an upload is checked by its bytes, streamed into object
//! storage while its SHA-256 is computed, and made visible only once the
//! object is complete. A row is `pending` while its object is written and
//! `deleting` while it is removed, so a failure at any point leaves nothing
//! visible that is not whole, and the housekeeper removes what an
//! interrupted upload or deletion left behind.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::Utc;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::audit::{self, Change};
use super::files::{self, Content};
use super::visible;
use crate::db::begin_write;
use crate::domain::attachment::{self, Attachment, AttachmentQuery, AttachmentStatus};
use crate::domain::auth::CurrentUser;
use crate::domain::field::FieldError;
use crate::domain::page::{Page, PageRequest};
use crate::domain::user::Role;
use crate::error::{AppError, AppResult};
use crate::repositories::attachments::{self as repo, PendingRow};
use crate::repositories::{schedules, sites};
use crate::state::AppState;
use crate::storage::ObjectKey;

/// Bytes read before the type is judged (every accepted signature is
/// within the first few dozen).
const SNIFF_BYTES: usize = 512;
/// A pending row untouched this long is an upload that was cut off.
const STALE_PENDING: Duration = Duration::from_secs(3600);
/// A deleting row untouched this long is a deletion that was interrupted.
const STALE_DELETING: Duration = Duration::from_secs(60);

/// An uploaded file as the route received it.
pub struct Incoming<S> {
    /// The name the client gave (any text; it is made safe here).
    pub file_name: Option<String>,
    /// The content type the client declared.
    pub declared_type: Option<String>,
    /// The bytes, as they arrive.
    pub body: S,
}

/// What an upload did.
pub enum Uploaded {
    /// A new attachment.
    Created(Attachment),
    /// The same bytes were already attached to the schedule (a retried
    /// upload whose answer was lost): that attachment, nothing new stored.
    Existing(Attachment),
}

/// Attaches a file to a schedule the caller sees.
pub async fn upload<S>(
    state: &AppState,
    actor: &CurrentUser,
    schedule_id: i64,
    incoming: Incoming<S>,
) -> AppResult<Uploaded>
where
    S: Stream<Item = AppResult<Bytes>> + Unpin,
{
    let schedule = visible(actor, schedules::find(&state.db, schedule_id).await?)?;
    let allowed = &state.settings.attachment_types;
    let accepted = || allowed.join(", ");
    if let Some(declared) = attachment::declared_type(incoming.declared_type.as_deref())
        && !allowed.contains(&declared)
    {
        return Err(AppError::UnsupportedMediaType(format!(
            "{declared} files are not accepted; accepted: {}",
            accepted()
        )));
    }
    let mut body = incoming.body;
    let mut head = BytesMut::new();
    while head.len() < SNIFF_BYTES {
        match body.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => break,
        }
    }
    if head.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "file",
            "empty",
            "the file is empty",
        )]));
    }
    let Some(kind) = infer::get(&head).filter(|k| allowed.iter().any(|a| a == k.mime_type()))
    else {
        let seen = infer::get(&head).map_or("not of a recognized type", |k| k.mime_type());
        return Err(AppError::UnsupportedMediaType(format!(
            "the file's bytes are {seen}, whatever its name or declared type; accepted: {}",
            accepted()
        )));
    };
    let content_type = kind.mime_type();
    let site = sites::find(&state.db, schedule.site_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let file_name = attachment::file_name(
        incoming.file_name.as_deref(),
        content_type,
        kind.extension(),
    );
    // Local time and a random tag first: names sort by when they were taken
    // and two uploads of `IMG_0001.jpg` never share an object.
    let local = now.with_timezone(&site.timezone.tz());
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let key = ObjectKey::attachment(
        site.code.as_str(),
        now,
        schedule.id,
        &format!("{}_{tag}_{file_name}", local.format("%Y%m%d-%H%M%S")),
    );
    let pending = repo::insert_pending(
        &state.writer,
        PendingRow {
            schedule_id: schedule.id,
            site_id: schedule.site_id,
            file_name,
            content_type: content_type.to_owned(),
            object_key: key.to_string(),
            uploaded_by: actor.actor_id(),
        },
        now,
    )
    .await?;
    // From here on, a cancelled request (the client went away) still
    // leaves neither row nor object: the guard cleans up when dropped.
    let guard = Pending::new(state, pending.id, key.clone());
    let limit = state.settings.upload_limit_bytes as u64;
    let body = futures_util::stream::iter([Ok(head.freeze())]).chain(body);
    let (size, sha256) = match store(state, &key, content_type, body, limit).await {
        Ok(stored) => stored,
        Err(e) => {
            guard.clean().await;
            return Err(e);
        }
    };
    match finish(state, actor, &pending, size, &sha256).await {
        Ok(Uploaded::Created(a)) => {
            guard.disarm();
            tracing::info!(
                attachment.id = a.id,
                schedule.id = a.schedule_id,
                size,
                content_type,
                "attachment stored"
            );
            Ok(Uploaded::Created(a))
        }
        Ok(existing) => {
            guard.clean().await;
            Ok(existing)
        }
        Err(e) => {
            guard.clean().await;
            Err(e)
        }
    }
}

/// Streams the bytes into `key`, hashing them; the object is aborted on
/// any error (including a file over the limit).
async fn store(
    state: &AppState,
    key: &ObjectKey,
    content_type: &str,
    mut body: impl Stream<Item = AppResult<Bytes>> + Unpin,
    limit: u64,
) -> AppResult<(i64, String)> {
    let mut upload = state
        .storage
        .upload(key, content_type)
        .await
        .map_err(AppError::Unavailable)?;
    let mut hasher = Sha256::new();
    while let Some(chunk) = body.next().await {
        let step = match chunk {
            Ok(chunk) if upload.written() + chunk.len() as u64 > limit => {
                Err(AppError::PayloadTooLarge)
            }
            Ok(chunk) => {
                hasher.update(&chunk);
                upload.write(chunk).await.map_err(AppError::Unavailable)
            }
            Err(e) => Err(e),
        };
        if let Err(e) = step {
            upload.abort().await;
            return Err(e);
        }
    }
    let size = upload.finish().await.map_err(AppError::Unavailable)?;
    Ok((size as i64, crate::security::hex(&hasher.finalize())))
}

/// Makes the stored upload visible, or answers with the attachment that
/// already holds the same bytes.
async fn finish(
    state: &AppState,
    actor: &CurrentUser,
    pending: &Attachment,
    size: i64,
    sha256: &str,
) -> AppResult<Uploaded> {
    let txn = begin_write(&state.writer).await?;
    if let Some(existing) = repo::find_ready_by_hash(&txn, pending.schedule_id, sha256).await? {
        return Ok(Uploaded::Existing(existing));
    }
    if !repo::mark_ready(&txn, pending.id, size, sha256, Utc::now()).await? {
        return Err(AppError::Conflict(
            "the upload took too long and was discarded; send it again".to_owned(),
        ));
    }
    let attachment = Attachment {
        status: AttachmentStatus::Ready,
        size_bytes: size,
        sha256: sha256.to_owned(),
        ..pending.clone()
    };
    audit::record(&txn, actor, Change::Created(&attachment)).await?;
    txn.commit().await?;
    Ok(Uploaded::Created(attachment))
}

/// An upload's row and object until the upload is complete: removed
/// together on failure, or by a task if the request is cancelled.
struct Pending {
    armed: Option<(AppState, i64, ObjectKey)>,
}

impl Pending {
    fn new(state: &AppState, id: i64, key: ObjectKey) -> Self {
        Self {
            armed: Some((state.clone(), id, key)),
        }
    }

    fn disarm(mut self) {
        self.armed = None;
    }

    async fn clean(mut self) {
        if let Some((state, id, key)) = self.armed.take() {
            remove(&state, id, &key).await;
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some((state, id, key)) = self.armed.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move { remove(&state, id, &key).await });
        }
    }
}

/// Deletes the object, then the hidden row; a failure is left to the
/// housekeeper (the row stays, so the object is not forgotten).
async fn remove(state: &AppState, id: i64, key: &ObjectKey) {
    if let Err(e) = state.storage.delete(key).await {
        tracing::warn!(
            attachment.id = id,
            error = format!("{e:#}"),
            "removing an attachment's object failed; housekeeping retries"
        );
        return;
    }
    if let Err(e) = repo::delete_hidden(&state.writer, id).await {
        tracing::warn!(attachment.id = id, error = %e, "removing an attachment's row failed; housekeeping retries");
    }
}

/// The schedule's attachments, oldest first.
pub async fn list(
    state: &AppState,
    actor: &CurrentUser,
    schedule_id: i64,
    q: AttachmentQuery,
) -> AppResult<Page<Attachment>> {
    let schedule = visible(actor, schedules::find(&state.db, schedule_id).await?)?;
    let page = PageRequest::new(q.limit, q.cursor.map(|c| c.0));
    let rows = repo::list(&state.db, schedule.id, &page).await?;
    Ok(page.page(rows, |a| a.id))
}

/// A ready attachment of one of the caller's sites.
pub async fn get(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<Attachment> {
    let found = repo::find(&state.db, id).await?;
    visible(actor, found.filter(|a| a.status == AttachmentStatus::Ready))
}

/// The attachment's bytes: a stream, or a presigned URL on S3.
pub async fn content(
    state: &AppState,
    actor: &CurrentUser,
    id: i64,
) -> AppResult<Content<Attachment>> {
    files::deliver(state, get(state, actor, id).await?).await
}

/// Deletes an attachment: hidden first, then its object, then its row.
/// Inspectors delete only what they uploaded; managers and admins any of
/// their sites'.
pub async fn delete(state: &AppState, actor: &CurrentUser, id: i64) -> AppResult<()> {
    let a = get(state, actor, id).await?;
    if actor.role == Role::Inspector && a.uploaded_by != actor.actor_id() {
        return Err(AppError::Forbidden(
            "inspectors may delete only the attachments they uploaded",
        ));
    }
    let txn = begin_write(&state.writer).await?;
    if !repo::mark_deleting(&txn, a.id, Utc::now()).await? {
        return Err(AppError::NotFound);
    }
    audit::record(&txn, actor, Change::Deleted(&a)).await?;
    txn.commit().await?;
    let key = ObjectKey::trusted(a.object_key.clone());
    state
        .storage
        .delete(&key)
        .await
        .map_err(AppError::Unavailable)?;
    repo::delete_hidden(&state.writer, a.id).await?;
    tracing::info!(attachment.id = a.id, "attachment deleted");
    Ok(())
}

/// Finishes what interrupted uploads and deletions left: their objects,
/// then their rows. Returns how many were cleaned.
pub async fn housekeep(state: &AppState) -> anyhow::Result<usize> {
    let now = Utc::now();
    let mut cleaned = 0;
    for (status, age) in [
        (AttachmentStatus::Pending, STALE_PENDING),
        (AttachmentStatus::Deleting, STALE_DELETING),
    ] {
        let before = now - chrono::Duration::from_std(age)?;
        for a in repo::stale(&state.db, status, before, 500).await? {
            state
                .storage
                .delete(&ObjectKey::trusted(a.object_key.clone()))
                .await?;
            cleaned += repo::delete_hidden(&state.writer, a.id).await? as usize;
        }
    }
    if cleaned > 0 {
        tracing::info!(
            cleaned,
            "interrupted attachment uploads and deletions cleaned up"
        );
    }
    Ok(cleaned)
}
