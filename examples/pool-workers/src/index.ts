import { type Connection, DurableCore } from "durable-core";

/** Notes, each in SQL, with a tag index in `this.store`, expiring through the scheduler, announced on a socket topic. */
export class Notes extends DurableCore<Env> {
  static override migrations = ["CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"];

  add(text: string, tag: string, ttlMs: number): number {
    const id = this.sql.transaction(() => {
      const { id } = this.sql.one<{ id: number }>`INSERT INTO notes (text) VALUES (${text}) RETURNING id`;
      this.store.put(["tag", tag, id], true);
      this.scheduler.after(ttlMs, "expire", { id, tag }, { id: `expire/${id}` });
      return id;
    });
    this.sockets.publish("notes", { added: id, text });
    return id;
  }

  tagged(tag: string): number[] {
    return this.store.list<boolean>({ prefix: ["tag", tag] }).map((entry) => entry.key[2] as number);
  }

  texts(): string[] {
    return this.sql.all<{ text: string }>`SELECT text FROM notes ORDER BY id`.map((row) => row.text);
  }

  expire({ id, tag }: { id: number; tag: string }): void {
    this.sql.run`DELETE FROM notes WHERE id = ${id}`;
    this.store.delete(["tag", tag, id]);
  }

  override onConnect(conn: Connection): void {
    conn.subscribe("notes");
  }
}

export default {
  fetch(request, env) {
    return env.NOTES.getByName(new URL(request.url).pathname).fetch(request);
  },
} satisfies ExportedHandler<Env>;
