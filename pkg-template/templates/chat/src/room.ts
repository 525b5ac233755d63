import { type Connection, DurableCore, type SocketsOptions } from "durable-core";
import {
  type ChatMessage,
  type Person,
  type ServerMessage,
  parseClientMessage,
  readVisitor,
} from "./protocol.js";

/** How many messages a person sees when they join. */
export const HISTORY_ON_JOIN = 50;
/** The digest task's id: registering it again on every wake keeps exactly one. */
export const DIGEST_TASK = "daily-digest";

/** Topics: everyone in the room is on both; presence is tracked on `chat`. */
const CHAT = "chat";
const TYPING = "typing";

/** Colours handed out before someone picks their own. */
const PALETTE = ["#c0392b", "#d35400", "#b7950b", "#27ae60", "#16a085", "#2980b9", "#8e44ad", "#7f8c8d"];

interface MessageRow {
  id: number;
  kind: "chat" | "digest";
  user: string;
  name: string;
  colour: string;
  text: string;
  sent_at: number;
}

/**
 * One chat room. The Worker routes `/rooms/<name>/…` here with `ROOMS.getByName(name)`, so a
 * room's messages, preferences and tasks live in its own SQLite database.
 */
export class Room extends DurableCore<Env> {
  static override migrations = [
    `CREATE TABLE messages (
       id INTEGER PRIMARY KEY,
       kind TEXT NOT NULL,
       user TEXT NOT NULL,
       name TEXT NOT NULL,
       colour TEXT NOT NULL,
       text TEXT NOT NULL,
       sent_at INTEGER NOT NULL
     )`,
    // Who spoke since the last digest; messages themselves may have expired by then.
    "CREATE TABLE activity (user TEXT PRIMARY KEY, name TEXT NOT NULL, messages INTEGER NOT NULL)",
  ];

  static override sockets: SocketsOptions = {
    maxMessageBytes: 8 * 1024,
    rateLimit: { messages: 10, perMs: 1000 },
    // The page pings every 30 s; the runtime answers without waking the room.
    autoResponse: ["ping", "pong"],
  };

  override onStart(): void {
    this.scheduler.cron(this.env.DIGEST_CRON, "sendDigest", undefined, {
      id: DIGEST_TASK,
      timezone: this.env.DIGEST_TIMEZONE,
    });
  }

  override onBeforeConnect(request: Request): Response | undefined {
    const visitor = readVisitor(new URL(request.url));
    if ("refused" in visitor) return new Response(visitor.refused, { status: 400 });
    return undefined;
  }

  override onConnect(conn: Connection<Person>, request: Request): void {
    const visitor = readVisitor(new URL(request.url));
    if ("refused" in visitor) return; // onBeforeConnect already refused it
    const colour = this.store.get<string>(["prefs", visitor.user, "colour"]) ?? defaultColour(visitor.user);
    // State first, so that the others' "join" event already carries the name and colour.
    conn.setState({ ...visitor, colour });
    conn.subscribe(CHAT, { presence: true });
    conn.subscribe(TYPING);
    conn.send({
      type: "welcome",
      you: conn.id,
      // Everyone on CHAT has a state: it is set before subscribing, just above.
      people: this.sockets.presence(CHAT) as { id: string; state: Person }[],
      history: this.history(),
    } satisfies ServerMessage);
  }

  override onMessage(conn: Connection<Person>, data: string | ArrayBuffer): void {
    const message = parseClientMessage(data);
    if ("invalid" in message) {
      conn.send({ type: "error", error: message.invalid } satisfies ServerMessage);
      return;
    }
    const person = personOf(conn);
    switch (message.type) {
      case "say":
        this.say(person, message.text);
        break;
      case "typing":
        this.sockets.publish(
          TYPING,
          { type: "typing", id: conn.id, name: person.name, typing: message.typing } satisfies ServerMessage,
          { except: conn },
        );
        break;
      case "colour":
        this.store.put(["prefs", person.user, "colour"], message.colour);
        // The others get a presence "update" carrying the new state.
        conn.setState({ ...person, colour: message.colour });
        break;
    }
  }

