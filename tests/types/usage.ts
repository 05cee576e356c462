// Compiled with `tsc --strict --noEmit` against the installed package: the declarations describe
// the API precisely enough that correct code compiles and wrong code does not.
import {
  init,
  Engine,
  HandoffError,
  CaseStore,
  type RejectedMutation,
  type SyncResult,
  type SyncStatus,
  type StorageError,
  type SyncError,
  type Transport,
  defineConfig,
  type AllowedCommand,
  type CommandOf,
  type CommandType,
  type CaseHandle,
  type CaseState,
  type CheckResult,
  type Deadline,
  type DeadlineKind,
  type ConfigChange,
  type ConfigChangeResult,
  type Command,
  type Ctx,
  type EngineConfig,
  type ErrorCode,
  type Event,
  type MigrationProblem,
  type Reassignment,
  type ReassignmentPlan,
  type SkippedReassignment,
  type Outcome,
  type Party,
  type StuckCode,
  type StuckWork,
  type TimelineEntry,
  type Validation,
  type WorkflowDefinition,
} from "handoff-engine";
import exampleFirm from "handoff-engine/example-firm";
import { useCase, useCaseStore, useValidation, type CaseStoreView } from "handoff-engine/react";

await init();

const config: EngineConfig = {
  directory: {
    members: [{ id: "dana", name: "Dana Whitfield", teams: ["documents"], admin: false }],
    roles: [{ id: "paralegal", name: "Paralegal" }],
    teams: [{ id: "documents", name: "Documents Team" }],
  },
  owners: { default: { kind: "team", id: "documents" }, workflows: { "chapter-7": { kind: "team", id: "documents" } } },
  workflows: [],
};
const engine = new Engine(config);

const def: WorkflowDefinition = {
  id: "chapter-7",
  name: "Chapter 7",
  version: 1,
  steps: [
    { id: "documents", name: "Document collection" },
    { id: "questionnaire", name: "Questionnaire", clientFacing: true, assignee: null },
    {
      id: "review",
      name: "Client review call",
      after: ["questionnaire"],
      handoff: { to: { kind: "role", id: "paralegal" }, required: false },
      when: { all: [{ fact: "chapter", in: [7, 13] }, { not: { fact: "business", equals: true } }] },
    },
  ],
};
const validation: Validation = engine.validateWorkflow(def);
const entry: TimelineEntry | undefined = validation.timeline[0];
const owner: Party | null = entry ? entry.owner : null;
const severities: ("error" | "warning" | "info")[] = validation.diagnostics.map((d) => d.severity);

const ctx: Ctx = { actor: { kind: "member", id: "dana" }, at: "2026-11-25T09:00:00Z" };
const started: Outcome = engine.startCase({ caseId: "c-1", workflowId: "chapter-7", facts: { chapter: 7 } }, ctx);
const command: Command = { type: "completeHandoff", stepId: "review", to: "dana" };
const next: CaseState = engine.execute(started.state, command, ctx).state;
const verdict: CheckResult = engine.check(next, { type: "assignStep", stepId: "documents", to: null }, ctx);
if (!verdict.ok) {
  const code: ErrorCode = verdict.code;
  console.log(code, verdict.message);
}
const buttons: AllowedCommand[] = engine.allowedCommands(next, { kind: "client" });

// A case is for its clients; a client with an id acts only on those (SPEC §8).
const forSmith: Outcome = engine.startCase({ caseId: "c-2", workflowId: "chapter-7", clients: ["smith", "jones"] }, ctx);
const clients: string[] = forSmith.state.clients;
const portal: Ctx = { actor: { kind: "client", id: "smith" }, at: "2026-11-25T09:00:00.250+01:00" };
const joint: Command = { type: "setClients", clients: ["smith"], reason: "Jones filed alone" };
console.log(clients, engine.check(forSmith.state, joint, portal).ok);
// @ts-expect-error: setClients needs a reason
const unexplained: Command = { type: "setClients", clients: [] };
// @ts-expect-error: a client id is a string
const numbered: Ctx = { actor: { kind: "client", id: 7 }, at: "2026-11-25T09:00:00Z" };
console.log(unexplained, numbered);

