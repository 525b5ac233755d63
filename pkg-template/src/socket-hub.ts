/**
 * `SocketHub`: the connections of one object. It owns them (in a {@link ConnectionTable}),
 * keeps the core's topic index (`engine.fanout*`) in step with them, and handles every way one
 * starts, changes (state, subscriptions) or ends. What `this.sockets` does with them (publish,
 * lookups) and the send loops are the {@link SocketPublisher}'s (socket-publish.ts).
 *
 * Wake: the index is a cache in the engine handle. Whenever the handle is new (a wake, an
 * evicted handle, a trap), the first socket operation rebuilds it in one core call from
 * `ctx.getWebSockets()` and the attachments; slot = position in that list.
 *
 * One verb per way a connection ends:
 * - `#close`: the hub ends it (the user's `conn.close()`, a message too big or over the rate, a
 *   failed send, a failed `onConnect`); peers are told and the socket is closed.
 * - `socketClosed` / `socketErrored`: the platform says the socket ended; peers are told.
 * Both go through `#disconnect` (out of the core's index and the table, peers told).
 *
 * Never awaits between reading the index and sending, and never sends user state anywhere but
 * presence messages.
 */
import { Connection, type Attachment, type ConnectionHost } from "./connection.js";
import type { CoreContext } from "./core-context.js";
import { DurableCoreError } from "./errors.js";
import { HandleWatch } from "./kernel/handle-watch.js";
import { frozenStateCopy } from "./kernel/plain-data.js";
import { utf8Over } from "./kernel/text.js";
import { checkOptions } from "./socket-options.js";
import { ConnectionTable } from "./socket-table.js";
import { SocketPublisher } from "./socket-publish.js";
import { checkAttachmentSize, closeSocket, encodeMessage, OPEN, readAttachment, writeAttachment } from "./socket-wire.js";
import { Sockets, type SocketMessage, type SocketsOptions } from "./sockets.js";
import { checkTopic } from "./topic-limit.js";

/** The hooks a DurableCore subclass may implement. @internal */
export interface SocketHooks {
  onBeforeConnect?(request: Request): Response | void | undefined | Promise<Response | void | undefined>;
  onConnect?(connection: Connection<any>, request: Request): void | Promise<void>;
  onMessage?(connection: Connection<any>, data: string | ArrayBuffer): void | Promise<void>;
  onClose?(connection: Connection<any>, code: number, reason: string, wasClean: boolean): void | Promise<void>;
  onError?(connection: Connection<any>, error: unknown): void | Promise<void>;
}

/** @internal One per object, created on first use. */
export class SocketHub implements ConnectionHost {
  readonly api: Sockets;
  readonly #core: CoreContext;
  readonly #options: SocketsOptions;
  readonly #maxMessageBytes: number;
  readonly #attachmentBytes: number;
  /** Whether the handle is the one the index was built in. */
  readonly #handle: HandleWatch;
  readonly #table = new ConnectionTable();
  /** `this.sockets`' side (publish, lookups) and the send loops. */
  readonly #publisher: SocketPublisher;

