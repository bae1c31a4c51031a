-- pgbench -M prepared: the SQL statements gemba issues for GET /schedules?site_id={1..20}&due_from=2026-02-01T00:00:00Z&include=plan,equipment&limit=50
-- (a random site, as bench/http.sh draws), as captured from gemba's log (sqlx::query=debug); parameters as :variables.
-- Run with PGOPTIONS='-c plan_cache_mode=force_generic_plan -c enable_memoize=off -c max_parallel_workers_per_gather=0',
-- the settings of gemba's connections (src/db.rs), as bench/http.sh does.
-- Kept in step with gemba by hand.
\set uid 1
\set site random(1, 20)
\set limit 51
SELECT "users"."role", "users"."is_active", "site_members"."site_id" FROM "users" LEFT JOIN "site_members" ON "users"."id" = "site_members"."user_id" WHERE "users"."id" = :uid;
SELECT "schedules"."id", "schedules"."plan_id", "schedules"."plan_version", "schedules"."site_id", "schedules"."equipment_id", "schedules"."assignee_id", "schedules"."due_at", "schedules"."due_day", "schedules"."window_ends_at", "schedules"."status", "schedules"."started_at", "schedules"."completed_at", "schedules"."created_at", "schedules"."updated_at", "plans"."id", "plans"."site_id", "plans"."equipment_id", "plans"."title", "plans"."recurrence", "plans"."due_time", "plans"."window_hours", "plans"."assignee_id", "plans"."is_active", "plans"."version", "plans"."items", "plans"."created_at", "plans"."updated_at", "equipment"."id", "equipment"."site_id", "equipment"."code", "equipment"."name", "equipment"."line", "equipment"."kind", "equipment"."status", "equipment"."created_at", "equipment"."updated_at" FROM "schedules" LEFT JOIN "plans" ON "schedules"."plan_id" = "plans"."id" LEFT JOIN "equipment" ON "schedules"."equipment_id" = "equipment"."id" WHERE "schedules"."site_id" = :site AND "schedules"."due_at" >= '2026-02-01 00:00:00+00' ORDER BY "schedules"."due_at" ASC, "schedules"."id" ASC LIMIT :limit;