// Stuck work: what in open cases waits on someone who cannot act (SPEC §10).
const stuck: StuckWork[] = engine.findStuckWork([started.state, next]);
const stuckCodes: StuckCode[] = engine.findStuckWork(JSON.stringify([next])).map((w) => w.code);
const stuckParty: Party | undefined = stuck[0]?.party;
console.log(stuckCodes, stuckParty, stuck[0]?.stepId, stuck[0]?.severity === "warning");
// @ts-expect-error: not a stuck-work code
const notStuck: StuckCode = "owner-missing";
console.log(notStuck);

// A change of the configuration, checked before it is sent (SPEC §9).
const change: ConfigChange = { baseConfigVersion: 3, publish: [def], dryRun: true, reason: "Version 2" };
const verdictOfChange: ConfigChangeResult = engine.checkConfigChange(change, [next]);
const refused: boolean = verdictOfChange.diagnostics.some((d) => d.severity === "error");
const withHistory: ConfigChangeResult = engine.checkConfigChange(JSON.stringify(change), [next], [{ kind: "member", id: "gina" }]);
console.log(refused, withHistory.stuck.length, verdictOfChange.configVersion, verdictOfChange.applied);
// @ts-expect-error: a change names the version it started from
const unbased: ConfigChange = { publish: [def] };
console.log(unbased);

// A case kept inside the engine: commands cross, the state stays.
const handle: CaseHandle = engine.openCase(started.state);
const happened: Event[] = handle.execute({ type: "claim" }, ctx);
const kept: CaseState = handle.state;
const keptVerdict: CheckResult = handle.check({ type: "claim" }, ctx);
const keptButtons: AllowedCommand[] = handle.allowedCommands({ kind: "member", id: "dana" });
console.log(happened.length, kept.version, keptVerdict.ok, keptButtons.length);
// @ts-expect-error: the state is read-only; commands change it
handle.state = kept;
handle.free();
const candidates: string[] = buttons.flatMap((b) => ("candidates" in b ? b.candidates : []));

// An allowed command narrows on `type`, and completes into a Command with what the person chose.
function commandFor(allowed: AllowedCommand, who: string): Command | null {
  switch (allowed.type) {
    case "completeHandoff": {
      const to: string | undefined = allowed.candidates.includes(who) ? who : undefined;
      const complete: CommandOf<"completeHandoff"> = { type: allowed.type, stepId: allowed.stepId, to };
      return complete;
    }
    case "skipStep":
      return { type: allowed.type, stepId: allowed.stepId, reason: "Client already sent them" };
    case "completeStep":
    case "revertHandoff":
      return { type: allowed.type, stepId: allowed.stepId };
    case "claim":
      return { type: "claim" };
    default:
      return null;
  }
}
console.log(buttons.map((b) => commandFor(b, "dana")));
function noStep(allowed: AllowedCommand): string {
  if (allowed.type === "claim") {
    // @ts-expect-error: a claim concerns no step
    return allowed.stepId;
  }
  return allowed.type;
}
// @ts-expect-error: skipping a step needs a reason the entry cannot know
const unreasoned: CommandOf<"skipStep"> = { type: "skipStep", stepId: "documents" };
console.log(noStep, unreasoned);

// A configuration written in TypeScript is checked where it is written, literal types kept.
const firmConfig = defineConfig({
  directory: { members: [{ id: "dana", name: "Dana Whitfield", teams: ["documents"] }], roles: [], teams: [{ id: "documents", name: "Documents Team" }] },
  owners: { default: { kind: "team", id: "documents" } },
  workflows: [{ id: "chapter-7", name: "Chapter 7", version: 1, steps: [{ id: "documents", name: "Document collection" }] }],
});
const teamKind: "team" = firmConfig.owners.default.kind;
new Engine(firmConfig);
defineConfig({
  directory: { members: [], roles: [], teams: [] },
  // @ts-expect-error: "tem" is not a party kind
  owners: { default: { kind: "tem", id: "documents" } },
  workflows: [],
});
// The example configuration ships typed: no cast.
const example: EngineConfig = exampleFirm;
console.log(teamKind, new Engine(example).validateConfig().ok);

