-- The large data set of the benchmarks: 20 sites, 5,000 equipment,
-- 10,000 plans, 1,000,000 schedules (60 % completed history, the rest open).
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
-- 100 schedules per plan, one a day from 2026-01-01 09:00 KST, inserted in
-- (plan, day) order: schedule id = (plan id - 1) * 100 + day + 1, and days
-- 60..99 (ids ending in 61..99 or 00) are open.
insert into schedules (plan_id, plan_version, site_id, equipment_id, assignee_id, due_at, window_ends_at, status, created_at, updated_at)
select p.id, 1, p.site_id, p.equipment_id, null,
       timestamptz '2026-01-01 00:00:00+00' + (d || ' days')::interval,
       timestamptz '2026-01-01 04:00:00+00' + (d || ' days')::interval,
       case when d < 60 then 'completed' else 'open' end, now(), now()
from plans p cross join generate_series(0, 99) d
order by p.id, d;
analyze;
select count(*) as schedules from schedules;
