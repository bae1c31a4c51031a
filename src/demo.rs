//! `gemba demo`: a realistic sample so a new user sees a living system —
//! factories in Korea, Vietnam and the US, their lines and equipment,
//! plans with mixed recurrences and checklists, and 90 days of history with
//! some failed and some missed inspections.

use anyhow::Context;
use chrono::{Duration, Utc};
use serde_json::json;

use crate::domain::auth::CurrentUser;
use crate::domain::equipment::NewEquipment;
use crate::domain::field::{Checked, from_query, from_value};
use crate::domain::plan::NewPlan;
use crate::domain::result::SubmitResult;
use crate::domain::schedule::{ScheduleQuery, ScheduleStatus};
use crate::domain::site::NewSite;
use crate::domain::user::{NewUser, Role};
use crate::repositories::sites as site_repo;
use crate::services::{equipment, generation, plans, results, schedules, sites, users};
use crate::state::AppState;

/// Everyone's demo password.
pub const PASSWORD: &str = "gemba-demo-2026";

struct Factory {
    code: &'static str,
    name: &'static str,
    country: &'static str,
    tz: &'static str,
    lines: &'static [&'static str],
    manager: (&'static str, &'static str),
    inspectors: &'static [(&'static str, &'static str)],
}

const FACTORIES: &[Factory] = &[
    Factory {
        code: "KR-ASAN",
        name: "아산 공장",
        country: "KR",
        tz: "Asia/Seoul",
        lines: &["프레스 A라인", "용접 B라인", "도장 C라인"],
        manager: ("manager@gemba.example", "김민준 팀장"),
        inspectors: &[
            ("inspector@gemba.example", "이서연"),
            ("park.jihoon@gemba.example", "박지훈"),
        ],
    },
    Factory {
        code: "KR-ULSAN",
        name: "울산 공장",
        country: "KR",
        tz: "Asia/Seoul",
        lines: &["조립 1라인", "조립 2라인"],
        manager: ("choi.manager@gemba.example", "최영호 팀장"),
        inspectors: &[("jung.minji@gemba.example", "정민지")],
    },
    Factory {
        code: "VN-HANOI",
        name: "Nhà máy Hà Nội",
        country: "VN",
        tz: "Asia/Ho_Chi_Minh",
        lines: &["Line 1", "Line 2"],
        manager: ("nguyen.manager@gemba.example", "Nguyễn Văn An"),
        inspectors: &[("tran.thi@gemba.example", "Trần Thị Mai")],
    },
    Factory {
        code: "US-OHIO",
        name: "Ohio Plant",
        country: "US",
        tz: "America/New_York",
        lines: &["Stamping", "Assembly"],
        manager: ("smith.manager@gemba.example", "John Smith"),
        inspectors: &[("garcia@gemba.example", "Maria Garcia")],
    },
];

const KINDS: &[(&str, &str, &str)] = &[
    ("PRESS", "프레스", "press"),
    ("WELD", "용접 로봇", "welder"),
    ("CONV", "컨베이어", "conveyor"),
    ("COMP", "공압 컴프레서", "compressor"),
];

fn checklist(kind: &str) -> serde_json::Value {
    match kind {
        "press" => json!([
            {"key": "oil_pressure", "label": "유압 (MPa)", "kind": "number", "unit": "MPa", "min": 10.0, "max": 15.0},
            {"key": "oil_temp", "label": "작동유 온도 (°C)", "kind": "number", "unit": "°C", "min": 20.0, "max": 60.0},
            {"key": "guard_ok", "label": "안전 가드 정상", "kind": "check"},
            {"key": "note", "label": "특이사항", "kind": "text", "required": false}
        ]),
        "welder" => json!([
            {"key": "current", "label": "용접 전류 (A)", "kind": "number", "unit": "A", "min": 180.0, "max": 240.0},
            {"key": "tip_ok", "label": "팁 마모 상태 양호", "kind": "check"}
        ]),
        "conveyor" => json!([
            {"key": "belt_speed", "label": "벨트 속도 (m/min)", "kind": "number", "unit": "m/min", "min": 8.0, "max": 12.0},
            {"key": "emergency_stop", "label": "비상 정지 작동", "kind": "check"}
        ]),
        _ => json!([
            {"key": "air_pressure", "label": "공기압 (bar)", "kind": "number", "unit": "bar", "min": 6.0, "max": 8.0},
            {"key": "drain_ok", "label": "드레인 배출 확인", "kind": "check"}
        ]),
    }
}

fn recurrence(i: usize, start: &str) -> serde_json::Value {
    match i % 4 {
        0 | 1 => json!({"frequency": "daily", "start_date": start}),
        2 => json!({"frequency": "weekly", "weekdays": [1, 3, 5], "start_date": start}),
        _ => json!({"frequency": "monthly", "month_days": [1, 15], "start_date": start}),
    }
}

/// A measured value: mostly within limits, sometimes not.
fn reading(min: f64, max: f64, seed: u64) -> f64 {
    let span = max - min;
    let x = (seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        >> 33)
        % 1000;
    let v = if x < 60 {
        max + span * 0.1
    } else {
        min + span * (x as f64 / 1000.0)
    };
    (v * 10.0).round() / 10.0
}

