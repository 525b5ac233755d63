/**
 * The reading and sending side of an object's sockets: what `this.sockets` does (publish,
 * broadcast, look connections up) and the send loops that carry out the core's plans
 * (recipient slots of a publish, presence notices). The connections themselves, and every way
 * one starts or ends, are the hub's (socket-hub.ts).
 *
 * A send that throws never ends its connection inside a loop that still reads the table: it is
 * queued in {@link SocketPublisher.failed}, and the hub closes it when the operation ends.
 */
import type { Connection } from "./connection.js";
import type { CoreContext } from "./core-context.js";
import type { ConnectionTable } from "./socket-table.js";
import { encodeMessage, OPEN } from "./socket-wire.js";
import type { SocketMessage } from "./sockets.js";
import { checkTopic } from "./topic-limit.js";
import type { PresencePlan } from "./wasm/durable_core.js";

/** What the publisher needs of its hub around every operation. @internal */
export interface PublisherHost {
  /** Rebuilds the index and the table if the engine handle is new. */
  ensureIndex(): void;
  /** Closes the connections whose send failed (see {@link SocketPublisher.failed}). */
  closeFailedSends(): void;
}

/** @internal One per object, owned by its hub. */
export class SocketPublisher {
  /** Connections whose send failed during the current operation, closed by the hub at its end. */
  readonly failed: Connection<any>[] = [];
  readonly #core: CoreContext;
  readonly #table: ConnectionTable;
  readonly #host: PublisherHost;

  constructor(core: CoreContext, table: ConnectionTable, host: PublisherHost) {
    this.#core = core;
    this.#table = table;
    this.#host = host;
  }

  // ---- this.sockets ----

  publish(topic: string, message: SocketMessage, except: Connection<any> | undefined): number {
    checkTopic(topic);
    this.#host.ensureIndex();
    const payload = encodeMessage(message);
    const exceptSlot = except !== undefined && except.slot >= 0 ? except.slot : undefined;
    const slots = this.#core.call((engine) => engine.fanoutPublish(topic, exceptSlot));
    const sent = this.sendTo(slots, payload);
    this.#host.closeFailedSends();
    return sent;
  }

  broadcast(message: SocketMessage, except: Connection<any> | undefined): number {
    this.#host.ensureIndex();
    const payload = encodeMessage(message);
    const table = this.#table;
    const sockets = table.sockets;
    let sent = 0;
    for (let slot = 0; slot < sockets.length; slot++) {
      const socket = sockets[slot];
      if (socket === undefined || table.at(slot) === except) continue;
      try {
        socket.send(payload);
        sent += 1;
      } catch {
        this.#sendFailed(slot, socket);
      }
    }
    this.#host.closeFailedSends();
    return sent;
  }

  connections(topicOrPattern: string | undefined): Connection<any>[] {
    this.#host.ensureIndex();
    if (topicOrPattern === undefined) return this.#table.all();
    checkTopic(topicOrPattern);
    const slots = this.#core.call((engine) => engine.fanoutConnections(topicOrPattern));
    return this.#table.atSlots(slots);
  }

  count(topicOrPattern: string | undefined): number {
    this.#host.ensureIndex();
    if (topicOrPattern === undefined) return this.#table.size;
    checkTopic(topicOrPattern);
    return this.#core.call((engine) => engine.fanoutCount(topicOrPattern));
  }

  get(id: string): Connection<any> | undefined {
    this.#host.ensureIndex();
    return this.#table.byId(id);
  }

  presence(topic: string): { id: string; state: unknown }[] {
    checkTopic(topic);
    this.#host.ensureIndex();
    const slots = this.#core.call((engine) => engine.fanoutPresence(topic));
    return this.#table.atSlots(slots).map((connection) => ({ id: connection.id, state: connection.state }));
  }

  // ---- the send loops (the hub's too) ----

  /**
   * The hot loop of a publish: one send per recipient slot, and no other work per recipient.
   * No `readyState` check before the send: it is a native call per recipient, and what it would
   * skip costs nothing here (docs/reports/s3-publish.md): a socket closed on our side throws, and
   * {@link #sendFailed} skips it; one whose peer closed or vanished accepts the send (workerd
   * queues nothing for a vanished peer) and leaves the table with its close or error event.
   */
  sendTo(slots: ArrayLike<number>, payload: string | ArrayBuffer | ArrayBufferView): number {
    const sockets = this.#table.sockets;
    let sent = 0;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const socket = sockets[slot];
      if (socket === undefined) continue;
      try {
        socket.send(payload);
        sent += 1;
      } catch {
        this.#sendFailed(slot, socket);
      }
    }
    return sent;
  }

  /** Sends the presence messages of one operation, all about `subject`. */
  announce(plan: PresencePlan | undefined, subject: Connection<any>): void {
    if (plan === undefined) return;
    for (const notice of plan.notices) {
      const message = JSON.stringify({
        type: "presence",
        topic: notice.topic,
        event: notice.event,
        id: subject.id,
        state: subject.state,
      });
      this.sendTo(notice.recipients, message);
    }
  }

  /**
   * A send threw. A socket that is no longer open (closed on our side, its close event not yet
   * come) is skipped, as if it had not been a recipient; its close event removes it. Any other
   * failure queues its connection in {@link failed}.
   */
  #sendFailed(slot: number, socket: WebSocket): void {
    if (socket.readyState !== OPEN) return;
    const connection = this.#table.at(slot);
    if (connection !== undefined) this.failed.push(connection);
  }
}
