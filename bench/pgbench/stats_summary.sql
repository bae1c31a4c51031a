-- pgbench -M prepared: the SQL statements gemba issues for GET /stats/summary?site_id=7&from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z,
-- as captured from PostgreSQL's log (log_statement = all); parameters as :variables.
-- Kept in step with gemba by hand; bench/http.sh prints what gemba sends now.
\set uid 1
\set site 7
\set one 1
SELECT "users"."id" AS "A_id", "users"."email" AS "A_email", "users"."name" AS "A_name", "users"."role" AS "A_role", "users"."password_hash" AS "A_password_hash", "users"."is_active" AS "A_is_active", "users"."created_at" AS "A_created_at", "users"."updated_at" AS "A_updated_at", "site_members"."user_id" AS "B_user_id", "site_members"."site_id" AS "B_site_id" FROM "users" LEFT JOIN "site_members" ON "users"."id" = "site_members"."user_id" WHERE "users"."id" = :uid ORDER BY "users"."id" ASC;
SELECT "schedules"."status", COUNT(*) AS "n" FROM "schedules" WHERE "schedules"."due_at" >= '2026-01-01 00:00:00+00' AND "schedules"."due_at" < '2026-04-01 00:00:00+00' AND "schedules"."site_id" = :site GROUP BY "schedules"."status";
SELECT COUNT(*) AS "n", CAST((SUM(CASE WHEN passed THEN 1 ELSE 0 END)) AS bigint) AS "passed" FROM "results" WHERE "results"."due_at" >= '2026-01-01 00:00:00+00' AND "results"."due_at" < '2026-04-01 00:00:00+00' AND "results"."site_id" = :site LIMIT :one;
SELECT "result_values"."plan_id", "result_values"."item_key", COUNT("number_value") AS "n", CAST(SUM("number_value") AS double precision) AS "sum", CAST((AVG(number_value)) AS double precision) AS "avg", CAST(MIN("number_value") AS double precision) AS "min", CAST(MAX("number_value") AS double precision) AS "max" FROM "result_values" WHERE "result_values"."due_at" >= '2026-01-01 00:00:00+00' AND "result_values"."due_at" < '2026-04-01 00:00:00+00' AND "result_values"."site_id" = :site AND "result_values"."number_value" IS NOT NULL GROUP BY "result_values"."plan_id", "result_values"."item_key" ORDER BY "result_values"."plan_id" ASC, "result_values"."item_key" ASC;
