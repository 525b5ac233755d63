/**
 * `Connection`: one accepted WebSocket of a durable-core object, as user code sees it.
 *
 * Its durable part (id, state, subscriptions) lives in the socket's attachment, so it survives
 * hibernation; the topic index in the core is rebuilt from it after a wake. A `Connection`
 * only talks to its hub (see socket-hub.ts), never to the core directly.
 */
import type { JsonObject } from "./values.js";

import type { IndexedConnection } from "./wasm/durable_core.js";

/**
 * What a socket's attachment holds: what the core's index is rebuilt from (`id`, `subs`, a
 * type the core declares), plus `dc`, which marks sockets accepted by durable-core, and the
 * user's state, which the core never sees.
 */
export interface Attachment<S = unknown> extends IndexedConnection {
  readonly dc: 1;
  readonly id: string;
  readonly state: S | null;
  readonly subs: IndexedConnection["subs"];
}

/** What a connection needs of the object's socket hub. @internal */
export interface ConnectionHost {
  setState(connection: Connection<any>, state: unknown): void;
  send(connection: Connection<any>, data: unknown): boolean;
  close(connection: Connection<any>, code: number | undefined, reason: string | undefined): void;
  subscribe(connection: Connection<any>, topicOrPattern: string, presence: boolean): void;
  unsubscribe(connection: Connection<any>, topicOrPattern: string): void;
}

/** Options of {@link Connection.subscribe}. */
export interface SubscribeOptions {
  /**
   * Announce this connection on the topic: the topic's other subscribers get
   * `{ type: "presence", topic, event: "join" | "leave" | "update", id, state }` when it joins,
   * leaves (also by disconnecting) or changes its state. Concrete topics only.
   */
  readonly presence?: boolean;
}

/**
 * One client connection. `S` is the type of its state; without it the state is a JSON object
 * ({@link JsonObject}), so `onMessage(conn: Connection) { conn.state?.name }` compiles and
 * `conn.state?.name` is a JSON value.
 *
 * @example
 * onConnect(conn: Connection<{ name: string }>) {
 *   conn.setState({ name: "ada" });
 *   conn.subscribe("room/lobby", { presence: true });
 * }
 */
export class Connection<S = JsonObject> {
  /** The WebSocket (accepted with the hibernation API). @internal */
  readonly socket: WebSocket;
  /** The slot of this connection in the hub, or -1 once it is gone. @internal */
  slot: number;
  /** The last attachment written. @internal */
  attachment: Attachment<S>;
  readonly #host: ConnectionHost;

  /** @internal Created by durable-core only. */
  constructor(host: ConnectionHost, socket: WebSocket, attachment: Attachment<S>, slot: number) {
    this.#host = host;
    this.socket = socket;
    this.attachment = attachment;
    this.slot = slot;
  }

  /** A stable id, the same across hibernation (a random UUID given at connect time). */
  get id(): string {
    return this.attachment.id;
  }

  /**
   * The state last set with {@link Connection.setState}, or `null`: a frozen copy, the same
   * value the attachment holds. Change it with `setState({ ...conn.state, ... })`; assigning to
   * it throws a `TypeError`.
   */
  get state(): Readonly<S> | null {
    return this.attachment.state;
  }

  /**
   * Replaces the state with a frozen deep copy of `state`, kept in the socket's attachment (it
   * survives hibernation) and sent to presence peers as an `update`. It must be plain JSON data
   * (objects, arrays, strings, finite numbers, booleans, null; `undefined` properties are left
   * out): a `Map`, `Set`, `Date`, function, class instance, bigint, NaN or a cycle →
   * `STATE_INVALID`; too large for `attachmentBytes` → `ATTACHMENT_TOO_LARGE`. Either way
   * nothing changes. Later changes to the object you passed do not affect the state.
   */
  setState(state: S): void {
    this.#host.setState(this, state);
  }

  /**
   * Sends a string or bytes as they are, or any other value as JSON. Returns false when the
   * socket is dead; the connection is then removed.
   */
  send(data: string | ArrayBuffer | ArrayBufferView | object): boolean {
    return this.#host.send(this, data);
  }

  /** Closes the connection (default 1000); it leaves its topics at once. */
  close(code?: number, reason?: string): void {
    this.#host.close(this, code, reason);
  }

  /**
   * Subscribes to a topic (`room/lobby`) or a pattern (`room/*` one segment, `room/**` one or
   * more segments). Any number of subscriptions; subscribing again only changes `presence`.
   * Throws `TOPIC_INVALID`, `PRESENCE_ON_PATTERN` or `ATTACHMENT_TOO_LARGE`, changing nothing.
   */
  subscribe(topicOrPattern: string, options?: SubscribeOptions): void {
    this.#host.subscribe(this, topicOrPattern, options?.presence === true);
  }

  /** Removes a subscription (a no-op if there is none); a presence subscription announces `leave`. */
  unsubscribe(topicOrPattern: string): void {
    this.#host.unsubscribe(this, topicOrPattern);
  }

  /** The topics and patterns this connection is subscribed to, in subscription order. */
  get topics(): string[] {
    return this.attachment.subs.map(([topic]) => topic);
  }
}
