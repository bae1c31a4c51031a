-- pgbench -M prepared: the SQL statements gemba issues for GET /schedules/{id} (ids 100000..999999, as the oha run),
-- as captured from PostgreSQL's log (log_statement = all); parameters as :variables.
-- Kept in step with gemba by hand; bench/http.sh prints what gemba sends now.
\set uid 1
\set id random(100000, 999999)
\set one 1
SELECT "users"."role", "users"."is_active", "site_members"."site_id" FROM "users" LEFT JOIN "site_members" ON "users"."id" = "site_members"."user_id" WHERE "users"."id" = :uid;
SELECT "schedules"."id", "schedules"."plan_id", "schedules"."plan_version", "schedules"."site_id", "schedules"."equipment_id", "schedules"."assignee_id", "schedules"."due_at", "schedules"."due_day", "schedules"."window_ends_at", "schedules"."status", "schedules"."started_at", "schedules"."completed_at", "schedules"."created_at", "schedules"."updated_at" FROM "schedules" WHERE "schedules"."id" = :id LIMIT :one;
