// The README's quick start, verbatim in substance: it must compile under a strict project
// (noImplicitOverride on, no skipLibCheck).
import { DurableCore } from "durable-core";

interface Env {
  COUNTER: DurableObjectNamespace<Counter>;
}

export class Counter extends DurableCore<Env> {
  static override migrations = ["CREATE TABLE hits (at INTEGER NOT NULL)"];

  hit(): number {
    this.sql.run`INSERT INTO hits (at) VALUES (${Date.now()})`;
    return this.sql.one<{ n: number }>`SELECT count(*) AS n FROM hits`.n;
  }

  override onRequest(_request: Request): Response {
    return Response.json({ hits: this.hit() });
  }
}

export default {
  fetch: (request, env) => env.COUNTER.getByName(new URL(request.url).pathname).fetch(request),
} satisfies ExportedHandler<Env>;

export async function caller(env: Env): Promise<number> {
  return env.COUNTER.getByName("a").hit();
}
