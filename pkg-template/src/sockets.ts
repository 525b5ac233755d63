/**
 * `this.sockets`: publishing to topics, and looking connections up. The work is done by the
 * object's {@link SocketPublisher}; this class is the part users see.
 */
import type { Connection } from "./connection.js";
import type { SocketPublisher } from "./socket-publish.js";

/** `static sockets` settings of a {@link DurableCore} subclass. */
export interface SocketsOptions {
  /** Largest message accepted from a client, in bytes; a larger one closes it with 1009. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * Per-connection rate: a burst of up to `messages`, refilled at `messages` per `perMs`.
   * Exceeding it closes the connection with 1008 "rate limited". Both are whole numbers from 1
   * to 4294967295. Default: no limit.
   */
  readonly rateLimit?: { readonly messages: number; readonly perMs: number };
  /**
   * `[request, response]`: the runtime answers `request` with `response` without waking the
   * object. Exactly two strings; typed as an array so a plain `["ping", "pong"]` literal fits.
   */
  readonly autoResponse?: readonly string[];
  /** Limit of a connection's attachment (id, state, subscriptions), in bytes. Default 16 KiB. */
  readonly attachmentBytes?: number;
}

/** Options of {@link Sockets.publish} and {@link Sockets.broadcast}. */
export interface PublishOptions {
  /** A connection not to send to (typically the sender). */
  readonly except?: Connection<unknown>;
}

/** A message: a string or bytes are sent as they are; anything else as JSON, encoded once. */
export type SocketMessage = string | ArrayBuffer | ArrayBufferView | object;

/**
 * The object's connections and topics.
 *
 * @example
 * this.sockets.publish("room/lobby", { from: conn.state?.name, text }, { except: conn });
 */
export class Sockets {
  readonly #publisher: SocketPublisher;

  /** @internal */
  constructor(publisher: SocketPublisher) {
    this.#publisher = publisher;
  }

  /**
   * Sends `message` to every connection subscribed to `topic` (directly or by a matching
   * pattern), once each; returns how many it was sent to. `topic` has no wildcards.
   */
  publish(topic: string, message: SocketMessage, options?: PublishOptions): number {
    return this.#publisher.publish(topic, message, options?.except);
  }

  /** Sends `message` to every connection; returns how many it was sent to. */
  broadcast(message: SocketMessage, options?: PublishOptions): number {
    return this.#publisher.broadcast(message, options?.except);
  }

  /**
   * Every connection; with a topic, those a publish to it reaches; with a pattern, those that
   * could receive a message published to a topic it matches.
   */
  connections<S = unknown>(topicOrPattern?: string): Connection<S>[] {
    return this.#publisher.connections(topicOrPattern) as Connection<S>[];
  }

  /** How many connections {@link Sockets.connections} would return. */
  count(topicOrPattern?: string): number {
    return this.#publisher.count(topicOrPattern);
  }

  /** The connection with this id, if it is open. */
  get<S = unknown>(id: string): Connection<S> | undefined {
    return this.#publisher.get(id) as Connection<S> | undefined;
  }

  /** The connections subscribed to `topic` with presence, with their state. */
  presence<S = unknown>(topic: string): { id: string; state: S | null }[] {
    return this.#publisher.presence(topic) as { id: string; state: S | null }[];
  }
}
