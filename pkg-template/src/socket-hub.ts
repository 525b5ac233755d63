/**
 * `SocketHub`: the WebSocket fan-out of one object. It owns the sockets (by slot), the
 * `Connection` objects and their attachments, and carries out the plans of the core's topic
 * index (`engine.fanout*`): recipient slots for a publish, presence notices, rate admission.
 *
 * Slots: the core hands out slots; `#sockets[slot]` is that connection's WebSocket and
 * `#connections[slot]` its `Connection`. A removed connection leaves a hole that the core
 * reuses for the next connect, so slots never move while a connection lives.
 *
 * Wake: the index is a cache in the engine handle. Whenever the handle is new (`core.epoch`
 * changed: a wake, an evicted handle, a trap), the first socket operation rebuilds it in one
 * core call from `ctx.getWebSockets()` and the attachments; slot = position in that list.
 *
 * Never awaits between reading the index and sending, and never sends user state anywhere but
 * presence messages.
 */
import { Connection, type Attachment, type ConnectionHost } from "./connection.js";
import type { CoreContext } from "./engine.js";
import { DurableCoreError } from "./errors.js";
import { Sockets, type SocketMessage, type SocketsOptions } from "./sockets.js";
import { freezeState, frozenStateCopy } from "./state.js";
import type { PresencePlan } from "./wasm/durable_core.js";
import { checkTopic } from "./topic-limit.js";

/** `WebSocket.readyState` of an open socket (the WebSocket standard's value). */
const OPEN = 1;

/** The hooks a DurableCore subclass may implement. @internal */
export interface SocketHooks {
  onBeforeConnect?(request: Request): Response | void | undefined | Promise<Response | void | undefined>;
  onConnect?(connection: Connection<any>, request: Request): void | Promise<void>;
  onMessage?(connection: Connection<any>, data: string | ArrayBuffer): void | Promise<void>;
  onClose?(connection: Connection<any>, code: number, reason: string, wasClean: boolean): void | Promise<void>;
  onError?(connection: Connection<any>, error: unknown): void | Promise<void>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_ATTACHMENT_BYTES = 16 * 1024;
/** The platform refuses close reasons longer than this. */
const MAX_CLOSE_REASON_BYTES = 123;

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).byteLength;
}

/** Whether a string is over `limit` UTF-8 bytes, without encoding it when the length decides. */
function stringOver(text: string, limit: number): boolean {
  if (text.length > limit) return true; // every UTF-16 unit is at least one byte
  if (text.length * 3 <= limit) return false; // and at most three
  return utf8Length(text) > limit;
}

/** The largest `rateLimit` value the core accepts (it counts in 32-bit units). */
const MAX_RATE_LIMIT_VALUE = 2 ** 32 - 1;

/**
 * What a send puts on the wire: strings and bytes as they are, anything else as JSON. A value
 * JSON cannot encode (a cycle, a BigInt, a function) throws `MESSAGE_INVALID` before anything
 * is sent.
 */
function encodeMessage(message: SocketMessage): string | ArrayBuffer | ArrayBufferView {
  if (typeof message === "string" || message instanceof ArrayBuffer || ArrayBuffer.isView(message)) return message;
  let json: string | undefined;
  try {
    json = JSON.stringify(message);
  } catch (error) {
    throw new DurableCoreError("MESSAGE_INVALID", `a message must be a string, bytes or JSON-serialisable: ${String(error)}`, { cause: error });
  }
  if (json === undefined) {
    throw new DurableCoreError("MESSAGE_INVALID", `a message must be a string, bytes or JSON-serialisable, got ${typeof message}`);
  }
  return json;
}