try {
  engine.execute(next, { type: "skipStep", stepId: "documents", reason: "Client already sent them" }, ctx);
} catch (error) {
  if (error instanceof HandoffError) {
    const code: ErrorCode = error.code;
    const path: string | undefined = error.details.path;
    console.log(code, path, error.message);
  }
}

function describe(event: Event): string {
  switch (event.type) {
    case "handoffCompleted":
      return `${event.from.id} -> ${event.to.id} at ${event.at}`;
    case "stepAssigned":
      return event.to === null ? "unassigned" : event.to.id;
    default:
      return event.type;
  }
}
console.log(owner, severities, candidates, started.events.map(describe));

const store = new CaseStore(engine, { baseUrl: "/sync", headers: { Authorization: "Bearer dana-token" }, storage: "memory" });
store.dispatch("c-1", { type: "claim" }, ctx);
const unsubscribe: () => void = store.subscribe((status: SyncStatus) => console.log(status.pendingCount, status.online));
store.onRejected((rejection: RejectedMutation) => console.log(rejection.code, rejection.caseId, rejection.mutation.id));
store.onRejected(({ code }) => {
  const known: ErrorCode = code;
  // @ts-expect-error: a rejection's code is one of the ErrorCodes
  const typo: typeof code = "not-permited";
  console.log(known, typo);
});
const synced: Promise<SyncResult> = store.sync();
const seen: CaseState | null = store.get("c-1");
console.log(unsubscribe, synced, seen, store.list().length, store.pendingCount);
store.startAutoSync({ intervalMs: 2_000 });
store.stopAutoSync();
// @ts-expect-error: storage is "local" or "memory"
new CaseStore(engine, { baseUrl: "/sync", storage: "cookie" });

// A host's transport may pass on a 429's Retry-After; requests time out after timeoutMs.
const transport: Transport = async () => ({ status: 429, body: null, retryAfter: 2 });
const guarded = new CaseStore(engine, { baseUrl: "/sync", transport, timeoutMs: 5_000, storage: "memory" });
const unreadable: StorageError | null = guarded.storageError;
const failed: SyncError | null = guarded.syncError;
guarded.subscribe(({ storageError, syncError }) =>
  // Only an unreadable queue names the key its text was kept under.
  console.log(storageError?.code === "queue-unreadable" ? storageError.key : storageError?.message, syncError?.code === "protocol-error"),
);
// @ts-expect-error: a failed write has no key
console.log(guarded.storageError?.code === "storage-full" && guarded.storageError.key);
console.log(unreadable?.code === "queue-unreadable", failed?.message);
// At a firm's size (SPEC §14): closed cases stay on the server unless kept, and are read on demand.
const firm = new CaseStore(engine, { baseUrl: "/sync", keepClosed: true });
await firm.ready;
const closed: CaseState | null = await firm.fetchCase("case-1");
console.log(closed?.closed);
// @ts-expect-error: keepClosed is a boolean
new CaseStore(engine, { baseUrl: "/sync", keepClosed: "yes" });
try {
  firm.dispatch("case-1", { type: "claim" }, { actor: { kind: "member", id: "dana" }, at: "2026-01-01T00:00:00Z" });
} catch (error) {
  // The queue could not be saved: nothing was queued.
  if (error instanceof HandoffError && error.code === "storage-full") console.log(error.message);
}
// @ts-expect-error: retryAfter is a number of seconds
const badTransport: Transport = async () => ({ status: 429, body: null, retryAfter: "2" });
console.log(badTransport);

