//! The statistics against a direct computation from the raw rows: random
//! sites in far-apart time zones, random plans (due times near midnight),
//! history and future, random submits, starts, cancellations, plan edits
//! and deactivations and scheduler passes; then random ranges, sites and
//! date spans, compared value for value. Measured values are multiples of
//! 0.25, so sums are exact in any order of addition. The blocks kept by the
//! transactions must also equal a rebuild from the rows.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use chrono_tz::Tz;
use gemba::entities::{result_values, results, schedules, stats_block_items, stats_blocks};
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_body, spawn_app};

/// xorshift64*: reproducible draws from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const ZONES: [&str; 8] = [
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Seoul",
    "UTC",
];
const DUE_TIMES: [&str; 6] = ["00:00", "00:15", "06:30", "12:00", "23:30", "23:59"];

struct World {
    sites: Vec<(i64, Tz)>,
    plans: Vec<i64>,
}

async fn build(app: &TestApp, rng: &mut Rng, admin: &str) -> World {
    let mut world = World {
        sites: Vec::new(),
        plans: Vec::new(),
    };
    for s in 0..3 {
        let zone = *rng.pick(&ZONES);
        let site = app.seed_site(&format!("S{s}"), zone).await;
        world.sites.push((site, zone.parse().unwrap()));
        for p in 0..2 {
            let eq = app.seed_equipment(site, &format!("E{s}{p}"), "A").await;
            let start = (Utc::now() - Duration::days(70)).date_naive().to_string();
            let interval = 1 + rng.below(3);
            let plan = app
                .created_plan(
                    admin,
                    &json!({
                        "equipment_id": eq,
                        "title": format!("Plan {s}{p}"),
                        "recurrence": {"frequency": "daily", "interval": interval, "start_date": start},
                        "due_time": rng.pick(&DUE_TIMES),
                        "window_hours": 1 + rng.below(30),
                        "items": [
                            {"key": "pressure", "label": "P", "kind": "number", "min": 5.0, "max": 20.0},
                            {"key": "temp", "label": "T", "kind": "number", "required": false},
                            {"key": "guard", "label": "G", "kind": "check"}
                        ]
                    }),
                )
                .await;
            let id = plan["id"].as_i64().unwrap();
            // History: the schedules of the last 70 days, as the scheduler
            // would have made them then.
            let found = gemba::repositories::plans::find(&app.state.db, id)
                .await
                .unwrap()
                .unwrap();
            let tz = gemba::services::generation::site_zone(&app.state.db, &found)
                .await
                .unwrap();
            let txn = gemba::db::begin_write(&app.state.writer).await.unwrap();
            gemba::services::generation::generate_for_plan(
                &txn,
                &found,
                tz,
                Utc::now() - Duration::days(70),
                100,
            )
            .await
            .unwrap();
            txn.commit().await.unwrap();
            world.plans.push(id);
        }
    }
    world
}

fn value(rng: &mut Rng) -> f64 {
    rng.below(120) as f64 * 0.25
}

async fn pending(app: &TestApp) -> Vec<schedules::Model> {
    schedules::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.status == "open" || s.status == "in_progress")
        .collect()
}

async fn mutate(app: &TestApp, rng: &mut Rng, admin: &str, world: &World) {
    for step in 0..70 {
        let pending = pending(app).await;
        let Some(s) = (!pending.is_empty()).then(|| rng.pick(&pending).clone()) else {
            break;
        };
        let path = format!("/api/v1/schedules/{}", s.id);
        let res = match rng.below(20) {
            0..=8 => {
                let mut values = json!({"pressure": value(rng), "guard": rng.below(2) == 0});
                if rng.below(2) == 0 {
                    values["temp"] = json!(value(rng) - 10.0);
                }
                app.submit_result(admin, s.id, None, &json!({ "values": values }))
                    .await
            }
            9..=11 => app.start_schedule(admin, s.id).await,
            12..=14 => {
                app.send_json(
                    Method::PATCH,
                    &path,
                    Some(admin),
                    &json!({"status": "cancelled"}),
                )
                .await
            }
            15..=16 => {
                let plan = *rng.pick(&world.plans);
                app.update_plan(
                    admin,
                    plan,
                    Some("*"),
                    &json!({"due_time": rng.pick(&DUE_TIMES), "window_hours": 1 + rng.below(30)}),
                )
                .await
            }
            17 if step > 40 => app.delete_plan(admin, *rng.pick(&world.plans)).await,
            _ => {
                gemba::services::generation::run_once(&app.state, Utc::now())
                    .await
                    .unwrap();
                continue;
            }
        };
        let status = res.status();
        assert!(
            status.is_success() || status == StatusCode::CONFLICT,
            "step {step}: {status} {}",
            res.text().await.unwrap()
        );
    }
}

