-- One site with :N completed schedules, one result each, one measured value
-- each: a "results" report of :N rows (bench/report.sh replaces :N).
pragma journal_mode = wal;
pragma synchronous = off;
begin;
insert into sites (code, name, country_code, timezone, created_at, updated_at)
values ('KR-BENCH', '벤치 공장', 'KR', 'Asia/Seoul', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');
insert into equipment (site_id, code, name, line, kind, status, created_at, updated_at)
values (1, 'PRESS-01', '프레스 1호기', '1라인', 'press', 'active', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');
insert into plans (site_id, equipment_id, title, recurrence, due_time, window_hours, assignee_id, is_active, version, items, created_at, updated_at)
values (1, 1, '유압 압력 점검',
  '{"frequency":"daily","interval":1,"weekdays":[],"month_days":[],"start_date":"2016-01-01","end_date":null,"count":null}',
  '09:00:00', 4, null, 1, 1,
  '[{"key":"p","label":"유압","kind":"number","unit":"MPa","min":1.0,"max":2.0,"required":true}]',
  '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');
insert into plan_versions (plan_id, version, items, created_at) select id, 1, items, created_at from plans;
-- One schedule every 30 minutes from 2016-01-01 (100,000 end in 2021).
with recursive g(n) as (select 0 union all select n + 1 from g where n < :N - 1)
insert into schedules (plan_id, plan_version, site_id, equipment_id, assignee_id, due_at, window_ends_at, status, started_at, completed_at, created_at, updated_at)
select 1, 1, 1, 1, null,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', '2016-01-01 00:00:00', '+' || (n * 30) || ' minutes'),
       strftime('%Y-%m-%dT%H:%M:%S+00:00', '2016-01-01 04:00:00', '+' || (n * 30) || ' minutes'),
       'completed',
       strftime('%Y-%m-%dT%H:%M:%S+00:00', '2016-01-01 00:10:00', '+' || (n * 30) || ' minutes'),
       strftime('%Y-%m-%dT%H:%M:%S+00:00', '2016-01-01 00:20:00', '+' || (n * 30) || ' minutes'),
       '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'
from g;
insert into results (schedule_id, plan_id, plan_version, site_id, due_at, submitted_by, submitted_at, notes, passed, failed_items, pass_rate, response, idempotency_key, request_hash)
select id, plan_id, 1, site_id, due_at, null, completed_at, null, 1, '[]', 1.0, '{}', null, printf('%064x', id)
from schedules order by id;
insert into result_values (result_id, site_id, plan_id, due_at, item_key, kind, number_value, bool_value, text_value, passed)
select r.id, r.site_id, r.plan_id, r.due_at, 'p', 'number', 1.0 + (r.schedule_id * 7 % 13) / 13.0, null, null, 1
from results r order by r.id;
commit;
analyze;
