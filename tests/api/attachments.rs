//! Attachments: photos stored under readable names, judged by their bytes,
//! limited in size before the body is read, scoped to the caller's sites,
//! and never left half-written (no row without its object, no object
//! without its row).

use gemba::domain::user::Role;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    TestApp, assert_problem, field_codes, jpeg, json_body, png, spawn_app, spawn_app_with,
    utf8_file_name,
};

struct Floor {
    schedule: i64,
    inspector: String,
    manager: String,
}

async fn floor(app: &TestApp) -> Floor {
    let site = app.seed_site("KR-CW1", "Asia/Seoul").await;
    Floor {
        schedule: app.seed_plan(site).await.schedule_id,
        inspector: app.member(Role::Inspector, site).await.token,
        manager: app.member(Role::Manager, site).await.token,
    }
}

/// Attachment rows of every status.
async fn rows(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    gemba::entities::attachments::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_photo_is_stored_listed_downloaded_retried_and_deleted() {
    let app = spawn_app().await;
    let f = floor(&app).await;
    let photo = jpeg("압력계");
    let res = app
        .upload_attachment(
            &f.inspector,
            f.schedule,
            "압력계 사진.jpg",
            "image/jpeg",
            &photo,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let a = json_body(res).await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/attachments/{id}"));
    assert_eq!(a["file_name"], "압력계 사진.jpg");
    assert_eq!(a["content_type"], "image/jpeg");
    assert_eq!(a["size_bytes"], photo.len());
    let sha = gemba::security::hex(&Sha256::digest(&photo));
    assert_eq!(a["sha256"], sha.as_str());
    assert_eq!(a["schedule_id"], f.schedule);

    // One object, under a readable key: attachments/{site}/{yyyy}/{mm}/{schedule}/…
    let objects = app.stored_objects().await;
    assert_eq!(objects.len(), 1, "{objects:?}");
    let prefix = format!("attachments/KR-CW1/{}/", chrono::Utc::now().format("%Y/%m"));
    assert!(objects[0].starts_with(&prefix), "{objects:?}");
    assert!(objects[0].ends_with("_압력계 사진.jpg"), "{objects:?}");

    // Listed, readable, downloadable byte for byte with its name.
    let page = json_body(app.list_attachments(&f.manager, f.schedule).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], id);
    let got = json_body(app.get_attachment(&f.manager, id).await).await;
    assert_eq!(got["sha256"], sha.as_str());
    let res = app.get_attachment_content(&f.manager, id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-length"], photo.len().to_string().as_str());
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert_eq!(utf8_file_name(disposition), "압력계 사진.jpg");
    assert_eq!(res.bytes().await.unwrap().as_ref(), photo.as_slice());

    // The phone retries after losing the answer: the same attachment, 200,
    // nothing new stored.
    let res = app
        .upload_attachment(
            &f.inspector,
            f.schedule,
            "압력계 사진.jpg",
            "image/jpeg",
            &photo,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_body(res).await["id"], id);
    assert_eq!(app.stored_objects().await.len(), 1);
    assert_eq!(rows(&app).await, 1);

    // Deleted: the object and the row are gone, the id answers 404.
    let res = app.delete_attachment(&f.inspector, id).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(app.stored_objects().await.is_empty());
    assert_eq!(rows(&app).await, 0);
    assert_problem(
        app.get_attachment(&f.manager, id).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get_attachment_content(&f.manager, id).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete_attachment(&f.manager, id).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let audit = json_body(
        app.list_audit_events(&f.manager, &format!("entity=attachment&entity_id={id}"))
            .await,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "create"], "{audit}");
}

#[tokio::test]
async fn uploads_are_judged_by_their_bytes_and_bad_ones_store_nothing() {
    let app = spawn_app().await;
    let f = floor(&app).await;
    let html = b"<!doctype html><html><script>alert(1)</script></html>".to_vec();
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.extend(std::iter::repeat_n(0u8, 512));
    let cases: Vec<(&str, &str, &str, Vec<u8>, StatusCode)> = vec![
        // Spoofed: declared as a photo, named like one, but the bytes are not.
        (
            "script as jpeg",
            "photo.jpg",
            "image/jpeg",
            html,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "exe as jpeg",
            "photo.jpg",
            "image/jpeg",
            exe,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        // A real photo declared as a type that is not accepted.
        (
            "declared exe",
            "photo.jpg",
            "application/x-msdownload",
            jpeg("a"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "svg",
            "drawing.svg",
            "image/svg+xml",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "empty",
            "photo.jpg",
            "image/jpeg",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (name, file_name, declared, bytes, status) in cases {
        let res = app
            .upload_attachment(&f.inspector, f.schedule, file_name, declared, &bytes)
            .await;
        assert_eq!(res.status(), status, "case {name}");
        assert_problem(res, status).await;
    }
    // Not a form at all, or a form without the `file` part.
    let res = app
        .post_json(
            &format!("/api/v1/schedules/{}/attachments", f.schedule),
            Some(&f.inspector),
            &serde_json::json!({"file": "aGVsbG8="}),
        )
        .await;
    assert_problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let form = reqwest::multipart::Form::new().text("note", "no file here");
    let res = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/schedules/{}/attachments", f.schedule),
            Some(&f.inspector),
        )
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(
        field_codes(&body),
        [("file".to_owned(), "required".to_owned())]
    );
    assert_eq!(rows(&app).await, 0);
    assert!(app.stored_objects().await.is_empty());

    // A PNG sent as `scan.jpg` with a JPEG type is stored as what it is.
    let res = app
        .upload_attachment(&f.inspector, f.schedule, "scan.jpg", "image/jpeg", &png())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let a = json_body(res).await;
    assert_eq!(a["content_type"], "image/png");
    assert_eq!(a["file_name"], "scan.jpg.png");
    // A name without extension gets the one its bytes call for; an unnamed
    // file gets a name.
    let res = app
        .upload_attachment(
            &f.inspector,
            f.schedule,
            "",
            "application/octet-stream",
            &jpeg("b"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_body(res).await["file_name"], "upload.jpg");
}

#[tokio::test]
async fn path_traversal_names_stay_inside_the_store() {
    let app = spawn_app().await;
    let f = floor(&app).await;
    let names = [
        "../../../../etc/passwd.jpg",
        "..\\..\\windows\\system32\\evil.jpg",
        "/abs/olute.jpg",
        "tab\tand\u{202e}gpj.exe.jpg",
        "....//....//x.jpg",
    ];
    for (i, name) in names.iter().enumerate() {
        let res = app
            .upload_attachment(
                &f.inspector,
                f.schedule,
                name,
                "image/jpeg",
                &jpeg(&i.to_string()),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{name:?}");
        let a = json_body(res).await;
        let stored = a["file_name"].as_str().unwrap();
        assert!(
            !stored.contains(['/', '\\', '\t', '\u{202e}']) && !stored.starts_with('.'),
            "{name:?} stored as {stored:?}"
        );
    }
    // A NUL or control character in the form's headers is a broken form.
    let res = app
        .upload_attachment(
            &f.inspector,
            f.schedule,
            "nul\0byte\u{1}.jpg",
            "image/jpeg",
            &jpeg("nul"),
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST).await;
    // Every object is where the server put it, nothing escaped the store.
    let objects = app.stored_objects().await;
    assert_eq!(objects.len(), names.len());
    for o in &objects {
        let parts: Vec<&str> = o.split('/').collect();
        assert_eq!(parts.len(), 6, "{o}");
        assert_eq!(parts[0], "attachments");
        assert_eq!(parts[4], f.schedule.to_string());
        assert!(parts.iter().all(|p| *p != ".." && *p != "."), "{o}");
    }
    let data = &app.state.settings.data_dir;
    assert!(!data.join("etc").exists() && !data.join("abs").exists());
    assert!(!std::path::Path::new("/etc/passwd.jpg").exists());
}

#[tokio::test]
async fn oversized_uploads_are_refused_and_store_nothing() {
    let app = spawn_app_with(|o| o.upload_limit_bytes = Some(64 * 1024)).await;
    let f = floor(&app).await;

    // Content-Length over the limit: 413 at once, before the body is sent.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/schedules/{}/attachments HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\n\
         Content-Length: 50000000\r\n\r\n",
        f.schedule, f.inspector
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("answered without waiting for the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");

    // A file over the limit inside a form that fits: 413 while reading,
    // the partial object and the row removed.
    let mut big = jpeg("big");
    big.extend(std::iter::repeat_n(0x42, 70 * 1024));
    let res = app
        .upload_attachment(&f.inspector, f.schedule, "big.jpg", "image/jpeg", &big)
        .await;
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(rows(&app).await, 0);
    assert!(
        app.stored_objects().await.is_empty(),
        "{:?}",
        app.stored_objects().await
    );

    // Just under the limit is fine.
    let mut fits = jpeg("fits");
    fits.resize(60 * 1024, 0x42);
    let res = app
        .upload_attachment(&f.inspector, f.schedule, "fits.jpg", "image/jpeg", &fits)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_upload_cut_off_midway_leaves_nothing_behind() {
    let app = spawn_app().await;
    let f = floor(&app).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut part =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.jpg\"\r\n\
        Content-Type: image/jpeg\r\n\r\n"
            .to_vec();
    part.extend(jpeg("cut"));
    part.extend(std::iter::repeat_n(0x42, 256 * 1024));
    let head = format!(
        "POST /api/v1/schedules/{}/attachments HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\n\
         Content-Length: {}\r\n\r\n",
        f.schedule,
        f.inspector,
        part.len() + 4 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&part).await.unwrap();
    // The upload is under way: its row exists while the bytes arrive.
    let mut pending = false;
    for _ in 0..100 {
        if rows(&app).await == 1 {
            pending = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(pending, "the upload never started");
    // The phone loses the network.
    drop(stream);
    let mut clean = false;
    for _ in 0..250 {
        if rows(&app).await == 0 && app.stored_objects().await.is_empty() {
            clean = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        clean,
        "left behind: {} rows, objects {:?}",
        rows(&app).await,
        app.stored_objects().await
    );
}

#[tokio::test]
async fn attachments_follow_sites_and_roles() {
    let app = spawn_app().await;
    let f = floor(&app).await;
    let other_site = app.seed_site("VN-HN1", "Asia/Ho_Chi_Minh").await;
    let stranger = app.member(Role::Inspector, other_site).await.token;
    let other_schedule = app.seed_plan(other_site).await.schedule_id;
    let res = app
        .upload_attachment(&f.inspector, f.schedule, "a.jpg", "image/jpeg", &jpeg("a"))
        .await;
    let id = json_body(res).await["id"].as_i64().unwrap();

    // Another site's inspector: 404 for everything, as if nothing existed.
    for res in [
        app.upload_attachment(&stranger, f.schedule, "x.jpg", "image/jpeg", &jpeg("x"))
            .await,
        app.list_attachments(&stranger, f.schedule).await,
        app.get_attachment(&stranger, id).await,
        app.get_attachment_content(&stranger, id).await,
        app.delete_attachment(&stranger, id).await,
    ] {
        assert_problem(res, StatusCode::NOT_FOUND).await;
    }
    // …and our inspector cannot reach theirs.
    assert_problem(
        app.upload_attachment(
            &f.inspector,
            other_schedule,
            "x.jpg",
            "image/jpeg",
            &jpeg("y"),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(rows(&app).await, 1);
    assert_eq!(app.stored_objects().await.len(), 1);

    // Viewers read but do not upload or delete; an inspector deletes only
    // their own uploads; a manager any of the site's.
    let site = json_body(app.get_schedule(&f.manager, f.schedule).await).await["site_id"]
        .as_i64()
        .unwrap();
    let viewer = app.member(Role::Viewer, site).await.token;
    let colleague = app.member(Role::Inspector, site).await.token;
    assert_eq!(
        app.get_attachment(&viewer, id).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.upload_attachment(&viewer, f.schedule, "v.jpg", "image/jpeg", &jpeg("v"))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.delete_attachment(&viewer, id).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_problem(
        app.delete_attachment(&colleague, id).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        app.delete_attachment(&f.manager, id).await.status(),
        StatusCode::NO_CONTENT
    );
    let page: Value = json_body(app.list_attachments(&f.inspector, f.schedule).await).await;
    assert!(page["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn housekeeping_finishes_interrupted_uploads_and_deletions() {
    use gemba::repositories::attachments as repo;
    use gemba::storage::ObjectKey;
    let app = spawn_app().await;
    let f = floor(&app).await;
    let site = json_body(app.get_schedule(&f.manager, f.schedule).await).await["site_id"]
        .as_i64()
        .unwrap();
    let long_ago = chrono::Utc::now() - chrono::Duration::hours(3);
    // A process died mid-upload (row pending, part of the object written)
    // and another mid-deletion (row deleting, object still there).
    let mut ids = Vec::new();
    for name in ["died-uploading.jpg", "died-deleting.jpg"] {
        let key = ObjectKey::attachment("KR-CW1", long_ago, f.schedule, name);
        let row = repo::insert_pending(
            &app.state.db,
            repo::PendingRow {
                schedule_id: f.schedule,
                site_id: site,
                file_name: name.to_owned(),
                content_type: "image/jpeg".to_owned(),
                object_key: key.to_string(),
                uploaded_by: None,
            },
            long_ago,
        )
        .await
        .unwrap();
        let mut up = app.state.storage.upload(&key, "image/jpeg").await.unwrap();
        up.write(bytes::Bytes::from(jpeg(name))).await.unwrap();
        up.finish().await.unwrap();
        ids.push(row.id);
    }
    assert!(
        repo::mark_ready(&app.state.db, ids[1], 10, "ab", long_ago)
            .await
            .unwrap()
    );
    assert!(
        repo::mark_deleting(&app.state.db, ids[1], long_ago)
            .await
            .unwrap()
    );
    // A fresh upload in progress is left alone.
    let fresh = app
        .upload_attachment(
            &f.inspector,
            f.schedule,
            "keep.jpg",
            "image/jpeg",
            &jpeg("keep"),
        )
        .await;
    assert_eq!(fresh.status(), StatusCode::CREATED);
    assert_eq!(app.stored_objects().await.len(), 3);

    gemba::jobs::housekeep_once(&app.state).await.unwrap();
    assert_eq!(rows(&app).await, 1);
    let objects = app.stored_objects().await;
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(objects[0].ends_with("keep.jpg"));
    for id in ids {
        assert!(repo::find(&app.state.db, id).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_large_photo_goes_up_in_parts_and_comes_back_whole() {
    let app = spawn_app().await;
    let f = floor(&app).await;
    // 12 MiB: more than one 8 MiB part of a multipart upload.
    let mut photo = jpeg("large");
    photo.extend((0..12 * 1024 * 1024).map(|i: u32| (i % 251) as u8));
    let res = app
        .upload_attachment(&f.inspector, f.schedule, "large.jpg", "image/jpeg", &photo)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let a = json_body(res).await;
    assert_eq!(a["size_bytes"], photo.len());
    let res = app
        .get_attachment_content(&f.manager, a["id"].as_i64().unwrap())
        .await;
    let back = res.bytes().await.unwrap();
    assert_eq!(back.len(), photo.len());
    assert_eq!(
        gemba::security::hex(&Sha256::digest(&back)),
        a["sha256"].as_str().unwrap()
    );
}

#[tokio::test]
async fn attachments_on_s3_download_by_presigned_url_and_delete_their_object() {
    let Some(s3) = crate::common::TestS3::from_env("attachments on S3") else {
        return;
    };
    let app = spawn_app_with(|o| {
        s3.apply(o);
        o.s3_presigned_downloads = Some(true);
    })
    .await;
    let f = floor(&app).await;
    let photo = jpeg("s3");
    let res = app
        .upload_attachment(
            &f.inspector,
            f.schedule,
            "배관 누유.jpg",
            "image/jpeg",
            &photo,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = json_body(res).await["id"].as_i64().unwrap();
    let keys = app.stored_objects().await;
    assert_eq!(keys.len(), 1);
    assert!(keys[0].ends_with("_배관 누유.jpg"), "{keys:?}");
    let res = app.get_attachment_content(&f.manager, id).await;
    assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
    let url = res.headers()["location"].to_str().unwrap().to_owned();
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(utf8_file_name(&disposition), "배관 누유.jpg");
    assert_eq!(res.bytes().await.unwrap().as_ref(), photo.as_slice());
    assert_eq!(
        app.delete_attachment(&f.inspector, id).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(app.stored_objects().await.is_empty());
    // The old URL now finds nothing.
    assert_eq!(
        reqwest::get(&url).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}