/// What `GET /stats/summary` must say, from the raw rows.
fn expected_summary(rows: &Rows, sites: &[i64], from: DateTime<Utc>, to: DateTime<Utc>) -> Value {
    let within = |site: i64, due: &chrono::DateTime<chrono::FixedOffset>| {
        sites.contains(&site) && *due >= from && *due < to
    };
    let mut by_status: BTreeMap<&str, i64> =
        ["open", "in_progress", "completed", "missed", "cancelled"]
            .into_iter()
            .map(|s| (s, 0))
            .collect();
    for s in rows
        .schedules
        .iter()
        .filter(|s| within(s.site_id, &s.due_at))
    {
        *by_status.get_mut(s.status.as_str()).unwrap() += 1;
    }
    let res: Vec<_> = rows
        .results
        .iter()
        .filter(|r| within(r.site_id, &r.due_at))
        .collect();
    let passed = res.iter().filter(|r| r.passed).count() as i64;
    let mut items: BTreeMap<(i64, String), (i64, f64, f64, f64)> = BTreeMap::new();
    for v in rows.values.iter().filter(|v| within(v.site_id, &v.due_at)) {
        let Some(x) = v.number_value else { continue };
        items
            .entry((v.plan_id, v.item_key.clone()))
            .and_modify(|e| {
                e.0 += 1;
                e.1 += x;
                e.2 = e.2.min(x);
                e.3 = e.3.max(x);
            })
            .or_insert((1, x, x, x));
    }
    let completed = by_status["completed"];
    let decided = completed + by_status["missed"];
    json!({
        "total": by_status.values().sum::<i64>(),
        "by_status": by_status,
        "completion_rate": (decided > 0).then(|| completed as f64 / decided as f64),
        "results": res.len(),
        "results_passed": passed,
        "pass_rate": (!res.is_empty()).then(|| passed as f64 / res.len() as f64),
        "items": items.into_iter().map(|((plan, key), (n, sum, min, max))| json!({
            "plan_id": plan, "key": key, "count": n, "sum": sum, "avg": sum / n as f64, "min": min, "max": max
        })).collect::<Vec<_>>(),
    })
}

