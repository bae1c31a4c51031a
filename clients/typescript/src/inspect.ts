// An inspector's path through gemba, with types generated from its OpenAPI
// document: log in, list open schedules with their plan and equipment, start
// one, submit its result with an Idempotency-Key (and retry it, as a phone on
// weak Wi-Fi would), then read the site's statistics.
//
// Usage: GEMBA_URL=http://127.0.0.1:8000 node dist/inspect.js
// Env:   GEMBA_EMAIL, GEMBA_PASSWORD (default: the demo inspector)
import { randomUUID } from "node:crypto";
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema.js";

type Schedule = components["schemas"]["Schedule"];
type ChecklistItem = components["schemas"]["ChecklistItem"];
type ItemValue = components["schemas"]["ItemValue"];
type SubmitResult = components["schemas"]["SubmitResult"];
type Problem = components["schemas"]["Problem"];

const baseUrl = process.env["GEMBA_URL"] ?? "http://127.0.0.1:8000";
const email = process.env["GEMBA_EMAIL"] ?? "inspector@gemba.example";
const password = process.env["GEMBA_PASSWORD"] ?? "gemba-demo-2026";

const api = createClient<paths>({
  baseUrl,
  // `include` is declared style=form, explode=false: include=plan,equipment
  querySerializer: { array: { style: "form", explode: false } },
});

function fail(step: string, problem?: Problem, status?: number): never {
  const detail = problem ? `${problem.title}: ${problem.detail ?? ""}` : "no body";
  console.error(`FAILED ${step} (HTTP ${status ?? "?"}): ${detail}`);
  process.exit(1);
}

function check(step: string, ok: boolean, what: string): void {
  if (!ok) {
    console.error(`FAILED ${step}: ${what}`);
    process.exit(1);
  }
}

/** A value that passes the item: the middle of its limits, a tick, a note. */
function passingValue(item: ChecklistItem): ItemValue {
  switch (item.kind) {
    case "number": {
      const min = item.min ?? null;
      const max = item.max ?? null;
      if (min !== null && max !== null) return (min + max) / 2;
      return min ?? max ?? 0;
    }
    case "check":
      return true;
    case "text":
      return "checked by the TypeScript client";
  }
}

// 1. Log in.
const login = await api.POST("/api/v1/auth/login", { body: { email, password } });
if (!login.data) fail("login", login.error, login.response.status);
const bearer: Middleware = {
  onRequest({ request }) {
    request.headers.set("Authorization", `Bearer ${login.data.access_token}`);
    return request;
  },
};
api.use(bearer);
const me = await api.GET("/api/v1/users/me");
if (!me.data) fail("read me", me.error, me.response.status);
console.log(`logged in as ${me.data.email} (${me.data.role})`);

// 2. Open schedules, with plan and equipment embedded.
const list = await api.GET("/api/v1/schedules", {
  params: { query: { status: "open", include: ["plan", "equipment"], limit: 20 } },
});
if (!list.data) fail("list schedules", list.error, list.response.status);
const withPlan = list.data.items.filter((s: Schedule) => s.plan && s.equipment);
console.log(`${list.data.items.length} open schedules listed, ${withPlan.length} with plan and equipment`);
const schedule = withPlan[0];
if (!schedule?.plan || !schedule.equipment) fail("list schedules: nothing open to inspect");
const plan = schedule.plan;
console.log(`schedule ${schedule.id}: "${plan.title}" on ${schedule.equipment.name}, due ${schedule.due_at}`);

// 3. Start it.
const started = await api.POST("/api/v1/schedules/{id}/start", {
  params: { path: { id: schedule.id } },
});
if (!started.data) fail("start", started.error, started.response.status);
check("start", started.data.status === "in_progress", `status is ${started.data.status}`);
console.log(`started at ${started.data.started_at ?? "?"}`);

// 4. Submit the result with an Idempotency-Key, then retry with the same key.
const body: SubmitResult = {
  values: Object.fromEntries(plan.items.map((item) => [item.key, passingValue(item)])),
  notes: "submitted by clients/typescript",
};
const key = randomUUID();
const submit = () =>
  api.PUT("/api/v1/schedules/{id}/result", {
    params: { path: { id: schedule.id }, header: { "Idempotency-Key": key } },
    body,
  });
const first = await submit();
if (!first.data) fail("submit", first.error, first.response.status);
check("submit", first.data.passed, `failed items: ${first.data.failed_items.join(", ")}`);
const retry = await submit();
if (!retry.data) fail("retry", retry.error, retry.response.status);
check(
  "retry",
  retry.data.submitted_at === first.data.submitted_at,
  "the retry recorded a second result",
);
const judged = first.data.values
  .map((v) => `${v.key}=${String(v.value)}${v.passed === false ? " (out of limits)" : ""}`)
  .join(", ");
console.log(`result recorded, passed=${first.data.passed}: ${judged}; the retry got the same answer`);

// 5. Statistics of the site around the schedule's due time.
const due = new Date(schedule.due_at).getTime();
const hour = 3600 * 1000;
const stats = await api.GET("/api/v1/stats/summary", {
  params: {
    query: {
      site_id: schedule.site_id,
      from: new Date(due - hour).toISOString(),
      to: new Date(due + hour).toISOString(),
    },
  },
});
if (!stats.data) fail("stats", stats.error, stats.response.status);
check("stats", stats.data.by_status.completed >= 1, "the completed schedule is not counted");
check("stats", stats.data.results >= 1, "the result is not counted");
console.log(
  `stats for site ${schedule.site_id}: ${stats.data.total} due, ${stats.data.by_status.completed} completed, ` +
    `${stats.data.results} results, pass rate ${stats.data.pass_rate ?? "n/a"}`,
);
console.log("OK");