// @ts-expect-error: not a command type
const unknown: Command = { type: "launchRocket" };
// @ts-expect-error: a step status is one of five
const status: CaseState["steps"][string]["status"] = "done";
// @ts-expect-error: a party has a kind
const nobody: Party = { id: "dana" };
console.log(unknown, status, nobody);

// Running cases through change (SPEC §10): a redirect, a reassignment plan, a migration's dry run.
const redirect: Command = { type: "redirectHandoff", stepId: "review", to: { kind: "member", id: "dana" }, reason: "Away" };
const migrate: Command = { type: "migrateCase", toVersion: 2, mapping: { review: "call" }, reason: "Version 2" };
const request: Reassignment = { from: "dana", to: "devon", reason: "Dana left the firm" };
const plan: ReassignmentPlan = engine.planReassignment([next], request);
for (const { caseId, command } of plan.commands) console.log(caseId, engine.check(next, command, ctx).ok);
const skipped: SkippedReassignment[] = plan.skipped;
const dryRun: CheckResult = engine.check(next, migrate, ctx);
if (!dryRun.ok) {
  const problems: MigrationProblem[] = dryRun.details.problems ?? [];
  const where: (string | null)[] = problems.map((p) => p.stepId);
  console.log(where, redirect, skipped.map((s) => s.code));
}
// @ts-expect-error: a migration needs a reason
const unexplainedMigration: Command = { type: "migrateCase", toVersion: 2 };
// @ts-expect-error: a redirect goes to a party, not a member id
const byId: Command = { type: "redirectHandoff", stepId: "review", to: "dana", reason: "Away" };
console.log(unexplainedMigration, byId);
// Deadlines (SPEC §11): what the board shows, and the commands that act on them.
const dueSteps: Deadline[] = engine.deadlines(next, new Date().toISOString());
const kinds: DeadlineKind[] = dueSteps.filter((d) => d.passed).map((d) => d.kind);
const upcoming: string | null = engine.nextDeadline(next);
const dueAt: string | null = next.steps["review"]?.dueAt ?? null;
const escalatesAt: string | null | undefined = next.pendingHandoff?.escalatesAt;
const extendDeadline: Command = { type: "extendDeadline", stepId: "review", dueAt: "2026-12-01T10:00:00Z", reason: "Client away" };
const tick: Command = { type: "tick" };
const escalating: WorkflowDefinition = {
  id: "w",
  name: "W",
  version: 1,
  steps: [{ id: "a", name: "A", due: "P2D", handoff: { to: { kind: "role", id: "paralegal" }, escalate: { after: "PT4H", to: { kind: "member", id: "morgan" } } } }],
};
console.log(kinds, upcoming, dueAt, escalatesAt, extendDeadline, tick, escalating);
// @ts-expect-error: a deadline is extended with a reason
const unexplainedExtension: Command = { type: "extendDeadline", stepId: "review", dueAt: "2026-12-01T10:00:00Z" };
// @ts-expect-error: not a kind of deadline
const notAKind: DeadlineKind = "overdue";
console.log(unexplainedExtension, notAKind);
// The React hooks (handoff-engine/react) are typed without React's types.
function board(): string {
  const view: CaseStoreView = useCaseStore(store);
  const pending: number = view.pendingCount;
  const version: number | null = view.configVersion;
  const one: CaseState | null = useCase(store, "c-1");
  const edit = useValidation(null, def);
  const checked = useValidation(engine, JSON.stringify(def));
  if (checked.error) {
    const code: ErrorCode = checked.error.code;
    return code;
  }
  // @ts-expect-error: the cases are read-only here; dispatch changes them
  view.cases = [];
  return `${pending} ${version} ${one?.caseId} ${edit.validation?.ok} ${checked.validation?.ok}`;
}
console.log(board);

// Every command type has its entry in AllowedCommand (one left out is an error here).
type WithoutEntry = Exclude<CommandType, AllowedCommand["type"]>;
const everyTypeHasAnEntry: [WithoutEntry] extends [never] ? true : WithoutEntry = true;
console.log(everyTypeHasAnEntry);