/// What `GET /stats/daily` must say for each local date, from the raw rows
/// and each site's own time zone.
fn expected_daily(
    rows: &Rows,
    zones: &HashMap<i64, Tz>,
    sites: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Value> {
    let local = |site: i64, due: &chrono::DateTime<chrono::FixedOffset>| {
        due.with_timezone(&zones[&site]).date_naive()
    };
    let mut days = Vec::new();
    let mut d = from;
    while d <= to {
        let mut by_status: BTreeMap<&str, i64> =
            ["open", "in_progress", "completed", "missed", "cancelled"]
                .into_iter()
                .map(|s| (s, 0))
                .collect();
        for s in rows
            .schedules
            .iter()
            .filter(|s| sites.contains(&s.site_id) && local(s.site_id, &s.due_at) == d)
        {
            *by_status.get_mut(s.status.as_str()).unwrap() += 1;
        }
        let res: Vec<_> = rows
            .results
            .iter()
            .filter(|r| sites.contains(&r.site_id) && local(r.site_id, &r.due_at) == d)
            .collect();
        let passed = res.iter().filter(|r| r.passed).count() as i64;
        let completed = by_status["completed"];
        let decided = completed + by_status["missed"];
        days.push(json!({
            "date": d.to_string(),
            "total": by_status.values().sum::<i64>(),
            "by_status": by_status,
            "completion_rate": (decided > 0).then(|| completed as f64 / decided as f64),
            "results": res.len(),
            "results_passed": passed,
            "pass_rate": (!res.is_empty()).then(|| passed as f64 / res.len() as f64),
        }));
        d += Duration::days(1);
    }
    days
}

struct Rows {
    schedules: Vec<schedules::Model>,
    results: Vec<results::Model>,
    values: Vec<result_values::Model>,
}

fn strip(mut v: Value, keys: &[&str]) -> Value {
    for k in keys {
        v.as_object_mut().unwrap().remove(*k);
    }
    v
}

/// Quotients to 12 digits: JSON parsing here may land one unit in the last
/// place away from the value sent. Counts, sums, min and max stay exact.
fn quotients(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if let ("completion_rate" | "pass_rate" | "avg", Some(f)) = (k.as_str(), x.as_f64())
                {
                    *x = json!((f * 1e12).round() / 1e12);
                } else {
                    quotients(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(quotients),
        _ => {}
    }
}

/// The blocks without the rows every change cancelled out.
async fn blocks(app: &TestApp) -> (Vec<stats_blocks::Model>, Vec<stats_block_items::Model>) {
    let mut b: Vec<_> = stats_blocks::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| {
            [
                r.n_open,
                r.n_in_progress,
                r.n_completed,
                r.n_missed,
                r.n_cancelled,
                r.n_results,
                r.n_passed,
            ] != [0; 7]
        })
        .collect();
    b.sort_by_key(|r| (r.site_id, r.level, r.block));
    let mut i = stats_block_items::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    i.sort_by(|x, y| {
        (x.site_id, x.level, x.block, x.plan_id, &x.item_key).cmp(&(
            y.site_id,
            y.level,
            y.block,
            y.plan_id,
            &y.item_key,
        ))
    });
    (b, i)
}

async fn check_seed(seed: u64) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let world = build(&app, &mut rng, &admin).await;
    mutate(&app, &mut rng, &admin, &world).await;
    let db = &app.state.db;
    let rows = Rows {
        schedules: schedules::Entity::find().all(db).await.unwrap(),
        results: results::Entity::find().all(db).await.unwrap(),
        values: result_values::Entity::find().all(db).await.unwrap(),
    };
    assert!(
        rows.results.len() > 5,
        "seed {seed}: the run recorded results"
    );
    let all: Vec<i64> = world.sites.iter().map(|s| s.0).collect();
    let zones: HashMap<i64, Tz> = world.sites.iter().copied().collect();
    let now = Utc::now().trunc_subsecs(0);
    for case in 0..40 {
        let one = rng.below(4) > 0;
        let site = one.then(|| rng.pick(&all).to_owned());
        let sites = site.map_or(all.clone(), |s| vec![s]);
        let from = now - Duration::minutes(rng.below(80 * 1440) as i64)
            + Duration::minutes(rng.below(30 * 1440) as i64);
        let to = from + Duration::minutes(1 + rng.below(110 * 1440) as i64);
        let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let query = format!(
            "{}from={}&to={}",
            site.map(|s| format!("site_id={s}&")).unwrap_or_default(),
            fmt(from),
            fmt(to)
        );
        let res = app.stats_summary(&admin, &query).await;
        assert_eq!(res.status(), StatusCode::OK, "{query}");
        let mut got = strip(json_body(res).await, &["site_id", "from", "to"]);
        let mut want = expected_summary(&rows, &sites, from, to);
        quotients(&mut got);
        quotients(&mut want);
        assert_eq!(got, want, "seed {seed}, case {case}: summary {query}");

        let day0 = (now - Duration::days(75)).date_naive() + Duration::days(rng.below(100) as i64);
        let day1 = day0 + Duration::days(rng.below(40) as i64);
        let query = format!(
            "{}from={day0}&to={day1}",
            site.map(|s| format!("site_id={s}&")).unwrap_or_default()
        );
        let res = app
            .get(&format!("/api/v1/stats/daily?{query}"), Some(&admin))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{query}");
        let mut got = json_body(res).await;
        let mut want = json!(expected_daily(&rows, &zones, &sites, day0, day1));
        quotients(&mut got);
        quotients(&mut want);
        assert_eq!(got["days"], want, "seed {seed}, case {case}: daily {query}");
    }
    // What the transactions kept equals a rebuild from the rows.
    let kept = blocks(&app).await;
    let txn = db.begin().await.unwrap();
    gemba::repositories::stats::rebuild(&txn).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(kept, blocks(&app).await, "seed {seed}: blocks == rebuild");
}

