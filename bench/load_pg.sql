-- The large data set of the benchmarks: 20 sites, 5,000 equipment,
-- 10,000 plans, __DAYS__ daily schedules per plan (100: 1,000,000 schedules;
-- 300: 3M; 1000: 10M). The days end on 2026-04-10 whatever their number:
-- a larger set adds history before 2026-01-01 (__FIRST__ days), so the same
-- dates hold the same rows at every size. The last 40 days are open, the
-- days before them completed with results. bench/http.sh replaces __DAYS__,
-- __FIRST__ and __OPEN__ (the first open day), then runs `gemba rebuild-stats`.
\timing on
insert into sites (code, name, country_code, timezone, created_at, updated_at)
select 'SITE-' || g, 'Site ' || g, 'KR', 'Asia/Seoul', now(), now() from generate_series(1, 20) g;
insert into equipment (site_id, code, name, line, kind, status, created_at, updated_at)
select 1 + (g % 20), 'EQ-' || g, 'Machine ' || g, 'Line ' || (g % 7), 'press', 'active', now(), now()
from generate_series(1, 5000) g;
insert into plans (site_id, equipment_id, title, recurrence, due_time, window_hours, assignee_id, is_active, version, items, created_at, updated_at)
select e.site_id, e.id, 'Plan ' || g, '{"frequency":"daily","interval":1,"weekdays":[],"month_days":[],"start_date":"2026-01-01","end_date":null,"count":null}',
       '09:00:00', 4, null, true, 1,
       '[{"key":"p","label":"P","kind":"number","unit":null,"min":1.0,"max":2.0,"required":true}]', now(), now()
from generate_series(1, 10000) g join equipment e on e.id = 1 + (g % 5000);
insert into plan_versions (plan_id, version, items, created_at) select id, 1, items, now() from plans;
-- One schedule a day per plan from 2026-01-01 09:00 KST (minus __FIRST__ days), inserted in
-- (plan, day) order: schedule id = (plan id - 1) * __DAYS__ + day + 1.
-- due_day is the KST date as days since 1970-01-01 (2026-01-01 = 20454).
insert into schedules (plan_id, plan_version, site_id, equipment_id, assignee_id, due_at, due_day, window_ends_at, status, started_at, completed_at, created_at, updated_at)
select p.id, 1, p.site_id, p.equipment_id, null,
       timestamptz '2026-01-01 00:00:00+00' + ((d - __FIRST__) || ' days')::interval, 20454 - __FIRST__ + d,
       timestamptz '2026-01-01 04:00:00+00' + ((d - __FIRST__) || ' days')::interval,
       case when d < __OPEN__ then 'completed' else 'open' end,
       case when d < __OPEN__ then timestamptz '2026-01-01 00:30:00+00' + ((d - __FIRST__) || ' days')::interval end,
       case when d < __OPEN__ then timestamptz '2026-01-01 01:00:00+00' + ((d - __FIRST__) || ' days')::interval end,
       now(), now()
from plans p cross join generate_series(0, __DAYS__ - 1) d
order by p.id, d;
-- One result per completed schedule, each with one measured value
-- p = 1.0 .. 2.2 (limits 1.0 .. 2.0, so 2 in 13 fail), stored as gemba
-- stores them: the answer as JSON and one typed row in result_values.
insert into results (schedule_id, plan_id, plan_version, site_id, due_at, due_day, submitted_by, submitted_at, notes, passed, failed_items, pass_rate, response, idempotency_key, request_hash)
select s.id, s.plan_id, 1, s.site_id, s.due_at, s.due_day, null, s.completed_at, null, v.ok,
       case when v.ok then '[]' else '["p"]' end::json,
       case when v.ok then 1.0 else 0.0 end,
       json_build_object('schedule_id', s.id, 'plan_id', s.plan_id, 'plan_version', 1,
         'values', json_build_array(json_build_object('key', 'p', 'kind', 'number', 'value', v.p, 'passed', v.ok)),
         'notes', null, 'passed', v.ok, 'failed_items', case when v.ok then '[]' else '["p"]' end::json,
         'pass_rate', case when v.ok then 1.0 else 0.0 end, 'submitted_by', null, 'submitted_at', s.completed_at),
       null, md5(s.id::text) || md5(s.plan_id::text)
from schedules s
cross join lateral (select 1.0 + (s.id * 7 % 13) / 10.0 as p) x
cross join lateral (select x.p::double precision as p, x.p <= 2.0 as ok) v
where s.status = 'completed'
order by s.id;
insert into result_values (result_id, site_id, plan_id, due_at, due_day, item_key, kind, number_value, bool_value, text_value, passed)
select r.id, r.site_id, r.plan_id, r.due_at, r.due_day, 'p', 'number', 1.0 + (r.schedule_id * 7 % 13) / 10.0, null, null, r.passed
from results r order by r.id;
vacuum analyze;
select count(*) as schedules from schedules;