/// A demo value, parsed as the same request body would be.
fn parse<T: serde::de::DeserializeOwned + Checked>(v: serde_json::Value) -> anyhow::Result<T> {
    from_value(v).map_err(|e| anyhow::anyhow!("invalid demo data: {e:?}"))
}

pub async fn load(state: &AppState) -> anyhow::Result<()> {
    let system = CurrentUser::system();
    let first_page = crate::domain::page::PageRequest::new(None, None);
    if site_repo::list(&state.db, None, &first_page)
        .await?
        .iter()
        .any(|s| s.code.as_str() == FACTORIES[0].code)
    {
        println!("the demo data is already loaded");
        return Ok(());
    }
    let user = |email: &str, name: &str, role: Role| -> anyhow::Result<NewUser> {
        parse(json!({"email": email, "name": name, "role": role, "password": PASSWORD}))
    };
    users::create(
        state,
        &system,
        user("admin@gemba.example", "관리자", Role::Admin)?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    users::create(
        state,
        &system,
        user("viewer@gemba.example", "품질 감사", Role::Viewer)?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let history_start = (Utc::now() - Duration::days(90)).date_naive().to_string();
    let (mut n_equipment, mut n_plans) = (0, 0);
    for f in FACTORIES {
        let site = sites::create(
            state,
            &system,
            parse::<NewSite>(json!({
                "code": f.code, "name": f.name, "country_code": f.country, "timezone": f.tz
            }))?,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .context("creating a demo site")?;
        let manager = users::create(
            state,
            &system,
            user(f.manager.0, f.manager.1, Role::Manager)?,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        sites::set_member(state, &system, site.id, manager.id, true)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let mut inspectors = Vec::new();
        for (email, name) in f.inspectors {
            let u = users::create(state, &system, user(email, name, Role::Inspector)?)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            sites::set_member(state, &system, site.id, u.id, true)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            inspectors.push(u.id);
        }
        let mut i = 0;
        for line in f.lines {
            for (code, label, kind) in KINDS.iter().chain(KINDS.iter()) {
                i += 1;
                let item = equipment::create(
                    state,
                    &system,
                    parse::<NewEquipment>(json!({
                        "site_id": site.id,
                        "code": format!("{code}-{i:02}"),
                        "name": format!("{label} {i}호기"),
                        "line": line,
                        "kind": kind,
                    }))?,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                n_equipment += 1;
                // Every press and compressor, and every other machine, has a plan.
                if i % 2 == 0 || *kind == "press" || *kind == "compressor" {
                    let body: NewPlan = parse(json!({
                        "equipment_id": item.id,
                        "title": format!("{} 정기 점검", item.name),
                        "recurrence": recurrence(i, &history_start),
                        "due_time": if i % 3 == 0 { "14:00" } else { "09:00" },
                        "window_hours": 8,
                        "assignee_id": inspectors[i % inspectors.len()],
                        "items": checklist(kind),
                    }))?;
                    let plan = plans::create(state, &system, body)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                    n_plans += 1;
                    history(state, &plan, site.timezone.tz()).await?;
                }
            }
        }
    }
    // Whatever was left open in the past is now missed.
    let (_, missed) = generation::run_once(state, Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "demo loaded: {} factories, {n_equipment} pieces of equipment, {n_plans} plans, 90 days of history ({missed} missed)",
        FACTORIES.len()
    );
    println!(
        "log in as admin@gemba.example, manager@gemba.example or inspector@gemba.example with password {PASSWORD}"
    );
    Ok(())
}

/// Schedules for the last 90 days, most with results.
async fn history(
    state: &AppState,
    plan: &crate::domain::plan::Plan,
    tz: chrono_tz::Tz,
) -> anyhow::Result<()> {
    let system = CurrentUser::system();
    let now = Utc::now();
    let past = now - Duration::days(91);
    let txn = crate::db::begin_write(&state.writer).await?;
    generation::generate_for_plan(&txn, plan, tz, past, 91)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    txn.commit().await?;
    let mut cursor = None;
    let mut seed = plan.id as u64 * 7919;
    loop {
        let q: ScheduleQuery = from_query(&format!(
            "plan_id={}&due_to={}&limit=100{}",
            plan.id,
            (now - Duration::hours(i64::from(plan.window_hours.get())))
                .format("%Y-%m-%dT%H:%M:%SZ"),
            cursor
                .as_deref()
                .map(|c| format!("&cursor={c}"))
                .unwrap_or_default()
        ))
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let page = schedules::list(state, &system, q)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        for s in page
            .items
            .iter()
            .filter(|s| s.status == ScheduleStatus::Open)
        {
            seed = seed.wrapping_add(104729);
            if seed % 100 < 8 {
                continue; // left undone: becomes missed
            }
            let mut values = serde_json::Map::new();
            for item in &plan.items {
                let v = match item.kind {
                    crate::domain::plan::ItemKind::Number => {
                        json!(reading(
                            item.min.map_or(0.0, |m| m.get()),
                            item.max.map_or(100.0, |m| m.get()),
                            seed ^ item.key.as_str().len() as u64
                        ))
                    }
                    crate::domain::plan::ItemKind::Check => json!(seed % 100 > 3),
                    crate::domain::plan::ItemKind::Text => continue,
                };
                values.insert(item.key.as_str().to_owned(), v);
            }
            let body: SubmitResult = parse(json!({"values": values}))?;
            results::submit(state, &system, s.id, None, body)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(())
}