function readAttachment(socket: WebSocket): Attachment | null {
  let value: unknown;
  try {
    value = socket.deserializeAttachment();
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  const candidate = value as Partial<Attachment>;
  if (candidate.dc !== 1 || typeof candidate.id !== "string" || !Array.isArray(candidate.subs)) return null;
  // The platform hands back a mutable clone: freeze it as setState froze the original.
  freezeState(candidate.state);
  return candidate as Attachment;
}

/** Cuts a close reason to what the platform accepts, at a character boundary. */
function closeReason(reason: string): string {
  if (utf8Length(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = "";
  for (const char of reason) {
    if (utf8Length(cut + char) > MAX_CLOSE_REASON_BYTES) break;
    cut += char;
  }
  return cut;
}

/** Closes a socket, ignoring a socket that is already closed (or a code it may not send). */
function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  const sendable = code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006);
  try {
    socket.close(sendable ? code : 1000, closeReason(reason));
  } catch {
    // Already closed: nothing left to do.
  }
}

/**
 * Clears the subscriptions in the attachment of a connection the hub closed: its peers were
 * told it left, and its close event may come after a wake, when only the attachment is left.
 */
function forgetSubscriptions(connection: Connection<any>): void {
  try {
    connection.socket.serializeAttachment({ ...connection.attachment, subs: [] });
  } catch {
    // A socket that refuses it is gone for good; its close event then finds no attachment.
  }
}

/** What the core's `RateLimit` accepts for `messages` and `perMs`. */
function isRateLimitValue(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_RATE_LIMIT_VALUE;
}

/** Checks `static sockets` when the object first uses its sockets, so a bad value never waits for a client. */
function checkOptions(options: SocketsOptions): Required<Pick<SocketsOptions, "maxMessageBytes" | "attachmentBytes">> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const attachmentBytes = options.attachmentBytes ?? DEFAULT_ATTACHMENT_BYTES;
  for (const [name, value] of [["maxMessageBytes", maxMessageBytes], ["attachmentBytes", attachmentBytes]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new DurableCoreError("SOCKETS_OPTIONS_INVALID", `static sockets.${name} must be a whole number of bytes >= 1, got ${value}`);
    }
  }
  const rate: { messages?: unknown; perMs?: unknown } | null | undefined = options.rateLimit;
  if (rate !== undefined && !(rate !== null && isRateLimitValue(rate.messages) && isRateLimitValue(rate.perMs))) {
    const shown = rate === null || typeof rate !== "object" ? String(rate) : `{ messages: ${String(rate.messages)}, perMs: ${String(rate.perMs)} }`;
    throw new DurableCoreError(
      "SOCKETS_OPTIONS_INVALID",
      `static sockets.rateLimit ${shown}: messages and perMs must both be whole numbers from 1 to ${MAX_RATE_LIMIT_VALUE}`,
    );
  }
  const pair = options.autoResponse;
  if (pair !== undefined && (!Array.isArray(pair) || pair.length !== 2 || pair.some((text) => typeof text !== "string"))) {
    throw new DurableCoreError("SOCKETS_OPTIONS_INVALID", "static sockets.autoResponse must be a [request, response] pair of strings");
  }
  return { maxMessageBytes, attachmentBytes };
}

/** @internal One per object, created on first use. */
export class SocketHub implements ConnectionHost {
  readonly api: Sockets;
  readonly #core: CoreContext;
  readonly #options: SocketsOptions;
  readonly #maxMessageBytes: number;
  readonly #attachmentBytes: number;
  /** The handle generation the index was built for; -1 = never built. */
  #epoch = -1;
  #sockets: (WebSocket | undefined)[] = [];
  #connections: (Connection<any> | undefined)[] = [];
  #bySocket = new Map<WebSocket, Connection<any>>();
  #byId = new Map<string, Connection<any>>();
  /** Sockets whose connection this hub removed (their close event may still come). */
  #departed = new WeakSet<WebSocket>();
  /** Connections whose send failed during the current operation, removed at its end. */
  #dead: Connection<any>[] = [];

