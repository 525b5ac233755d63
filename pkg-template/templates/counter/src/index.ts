import { DurableCore } from "durable-core";

/** A hit counter per name: one Durable Object per counter name, its state in its own SQLite. */
export class Counter extends DurableCore<Env> {
  // Applied once per object, in order, before any request reaches it. Append only: to change
  // the schema, add an entry (an edited one stops the object with MIGRATION_CHANGED).
  static override migrations = [
    "CREATE TABLE hits (at INTEGER NOT NULL)",
    "CREATE INDEX hits_at ON hits (at)",
  ];

  /** Counts a hit and returns the new total. */
  hit(): number {
    this.sql.run`INSERT INTO hits (at) VALUES (${Date.now()})`;
    return this.count();
  }

  count(): number {
    return this.sql.one<{ n: number }>`SELECT count(*) AS n FROM hits`.n;
  }

  /** Hits since `since` (ms since the epoch). */
  countSince(since: number): number {
    return this.sql.one<{ n: number }>`SELECT count(*) AS n FROM hits WHERE at >= ${since}`.n;
  }

  /** Forgets every hit; returns how many there were. */
  reset(): number {
    return this.sql.run`DELETE FROM hits`.rowsWritten;
  }

  override onRequest(request: Request): Response {
    switch (request.method) {
      case "GET":
        return Response.json({ hits: this.count() });
      case "POST":
        return Response.json({ hits: this.hit() });
      case "DELETE":
        return Response.json({ deleted: this.reset() });
      default:
        return new Response("method not allowed", { status: 405, headers: { allow: "GET, POST, DELETE" } });
    }
  }
}

/** `/<name>`: GET reads the counter of that name, POST counts a hit, DELETE resets it. */
export default {
  fetch(request, env) {
    const name = new URL(request.url).pathname.slice(1) || "default";
    return env.COUNTER.getByName(name).fetch(request);
  },
} satisfies ExportedHandler<Env>;