#[tokio::test]
async fn summary_and_daily_equal_a_direct_computation() {
    let seeds: Vec<u64> = match std::env::var("GEMBA_STATS_SEEDS") {
        Ok(s) => s.split(',').map(|x| x.trim().parse().unwrap()).collect(),
        Err(_) => vec![1, 2, 3],
    };
    for seed in seeds {
        check_seed(seed).await;
    }
}

#[tokio::test]
async fn daily_checks_its_range() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for (query, field) in [
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("from=2026-01-01&to=2027-01-03", "to"),
    ] {
        let res = app
            .get(&format!("/api/v1/stats/daily?{query}"), Some(&admin))
            .await;
        let problem = crate::helpers::assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    // Not a date, or no date: the query does not parse.
    for query in ["from=2026-13-01&to=2026-12-01", "to=2026-12-01"] {
        let res = app
            .get(&format!("/api/v1/stats/daily?{query}"), Some(&admin))
            .await;
        crate::helpers::assert_problem(res, StatusCode::BAD_REQUEST).await;
    }
    let res = app
        .get(
            "/api/v1/stats/daily?from=2026-01-01&to=2026-01-03",
            Some(&admin),
        )
        .await;
    let body = json_body(res).await;
    let dates: Vec<&str> = body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-01-01", "2026-01-02", "2026-01-03"]);
    assert_eq!(body["days"][0]["total"], 0);
    assert_eq!(body["days"][0]["completion_rate"], Value::Null);
}

/// A site id that does not exist is a 404 for both, never zeros that look
/// like an idle site.
#[tokio::test]
async fn an_unknown_site_is_not_found() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for path in [
        "/api/v1/stats/summary?site_id=987654",
        "/api/v1/stats/daily?site_id=987654&from=2026-01-01&to=2026-01-03",
    ] {
        let res = app.get(path, Some(&admin)).await;
        crate::helpers::assert_problem(res, StatusCode::NOT_FOUND).await;
    }
}

/// On PostgreSQL the blocks, rewritten by every submit and read by
/// index-only scans, are vacuumed after 1,000 changed or inserted rows
/// (migration 000009): a summary reads its blocks from the index alone only
/// on pages vacuum has marked all-visible.
#[tokio::test]
async fn postgres_vacuums_the_blocks_often() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let db = &app.state.db;
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    for table in ["stats_blocks", "stats_block_items"] {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "SELECT array_to_string(reloptions, ',') FROM pg_class \
                     WHERE oid = to_regclass('{table}')"
                ),
            ))
            .await
            .unwrap()
            .expect("the table exists");
        let options: String = row.try_get_by_index(0).unwrap();
        let mut options: Vec<&str> = options.split(',').collect();
        options.sort_unstable();
        assert_eq!(
            options,
            [
                "autovacuum_vacuum_insert_scale_factor=0",
                "autovacuum_vacuum_insert_threshold=1000",
                "autovacuum_vacuum_scale_factor=0",
                "autovacuum_vacuum_threshold=1000",
            ],
            "{table}"
        );
    }
}
