import { DurableCore } from "durable-core";

export interface Env {
  COUNTER: DurableObjectNamespace<Counter>;
}

/** A per-name hit counter: one Durable Object per counter name, its state in SQLite. */
export class Counter extends DurableCore<Env> {
  static override migrations = ["CREATE TABLE hits (at INTEGER NOT NULL)"];

  hit(): number {
    this.sql.run`INSERT INTO hits (at) VALUES (${Date.now()})`;
    return this.count();
  }

  count(): number {
    return this.sql.one<{ n: number }>`SELECT count(*) AS n FROM hits`.n;
  }

  override onRequest(request: Request): Response {
    const n = request.method === "POST" ? this.hit() : this.count();
    return Response.json({ hits: n });
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const name = new URL(request.url).pathname.slice(1) || "default";
    return env.COUNTER.getByName(name).fetch(request);
  },
} satisfies ExportedHandler<Env>;
