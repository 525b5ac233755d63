/**
 * The socket hub's tables of live connections, kept in step in one place: by slot (the core's
 * numbering, used by the hot send loops), by socket (platform events) and by id (lookups).
 *
 * A slot is handed out by the core; a removed connection leaves a hole that the core reuses for
 * the next connect, so slots never move while a connection lives.
 */
import type { Connection } from "./connection.js";

export class ConnectionTable {
  /** `sockets[slot]` is the socket of `connections[slot]`: the send loops read only this one. */
  sockets: (WebSocket | undefined)[] = [];
  #connections: (Connection<any> | undefined)[] = [];
  #bySocket = new Map<WebSocket, Connection<any>>();
  #byId = new Map<string, Connection<any>>();
  /** Sockets whose connection was removed (their close event may still come). */
  readonly #removed = new WeakSet<WebSocket>();

  /** Every live connection, in slot order of their arrival. */
  all(): Connection<any>[] {
    return [...this.#byId.values()];
  }

  get size(): number {
    return this.#byId.size;
  }

  at(slot: number): Connection<any> | undefined {
    return this.#connections[slot];
  }

  /** The live connections at `slots` (holes skipped). */
  atSlots(slots: ArrayLike<number>): Connection<any>[] {
    const found: Connection<any>[] = [];
    for (let i = 0; i < slots.length; i++) {
      const connection = this.#connections[slots[i]!];
      if (connection !== undefined) found.push(connection);
    }
    return found;
  }

  bySocket(socket: WebSocket): Connection<any> | undefined {
    return this.#bySocket.get(socket);
  }

  byId(id: string): Connection<any> | undefined {
    return this.#byId.get(id);
  }

  /** Whether `connection` is live here (in its slot). */
  holds(connection: Connection<any>): boolean {
    return connection.slot >= 0 && this.#connections[connection.slot] === connection;
  }

  /** Whether `socket`'s connection was removed from this table. */
  wasRemoved(socket: WebSocket): boolean {
    return this.#removed.has(socket);
  }

  /** Puts `connection` in its slot. */
  add(connection: Connection<any>): void {
    this.sockets[connection.slot] = connection.socket;
    this.#connections[connection.slot] = connection;
    this.#bySocket.set(connection.socket, connection);
    this.#byId.set(connection.id, connection);
  }

  /** Takes `connection` out (it keeps no slot); the core's index is the caller's business. */
  remove(connection: Connection<any>): void {
    const slot = connection.slot;
    if (slot >= 0 && this.#connections[slot] === connection) {
      this.#connections[slot] = undefined;
      this.sockets[slot] = undefined;
    }
    this.#bySocket.delete(connection.socket);
    this.#removed.add(connection.socket);
    if (this.#byId.get(connection.id) === connection) this.#byId.delete(connection.id);
    connection.slot = -1;
  }

  /** Replaces every entry: `connections[i]` takes slot `i` (a rebuild of the index). */
  replaceAll(connections: Connection<any>[]): void {
    for (const connection of this.#connections) if (connection !== undefined) connection.slot = -1;
    connections.forEach((connection, slot) => (connection.slot = slot));
    this.#connections = connections;
    this.sockets = connections.map((connection) => connection.socket);
    this.#bySocket = new Map(connections.map((connection) => [connection.socket, connection]));
    this.#byId = new Map(connections.map((connection) => [connection.id, connection]));
  }
}