  /** Stores a message, schedules its expiry and sends it to everyone in the room. */
  say(author: Person, text: string): ChatMessage {
    const message = this.sql.transaction(() => {
      this.sql.run`INSERT INTO activity (user, name, messages) VALUES (${author.user}, ${author.name}, 1)
                   ON CONFLICT (user) DO UPDATE SET messages = messages + 1, name = excluded.name`;
      return this.#insert("chat", author, text);
    });
    this.#publish(message);
    return message;
  }

  /** The last {@link HISTORY_ON_JOIN} messages, oldest first. */
  history(): ChatMessage[] {
    const rows = this.sql.all<MessageRow>`
      SELECT * FROM (SELECT * FROM messages ORDER BY id DESC LIMIT ${HISTORY_ON_JOIN}) ORDER BY id`;
    return rows.map(toChatMessage);
  }

  /** Scheduled by {@link Room.say} for each message, `MESSAGE_TTL_SECONDS` after it was sent. */
  expireMessage({ id }: { id: number }): void {
    const { rowsWritten } = this.sql.run`DELETE FROM messages WHERE id = ${id}`;
    if (rowsWritten > 0) this.sockets.publish(CHAT, { type: "expired", id } satisfies ServerMessage);
  }

  /**
   * The room's cron task (`DIGEST_CRON`): it runs whether or not anyone is connected, says who
   * spoke since the last digest, and starts counting again. A quiet room says nothing.
   */
  sendDigest(): ChatMessage | undefined {
    const speakers = this.sql.all<{ name: string; messages: number }>`
      SELECT name, messages FROM activity ORDER BY messages DESC, name`;
    if (speakers.length === 0) return undefined;
    const message = this.sql.transaction(() => {
      this.sql.run`DELETE FROM activity`;
      return this.#insert("digest", { user: "", name: "room", colour: "#555555" }, digestText(speakers));
    });
    this.#publish(message);
    return message;
  }

  override onRequest(request: Request): Response {
    if (request.method !== "GET") return new Response("method not allowed", { status: 405 });
    return Response.json({ people: this.sockets.count(CHAT), history: this.history() });
  }

  #insert(kind: ChatMessage["kind"], author: Person, text: string): ChatMessage {
    const row = this.sql.one<MessageRow>`
      INSERT INTO messages (kind, user, name, colour, text, sent_at)
      VALUES (${kind}, ${author.user}, ${author.name}, ${author.colour}, ${text}, ${Date.now()})
      RETURNING *`;
    // Called inside the caller's transaction: the message and its expiry are written together.
    this.scheduler.after(this.#messageTtlMs(), "expireMessage", { id: row.id }, { id: `expire/${row.id}` });
    return toChatMessage(row);
  }

  #publish(message: ChatMessage): void {
    this.sockets.publish(CHAT, { type: "message", message } satisfies ServerMessage);
  }

  #messageTtlMs(): number {
    const seconds = Number(this.env.MESSAGE_TTL_SECONDS);
    if (!(seconds > 0)) throw new Error(`MESSAGE_TTL_SECONDS must be a positive number, got ${this.env.MESSAGE_TTL_SECONDS}`);
    return seconds * 1000;
  }
}

/** A connection's person: set in onConnect, before any message can arrive. */
function personOf(conn: Connection<Person>): Person {
  if (conn.state === null) throw new Error(`connection ${conn.id} has no state`);
  return conn.state;
}

function toChatMessage(row: MessageRow): ChatMessage {
  return {
    id: row.id,
    kind: row.kind,
    user: row.user,
    name: row.name,
    colour: row.colour,
    text: row.text,
    sentAt: row.sent_at,
  };
}

function digestText(speakers: { name: string; messages: number }[]): string {
  const total = speakers.reduce((sum, s) => sum + s.messages, 0);
  const who = speakers.map((s) => `${s.name} (${s.messages})`).join(", ");
  return `Since the last digest: ${total} message${total === 1 ? "" : "s"} from ${who}.`;
}

/** The same colour for the same user every time, until they pick one. */
export function defaultColour(user: string): string {
  let hash = 0;
  for (const char of user) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? "#7f8c8d";
}
