// Type-level test: what a caller of a durable-core object sees through RPC. Each `expectType`
// fails to compile when the result type differs from the one written; `// @ts-expect-error`
// lines fail when what they guard against compiles.
import {
  type Connection,
  DurableCore,
  type Entry,
  type FailedTask,
  type KeyPart,
  type Task,
  type TaskContext,
} from "durable-core";
import { expectCode } from "durable-core/testing";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<Want>() {
  return <Got>(_value: Got, ..._ok: Equal<Got, Want> extends true ? [] : [never]) => undefined;
}

interface Env {
  OBJ: DurableObjectNamespace<Obj>;
}

interface Booking {
  seat: number;
  by: string;
}

export class Obj extends DurableCore<Env> {
  static override migrations = ["CREATE TABLE t (x INTEGER)"];

  tasks() {
    return this.scheduler.list();
  }
  task(id: string) {
    return this.scheduler.get(id);
  }
  failedTasks() {
    return this.scheduler.failed();
  }
  schedule() {
    return this.scheduler.after(1000, "expire", { seat: 1 });
  }
  typedTasks(): Task<{ seat: number }>[] {
    return this.scheduler.list({ method: "expire" }) as Task<{ seat: number }>[];
  }
  entries() {
    return this.store.list();
  }
  bookings() {
    return this.store.list<Booking>({ prefix: ["booking"] });
  }
  booking(seat: number) {
    return this.store.get<Booking>(["booking", seat]);
  }
  lazyFirst() {
    for (const entry of this.store.entries<Booking>()) return entry;
    return undefined;
  }
  byEmail(email: string) {
    return this.store.index<Booking>("by").get(email);
  }
  rows() {
    return this.sql.all<{ x: number }>`SELECT x FROM t`;
  }
  written() {
    return this.sql.run`DELETE FROM t`;
  }
  expire(_payload: { seat: number }, _task: TaskContext) {}

  override onRequest(_request: Request): Response {
    return new Response("ok");
  }
  override onConnect(conn: Connection<{ name: string }>): void {
    conn.setState({ name: "ada" });
  }
  override onTaskFailed(task: FailedTask): void {
    console.log(task.error);
  }
}

export async function calls(env: Env) {
  const stub = env.OBJ.getByName("a");

  const tasks = await stub.tasks();
  expectType<string>()(tasks[0]!.id);
  expectType<number>()(tasks[0]!.due);
  // A task's payload survives RPC as JSON, never as `never`.
  const payload = tasks[0]!.payload;
  if (payload !== null && typeof payload === "object" && !Array.isArray(payload)) {
    expectType<Task["payload"] | undefined>()(payload["seat"]);
  }
  const one = await stub.task("x");
  expectType<string | undefined>()(one?.method);
  const failed = await stub.failedTasks();
  expectType<string>()(failed[0]!.error);
  expectType<number>()(failed[0]!.failedAt);
  expectType<string>()((await stub.schedule()).id);
  expectType<number>()((await stub.typedTasks())[0]!.payload.seat);

  // store.list() returns plain objects made for RPC (no TS2589, keys and values typed).
  const entries = await stub.entries();
  expectType<number>()(entries.length);
  const key: KeyPart[] | undefined = entries[0]?.key as KeyPart[] | undefined;
  void key;
  const bookings = await stub.bookings();
  expectType<number>()(bookings[0]!.value.seat);
  expectType<string>()(bookings[0]!.value.by);
  expectType<string | undefined>()((await stub.booking(1))?.by);
  expectType<number | undefined>()((await stub.lazyFirst())?.value.seat);
  expectType<string | undefined>()((await stub.byEmail("a"))?.value.by);
  const local: Entry<Booking>[] = [];
  void local;

  expectType<number>()((await stub.rows())[0]!.x);
  expectType<number>()((await stub.written()).rowsWritten);

  // expectCode takes the RPC promise itself and knows the error codes.
  await expectCode(stub.schedule(), "TASK_METHOD");
}

// Inside a subclass, where a protected member would be reachable: `core` must not exist at all.
export class Sub extends DurableCore<Env> {
  probe() {
    // @ts-expect-error @internal: not in the published types
    void this.core;
  }
}

export function internals(conn: Connection) {
  // @ts-expect-error @internal: not in the published types
  void conn.slot;
  // @ts-expect-error @internal: not in the published types
  void conn.attachment;
  // @ts-expect-error @internal: not in the published types
  void conn.socket;
}