  constructor(core: CoreContext, options: SocketsOptions) {
    const checked = checkOptions(options);
    this.#core = core;
    this.#options = options;
    this.#maxMessageBytes = checked.maxMessageBytes;
    this.#attachmentBytes = checked.attachmentBytes;
    this.api = new Sockets(this);
    const pair = options.autoResponse;
    if (pair !== undefined) {
      core.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(pair[0], pair[1]));
    }
  }

  // ---- platform entry points (called by DurableCore) ----

  /** A request with `Upgrade: websocket`. */
  async upgrade(request: Request, hooks: SocketHooks): Promise<Response> {
    const refusal = await hooks.onBeforeConnect?.(request);
    if (refusal instanceof Response) return refusal;
    this.#ensureIndex();
    const pair = new WebSocketPair();
    const client = pair[0];
    const server = pair[1];
    const attachment: Attachment = { dc: 1, id: crypto.randomUUID(), state: null, subs: [] };
    // The attachment is written before the index knows the socket, so a rebuild at any later
    // point finds it.
    this.#core.ctx.acceptWebSocket(server);
    server.serializeAttachment(attachment);
    const slot = this.#core.call((engine) => engine.fanoutConnect(attachment.id));
    const connection = new Connection(this, server, attachment, slot);
    this.#register(connection);
    this.#core.grewALittle();
    try {
      await hooks.onConnect?.(connection, request);
    } catch (error) {
      this.close(connection, 1011, "onConnect failed");
      throw error;
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  async message(socket: WebSocket, data: string | ArrayBuffer, hooks: SocketHooks): Promise<void> {
    this.#ensureIndex();
    const connection = this.#find(socket);
    if (connection === undefined) return; // not a durable-core socket, or already closed by us
    const tooBig =
      typeof data === "string" ? stringOver(data, this.#maxMessageBytes) : data.byteLength > this.#maxMessageBytes;
    if (tooBig) {
      this.close(connection, 1009, "message too big");
      return;
    }
    if (this.#options.rateLimit !== undefined) {
      const admitted = this.#core.call((engine) => engine.fanoutAdmit(connection.slot, Date.now()));
      if (!admitted) {
        this.close(connection, 1008, "rate limited");
        return;
      }
    }
    try {
      await hooks.onMessage?.(connection, data);
    } catch (error) {
      await this.#reportError(connection, error, hooks);
    }
  }

  async closed(socket: WebSocket, code: number, reason: string, wasClean: boolean, hooks: SocketHooks): Promise<void> {
    const connection = this.#depart(socket);
    // Completes the closing handshake on compatibility dates that do not do it automatically.
    closeQuietly(socket, code, reason);
    if (connection !== undefined) await hooks.onClose?.(connection, code, reason, wasClean);
  }

  async errored(socket: WebSocket, error: unknown, hooks: SocketHooks): Promise<void> {
    const connection = this.#depart(socket);
    if (connection !== undefined) await this.#reportError(connection, error, hooks);
  }

  // ---- this.sockets ----

  publish(topic: string, message: SocketMessage, except: Connection<any> | undefined): number {
    checkTopic(topic);
    this.#ensureIndex();
    const payload = encodeMessage(message);
    const exceptSlot = except !== undefined && except.slot >= 0 ? except.slot : undefined;
    const slots = this.#core.call((engine) => engine.fanoutPublish(topic, exceptSlot));
    const sent = this.#sendTo(slots, payload);
    this.#reap();
    return sent;
  }

  broadcast(message: SocketMessage, except: Connection<any> | undefined): number {
    this.#ensureIndex();
    const payload = encodeMessage(message);
    const sockets = this.#sockets;
    const connections = this.#connections;
    let sent = 0;
    for (let slot = 0; slot < sockets.length; slot++) {
      const socket = sockets[slot];
      // A closing socket is skipped; its close event removes it.
      if (socket === undefined || socket.readyState !== OPEN || connections[slot] === except) continue;
      try {
        socket.send(payload);
        sent += 1;
      } catch {
        this.#dead.push(connections[slot]!);
      }
    }
    this.#reap();
    return sent;
  }

  connections(topicOrPattern: string | undefined): Connection<any>[] {
    this.#ensureIndex();
    if (topicOrPattern === undefined) return [...this.#byId.values()];
    checkTopic(topicOrPattern);
    const slots = this.#core.call((engine) => engine.fanoutConnections(topicOrPattern));
    return this.#connectionsAt(slots);
  }

  count(topicOrPattern: string | undefined): number {
    this.#ensureIndex();
    if (topicOrPattern === undefined) return this.#byId.size;
    checkTopic(topicOrPattern);
    return this.#core.call((engine) => engine.fanoutCount(topicOrPattern));
  }

  get(id: string): Connection<any> | undefined {
    this.#ensureIndex();
    return this.#byId.get(id);
  }

  presence(topic: string): { id: string; state: unknown }[] {
    checkTopic(topic);
    this.#ensureIndex();
    const slots = this.#core.call((engine) => engine.fanoutPresence(topic));
    return this.#connectionsAt(slots).map((connection) => ({ id: connection.id, state: connection.state }));
  }

  // ---- ConnectionHost ----

  setState(connection: Connection<any>, state: unknown): void {
    // Copied and checked before anything else: a refused state changes nothing.
    const kept = frozenStateCopy(state);
    this.#ensureIndex();
    const next: Attachment = { ...connection.attachment, state: kept };
    this.#store(connection, next);
    if (connection.slot >= 0 && next.subs.some(([, presence]) => presence === 1)) {
      const plan = this.#core.call((engine) => engine.fanoutStateChanged(connection.slot));
      this.#announce(plan, connection);
    }
    this.#reap();
  }

  send(connection: Connection<any>, data: unknown): boolean {
    // Encoded first: a bad message is the caller's error, not a dead socket.
    const payload = encodeMessage(data as SocketMessage);
    if (connection.slot < 0) return false;
    try {
      connection.socket.send(payload);
      return true;
    } catch {
      this.#ensureIndex();
      this.#dead.push(connection);
      this.#reap();
      return false;
    }
  }

  close(connection: Connection<any>, code: number | undefined, reason: string | undefined): void {
    this.#ensureIndex();
    if (connection.slot >= 0) this.#remove(connection);
    forgetSubscriptions(connection);
    closeQuietly(connection.socket, code ?? 1000, reason ?? "");
    this.#reap();
  }

  subscribe(connection: Connection<any>, topicOrPattern: string, presence: boolean): void {
    checkTopic(topicOrPattern);
    this.#ensureIndex();
    const live = this.#liveSlot(connection);
    const subs = connection.attachment.subs;
    const previous = subs.find(([topic]) => topic === topicOrPattern);
    const flag = presence ? 1 : 0;
    if (previous !== undefined && previous[1] === flag) return;
    const nextSubs =
      previous === undefined
        ? [...subs, [topicOrPattern, flag] as const]
        : subs.map((sub) => (sub[0] === topicOrPattern ? ([topicOrPattern, flag] as const) : sub));
    const next: Attachment = { ...connection.attachment, subs: nextSubs };
    this.#checkSize(next);
    // The core validates the topic and changes nothing when it refuses it.
    const plan = this.#core.call((engine) => engine.fanoutSubscribe(live, topicOrPattern, presence));
    try {
      this.#write(connection, next);
    } catch (error) {
      this.#core.call((engine) =>
        previous === undefined
          ? engine.fanoutUnsubscribe(live, topicOrPattern)
          : engine.fanoutSubscribe(live, topicOrPattern, previous[1] === 1),
      );
      throw error;
    }
    this.#announce(plan, connection);
    this.#core.grewALittle();
    this.#reap();
  }

  unsubscribe(connection: Connection<any>, topicOrPattern: string): void {
    checkTopic(topicOrPattern);
    this.#ensureIndex();
    const live = this.#liveSlot(connection);
    const subs = connection.attachment.subs;
    const plan = this.#core.call((engine) => engine.fanoutUnsubscribe(live, topicOrPattern));
    if (subs.some(([topic]) => topic === topicOrPattern)) {
      this.#store(connection, { ...connection.attachment, subs: subs.filter(([topic]) => topic !== topicOrPattern) });
    }
    this.#announce(plan, connection);
    this.#reap();
  }

  // ---- internals ----

  /** Rebuilds the index when the engine handle is not the one it was built in. */
  #ensureIndex(): void {
    // Through `call`, so that a trap while creating the handle resets the engine.
    this.#core.call(() => undefined);
    if (this.#epoch !== this.#core.epoch) this.#rebuild();
  }

  #rebuild(): void {
    // Slots of the old index mean nothing now; known connections get their new one below.
    for (const connection of this.#connections) if (connection !== undefined) connection.slot = -1;
    const connections: Connection<any>[] = [];
    const ids: string[] = [];
    const counts: number[] = [];
    const filters: string[] = [];
    const flags: number[] = [];
    for (const socket of this.#core.ctx.getWebSockets()) {
      // A closing socket gets no slot (a close event for it is handled by #leave); the
      // platform may still list one here, so check rather than trust the list.
      if (socket.readyState !== OPEN) continue;
      const known = this.#bySocket.get(socket);
      const attachment = known?.attachment ?? readAttachment(socket);
      if (attachment === null) continue;
      const slot = connections.length;
      const connection = known ?? new Connection(this, socket, attachment, slot);
      connection.slot = slot;
      connections.push(connection);
      ids.push(attachment.id);
      counts.push(attachment.subs.length);
      for (const [topic, presence] of attachment.subs) {
        filters.push(topic);
        flags.push(presence);
      }
    }
    const rate = this.#options.rateLimit;
    const rejected = this.#core.call((engine) => {
      engine.fanoutConfigure(rate?.messages ?? 0, rate?.perMs ?? 0);
      return engine.fanoutRebuild(ids, Uint32Array.from(counts), filters, Uint8Array.from(flags));
    });
    this.#epoch = this.#core.epoch;
    this.#core.grew();
    this.#connections = connections;
    this.#sockets = connections.map((connection) => connection.socket);
    this.#bySocket = new Map(connections.map((connection) => [connection.socket, connection]));
    this.#byId = new Map(connections.map((connection) => [connection.id, connection]));
    for (const slot of rejected) {
      const connection = connections[slot];
      if (connection === undefined) continue;
      this.#forget(connection);
      closeQuietly(connection.socket, 1011, "invalid connection state");
    }
  }

  #register(connection: Connection<any>): void {
    this.#sockets[connection.slot] = connection.socket;
    this.#connections[connection.slot] = connection;
    this.#bySocket.set(connection.socket, connection);
    this.#byId.set(connection.id, connection);
  }

  /** Drops a connection from the JS side only. */
  #forget(connection: Connection<any>): void {
    const slot = connection.slot;
    if (slot >= 0 && this.#connections[slot] === connection) {
      this.#connections[slot] = undefined;
      this.#sockets[slot] = undefined;
    }
    this.#bySocket.delete(connection.socket);
    this.#departed.add(connection.socket);
    if (this.#byId.get(connection.id) === connection) this.#byId.delete(connection.id);
    connection.slot = -1;
  }

  /** Removes a live connection from the index and tells its presence peers. */
  #remove(connection: Connection<any>): void {
    const slot = connection.slot;
    const plan = this.#core.call((engine) => engine.fanoutDisconnect(slot));
    this.#forget(connection);
    this.#announce(plan, connection);
  }

  /**
   * A socket closed or failed: removes its connection, or, when the index never held it (the
   * platform leaves a closing socket out of `getWebSockets()`, so a close that wakes the object
   * finds it missing), still tells its presence peers it left.
   */
  #leave(connection: Connection<any>): void {
    if (connection.slot >= 0) {
      this.#remove(connection);
      return;
    }
    if (this.#departed.has(connection.socket)) return; // removed earlier: peers already told
    const presenceTopics = connection.attachment.subs.filter(([, presence]) => presence === 1).map(([topic]) => topic);
    if (presenceTopics.length === 0) return;
    const plan = this.#core.call((engine) => engine.fanoutDeparture(connection.id, presenceTopics));
    this.#announce(plan, connection);
  }

  /** Removes connections whose send failed, until none is left (their leaves may fail too). */
  #reap(): void {
    while (this.#dead.length > 0) {
      const connection = this.#dead.pop()!;
      if (connection.slot < 0) continue;
      this.#remove(connection);
      forgetSubscriptions(connection);
      closeQuietly(connection.socket, 1011, "send failed");
    }
  }

  #liveSlot(connection: Connection<any>): number {
    if (connection.slot < 0 || this.#connections[connection.slot] !== connection) {
      throw new DurableCoreError("CONNECTION_CLOSED", `connection ${connection.id} is closed: it can no longer subscribe or unsubscribe`);
    }
    return connection.slot;
  }

  #find(socket: WebSocket): Connection<any> | undefined {
    const known = this.#bySocket.get(socket);
    if (known !== undefined) return known;
    const attachment = readAttachment(socket);
    return attachment === null ? undefined : this.#byId.get(attachment.id);
  }

  /**
   * A socket closed or failed: its connection leaves (see {@link #leave}), and is returned for
   * the user's hook. A socket the index does not hold (closed by us, or CLOSED at rebuild) gets
   * a detached Connection made from its attachment, read once.
   */
  #depart(socket: WebSocket): Connection<any> | undefined {
    this.#ensureIndex();
    let connection = this.#bySocket.get(socket);
    if (connection === undefined) {
      const attachment = readAttachment(socket);
      if (attachment !== null) connection = this.#byId.get(attachment.id) ?? new Connection(this, socket, attachment, -1);
    }
    if (connection !== undefined) this.#leave(connection);
    this.#reap();
    return connection;
  }

  #connectionsAt(slots: ArrayLike<number>): Connection<any>[] {
    const found: Connection<any>[] = [];
    for (let i = 0; i < slots.length; i++) {
      const connection = this.#connections[slots[i]!];
      if (connection !== undefined) found.push(connection);
    }
    return found;
  }

  /** The hot loop of a publish: one send per recipient slot. */
  #sendTo(slots: ArrayLike<number>, payload: string | ArrayBuffer | ArrayBufferView): number {
    const sockets = this.#sockets;
    let sent = 0;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const socket = sockets[slot];
      // A closing socket is skipped; its close event removes it.
      if (socket === undefined || socket.readyState !== OPEN) continue;
      try {
        socket.send(payload);
        sent += 1;
      } catch {
        const connection = this.#connections[slot];
        if (connection !== undefined) this.#dead.push(connection);
      }
    }
    return sent;
  }

  /** Sends the presence messages of one operation, all about `subject`. */
  #announce(plan: PresencePlan | undefined, subject: Connection<any>): void {
    if (plan === undefined) return;
    for (const notice of plan.notices) {
      const message = JSON.stringify({
        type: "presence",
        topic: notice.topic,
        event: notice.event,
        id: subject.id,
        state: subject.state,
      });
      this.#sendTo(notice.recipients, message);
    }
  }

  #checkSize(attachment: Attachment): void {
    let json: string;
    try {
      json = JSON.stringify(attachment);
    } catch (error) {
      throw new DurableCoreError("STATE_INVALID", `a connection's state must be JSON-serialisable: ${String(error)}`, { cause: error });
    }
    if (stringOver(json, this.#attachmentBytes)) {
      const bytes = utf8Length(json);
      throw new DurableCoreError(
        "ATTACHMENT_TOO_LARGE",
        `connection ${attachment.id}: state and subscriptions take ${bytes} bytes, over the ${this.#attachmentBytes}-byte attachment limit (static sockets.attachmentBytes); keep large data in this.sql or this.store`,
      );
    }
  }

  /** Writes an attachment (checking its size first); on any failure nothing changes. */
  #store(connection: Connection<any>, attachment: Attachment): void {
    this.#checkSize(attachment);
    this.#write(connection, attachment);
  }

  /** Writes an attachment already checked by {@link #checkSize}. */
  #write(connection: Connection<any>, attachment: Attachment): void {
    try {
      connection.socket.serializeAttachment(attachment);
    } catch (error) {
      throw new DurableCoreError("ATTACHMENT_TOO_LARGE", `the platform refused connection ${attachment.id}'s attachment: ${String(error)}`, {
        cause: error,
      });
    }
    connection.attachment = attachment;
  }

  async #reportError(connection: Connection<any>, error: unknown, hooks: SocketHooks): Promise<void> {
    if (hooks.onError !== undefined) {
      await hooks.onError(connection, error);
    } else {
      console.error(`durable-core: uncaught error for connection ${connection.id}:`, error);
    }
  }
}