  constructor(core: CoreContext, options: SocketsOptions) {
    const checked = checkOptions(options);
    this.#core = core;
    this.#handle = new HandleWatch(core);
    this.#options = options;
    this.#maxMessageBytes = checked.maxMessageBytes;
    this.#attachmentBytes = checked.attachmentBytes;
    this.#publisher = new SocketPublisher(core, this.#table, {
      ensureIndex: () => this.#ensureIndex(),
      closeFailedSends: () => this.#closeFailedSends(),
    });
    this.api = new Sockets(this.#publisher);
    // The core checks `rateLimit` (its one home) and keeps it in the handle: set now, so that a
    // bad value fails this first use, and again on every later handle.
    const rate = options.rateLimit;
    core.call((engine) => engine.fanoutConfigure(rate));
    core.onNewEngine((engine) => engine.fanoutConfigure(rate));
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
    this.#table.add(connection);
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
      typeof data === "string" ? utf8Over(data, this.#maxMessageBytes) : data.byteLength > this.#maxMessageBytes;
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

  async socketClosed(socket: WebSocket, code: number, reason: string, wasClean: boolean, hooks: SocketHooks): Promise<void> {
    const connection = this.#socketEnded(socket);
    // Completes the closing handshake on compatibility dates that do not do it automatically.
    closeSocket(socket, code, reason);
    if (connection !== undefined) await hooks.onClose?.(connection, code, reason, wasClean);
  }

  async socketErrored(socket: WebSocket, error: unknown, hooks: SocketHooks): Promise<void> {
    const connection = this.#socketEnded(socket);
    if (connection !== undefined) await this.#reportError(connection, error, hooks);
  }

  // ---- ConnectionHost ----

  setState(connection: Connection<any>, state: unknown): void {
    // Copied and checked before anything else: a refused state changes nothing.
    const kept = frozenStateCopy(state);
    this.#ensureIndex();
    const next: Attachment = { ...connection.attachment, state: kept };
    this.#writeAttachment(connection, next);
    if (connection.slot >= 0 && next.subs.some(([, presence]) => presence === 1)) {
      const plan = this.#core.call((engine) => engine.fanoutStateChanged(connection.slot));
      this.#publisher.announce(plan, connection);
    }
    this.#closeFailedSends();
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
      this.#publisher.failed.push(connection);
      this.#closeFailedSends();
      return false;
    }
  }

  close(connection: Connection<any>, code: number | undefined, reason: string | undefined): void {
    this.#ensureIndex();
    this.#close(connection, code ?? 1000, reason ?? "");
    this.#closeFailedSends();
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
    checkAttachmentSize(next, this.#attachmentBytes);
    // The core validates the topic and changes nothing when it refuses it.
    const plan = this.#core.call((engine) => engine.fanoutSubscribe(live, topicOrPattern, presence));
    try {
      writeAttachment(connection, next);
    } catch (error) {
      this.#core.call((engine) =>
        previous === undefined
          ? engine.fanoutUnsubscribe(live, topicOrPattern)
          : engine.fanoutSubscribe(live, topicOrPattern, previous[1] === 1),
      );
      throw error;
    }
    this.#publisher.announce(plan, connection);
    this.#core.grewALittle();
    this.#closeFailedSends();
  }

  unsubscribe(connection: Connection<any>, topicOrPattern: string): void {
    checkTopic(topicOrPattern);
    this.#ensureIndex();
    const live = this.#liveSlot(connection);
    const subs = connection.attachment.subs;
    const plan = this.#core.call((engine) => engine.fanoutUnsubscribe(live, topicOrPattern));
    if (subs.some(([topic]) => topic === topicOrPattern)) {
      this.#writeAttachment(connection, { ...connection.attachment, subs: subs.filter(([topic]) => topic !== topicOrPattern) });
    }
    this.#publisher.announce(plan, connection);
    this.#closeFailedSends();
  }

  // ---- internals: the index ----

  /** Rebuilds the index when the engine handle is not the one it was built in. */
  #ensureIndex(): void {
    // Through `call`, so that a trap while creating the handle resets the engine.
    this.#core.call(() => undefined);
    if (this.#handle.isNew) this.#rebuild();
  }

  #rebuild(): void {
    const connections: Connection<any>[] = [];
    for (const socket of this.#core.ctx.getWebSockets()) {
      // A closing socket gets no slot (its close event is handled by #socketEnded); the
      // platform may still list one here, so check rather than trust the list.
      if (socket.readyState !== OPEN) continue;
      const known = this.#table.bySocket(socket);
      const attachment = known?.attachment ?? readAttachment(socket);
      if (attachment === null) continue;
      connections.push(known ?? new Connection(this, socket, attachment, connections.length));
    }
    // The attachments themselves: the core reads only the fields it declares (`id`, `subs`).
    const rejected = this.#core.call((engine) => engine.fanoutRebuild(connections.map((connection) => connection.attachment)));
    this.#handle.seen();
    this.#core.grew();
    this.#table.replaceAll(connections);
    for (const slot of rejected) {
      const connection = connections[slot];
      if (connection === undefined) continue;
      // The core never indexed it: there is nothing to disconnect and nobody to tell.
      this.#table.remove(connection);
      closeSocket(connection.socket, 1011, "invalid connection state");
    }
  }

  #liveSlot(connection: Connection<any>): number {
    if (!this.#table.holds(connection)) {
      throw new DurableCoreError("CONNECTION_CLOSED", `connection ${connection.id} is closed: it can no longer subscribe or unsubscribe`);
    }
    return connection.slot;
  }

  #find(socket: WebSocket): Connection<any> | undefined {
    const known = this.#table.bySocket(socket);
    if (known !== undefined) return known;
    const attachment = readAttachment(socket);
    return attachment === null ? undefined : this.#table.byId(attachment.id);
  }

  // ---- internals: ending a connection ----

  /**
   * The hub ends `connection`: out of the index (peers told), its attachment's subscriptions
   * cleared, its socket closed. The subscriptions go because its peers were told it left, and
   * its close event may come after a wake, when only the attachment is left.
   */
  #close(connection: Connection<any>, code: number, reason: string): void {
    if (connection.slot >= 0) this.#disconnect(connection);
    try {
      connection.socket.serializeAttachment({ ...connection.attachment, subs: [] });
    } catch {
      // A socket that refuses it is gone for good; its close event then finds no attachment.
    }
    closeSocket(connection.socket, code, reason);
  }

  /** Closes the connections whose send failed, until none is left (their notices may fail too). */
  #closeFailedSends(): void {
    const failed = this.#publisher.failed;
    while (failed.length > 0) {
      const connection = failed.pop()!;
      if (connection.slot >= 0) this.#close(connection, 1011, "send failed");
    }
  }

  /**
   * The platform ended `socket`: its connection is disconnected and returned for the user's
   * hook. A socket the index does not hold (closed by us, or CLOSED at rebuild) gets a detached
   * Connection made from its attachment, read once.
   */
  #socketEnded(socket: WebSocket): Connection<any> | undefined {
    this.#ensureIndex();
    let connection = this.#table.bySocket(socket);
    if (connection === undefined) {
      const attachment = readAttachment(socket);
      if (attachment !== null) connection = this.#table.byId(attachment.id) ?? new Connection(this, socket, attachment, -1);
    }
    if (connection !== undefined) this.#disconnect(connection);
    this.#closeFailedSends();
    return connection;
  }

  /**
   * Takes `connection` out of the core's index and the table, and tells its presence peers it
   * left. One the index never held (the platform leaves a closing socket out of
   * `getWebSockets()`, so a close that wakes the object finds it missing) still has its peers
   * told, from its attachment, unless it was removed earlier (they were told then).
   */
  #disconnect(connection: Connection<any>): void {
    if (connection.slot >= 0) {
      const slot = connection.slot;
      const plan = this.#core.call((engine) => engine.fanoutDisconnect(slot));
      this.#table.remove(connection);
      this.#publisher.announce(plan, connection);
      return;
    }
    if (this.#table.wasRemoved(connection.socket)) return;
    const presenceTopics = connection.attachment.subs.filter(([, presence]) => presence === 1).map(([topic]) => topic);
    if (presenceTopics.length === 0) return;
    const plan = this.#core.call((engine) => engine.fanoutDeparture(connection.id, presenceTopics));
    this.#publisher.announce(plan, connection);
  }

  // ---- internals: attachments and errors ----

  /** Writes an attachment (checking its size first); on any failure nothing changes. */
  #writeAttachment(connection: Connection<any>, attachment: Attachment): void {
    checkAttachmentSize(attachment, this.#attachmentBytes);
    writeAttachment(connection, attachment);
  }

  async #reportError(connection: Connection<any>, error: unknown, hooks: SocketHooks): Promise<void> {
    if (hooks.onError !== undefined) {
      await hooks.onError(connection, error);
    } else {
      console.error(`durable-core: uncaught error for connection ${connection.id}:`, error);
    }
  }
}
