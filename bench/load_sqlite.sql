-- The large data set of bench/load_pg.sql, for SQLite (the same rows, the
-- same ids, timestamps in the text form gemba writes: 2026-01-01T09:00:00+00:00).
-- Run by bench/http.sh through Python's sqlite3 module, after `gemba migrate`.
pragma journal_mode = wal;
pragma synchronous = off;
begin;
with recursive g(n) as (select 1 union all select n + 1 from g where n < 20)
insert into sites (code, name, country_code, timezone, created_at, updated_at)
select 'SITE-' || n, 'Site ' || n, 'KR', 'Asia/Seoul', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' from g;

with recursive g(n) as (select 1 union all select n + 1 from g where n < 5000)
insert into equipment (site_id, code, name, line, kind, status, created_at, updated_at)
select 1 + (n % 20), 'EQ-' || n, 'Machine ' || n, 'Line ' || (n % 7), 'press', 'active',
       '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' from g;

with recursive g(n) as (select 1 union all select n + 1 from g where n < 10000)
insert into plans (site_id, equipment_id, title, recurrence, due_time, window_hours, assignee_id, is_active, version, items, created_at, updated_at)
select e.site_id, e.id, 'Plan ' || n,
       '{"frequency":"daily","interval":1,"weekdays":[],"month_days":[],"start_date":"2026-01-01","end_date":null,"count":null}',
       '09:00:00', 4, null, 1, 1,
       '[{"key":"p","label":"P","kind":"number","unit":null,"min":1.0,"max":2.0,"required":true}]',
       '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'
from g join equipment e on e.id = 1 + (n % 5000) order by n;

insert into plan_versions (plan_id, version, items, created_at)
select id, 1, items, created_at from plans;

-- schedule id = (plan id - 1) * __DAYS__ + day + 1; days __OPEN__.. are open.
with recursive d(n) as (select 0 union all select n + 1 from d where n < __DAYS__ - 1)
insert into schedules (plan_id, plan_version, site_id, equipment_id, assignee_id, due_at, due_day, window_ends_at, status, started_at, completed_at, created_at, updated_at)
select p.id, 1, p.site_id, p.equipment_id, null,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-01-01 00:00:00', (d.n - __FIRST__) || ' days'), 20454 - __FIRST__ + d.n,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-01-01 04:00:00', (d.n - __FIRST__) || ' days'),
       case when d.n < __OPEN__ then 'completed' else 'open' end,
       case when d.n < __OPEN__ then strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-01-01 00:30:00', (d.n - __FIRST__) || ' days') end,
       case when d.n < __OPEN__ then strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-01-01 01:00:00', (d.n - __FIRST__) || ' days') end,
       '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'
from plans p cross join d
order by p.id, d.n;

-- One result per completed schedule, value p = 1.0 .. 2.2 (2 in 13 fail).
insert into results (schedule_id, plan_id, plan_version, site_id, due_at, due_day, submitted_by, submitted_at, notes, passed, failed_items, pass_rate, response, idempotency_key, request_hash)
select id, plan_id, 1, site_id, due_at, due_day, null, completed_at, null, ok,
       case when ok then '[]' else '["p"]' end,
       case when ok then 1.0 else 0.0 end,
       json_object('schedule_id', id, 'plan_id', plan_id, 'plan_version', 1,
         'values', json_array(json_object('key', 'p', 'kind', 'number', 'value', p, 'passed', json(iif(ok, 'true', 'false')))),
         'notes', null, 'passed', json(iif(ok, 'true', 'false')),
         'failed_items', json(iif(ok, '[]', '["p"]')),
         'pass_rate', iif(ok, 1.0, 0.0), 'submitted_by', null, 'submitted_at', completed_at),
       null, printf('%064x', id)
from (select *, p <= 2.0 as ok
      from (select *, 1.0 + (id * 7 % 13) / 10.0 as p from schedules where status = 'completed'))
order by id;

insert into result_values (result_id, site_id, plan_id, due_at, due_day, item_key, kind, number_value, bool_value, text_value, passed)
select r.id, r.site_id, r.plan_id, r.due_at, r.due_day, 'p', 'number', 1.0 + (r.schedule_id * 7 % 13) / 10.0, null, null, r.passed
from results r order by r.id;
commit;
analyze;
