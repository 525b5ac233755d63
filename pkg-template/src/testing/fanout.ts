/**
 * Testing WebSocket objects from a test: `connect(stub, url)` opens a client socket through the
 * object's `fetch` and queues what it receives; `hibernate(stub)` evicts the object while its
 * sockets stay open, so the next event wakes it as hibernation would.
 */
import { evictDurableObject } from "cloudflare:test";

/** What `closed` resolves to. */
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** The client end of a test connection. */
export interface TestSocket {
  /** The client WebSocket itself. */
  readonly socket: WebSocket;
  /** Sends a string or bytes as they are, anything else as JSON. */
  send(data: string | ArrayBuffer | ArrayBufferView | object): void;
  /** The next message received (in order), or a rejection after `timeoutMs` (default 2,000) or on close. */
  next(timeoutMs?: number): Promise<string | ArrayBuffer>;
  /** {@link TestSocket.next}, parsed as JSON. */
  nextJson<T = unknown>(timeoutMs?: number): Promise<T>;
  /** Takes every message received and not yet taken by `next`, without waiting. */
  pending(): (string | ArrayBuffer)[];
  /** Closes the client end (default 1000). */
  close(code?: number, reason?: string): void;
  /** Resolves when the server closes the connection (or the client's close completes). */
  readonly closed: Promise<CloseInfo>;
}

/** Thrown by {@link connect} when the object answers without accepting a WebSocket. */
export class ConnectRefused extends Error {
  readonly status: number;
  readonly response: Response;

  constructor(response: Response) {
    super(`the WebSocket upgrade was refused with status ${response.status}`);
    this.name = "ConnectRefused";
    this.status = response.status;
    this.response = response;
  }
}

/** Anything with a `fetch` like a Durable Object stub's. */
export interface FetchTarget {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/**
 * Opens a WebSocket to `target` (a Durable Object stub, or a Worker's `fetch`) at `url`.
 * Rejects with {@link ConnectRefused} when the upgrade is refused (e.g. by `onBeforeConnect`).
 *
 * @example
 * const alice = await connect(env.ROOM.getByName("r1"), "https://room/ws?name=alice");
 * alice.send({ op: "say", text: "hi" });
 * expect(await bob.nextJson()).toMatchObject({ text: "hi" });
 */
export async function connect(target: FetchTarget, url: string, init?: RequestInit): Promise<TestSocket> {
  const headers = new Headers(init?.headers);
  headers.set("Upgrade", "websocket");
  const response = await target.fetch(url, { ...init, headers });
  const socket = response.webSocket;
  if (socket === null || socket === undefined) throw new ConnectRefused(response);
  socket.accept();

  const inbox: (string | ArrayBuffer)[] = [];
  const waiters: { resolve: (data: string | ArrayBuffer) => void; reject: (error: Error) => void }[] = [];
  let closedInfo: CloseInfo | undefined;
  let resolveClosed!: (info: CloseInfo) => void;
  const closed = new Promise<CloseInfo>((resolve) => (resolveClosed = resolve));

  socket.addEventListener("message", (event) => {
    const data = event.data as string | ArrayBuffer;
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter.resolve(data);
    else inbox.push(data);
  });
  socket.addEventListener("close", (event) => {
    closedInfo = { code: event.code, reason: event.reason, wasClean: event.wasClean };
    resolveClosed(closedInfo);
    for (const waiter of waiters.splice(0)) {
      waiter.reject(new Error(`the socket closed (${event.code} ${event.reason}) before the next message`));
    }
  });

  const next = (timeoutMs = 2_000): Promise<string | ArrayBuffer> => {
    const queued = inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (closedInfo !== undefined) {
      return Promise.reject(new Error(`the socket is closed (${closedInfo.code} ${closedInfo.reason})`));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (data: string | ArrayBuffer) => {
          clearTimeout(timer);
          resolve(data);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const index = waiters.indexOf(waiter);
        if (index >= 0) waiters.splice(index, 1);
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };

  return {
    socket,
    send(data) {
      if (typeof data === "string" || data instanceof ArrayBuffer || ArrayBuffer.isView(data)) socket.send(data);
      else socket.send(JSON.stringify(data));
    },
    next,
    async nextJson<T>(timeoutMs?: number): Promise<T> {
      const data = await next(timeoutMs);
      if (typeof data !== "string") throw new Error("expected a text message, got binary");
      return JSON.parse(data) as T;
    },
    pending: () => inbox.splice(0),
    close(code = 1000, reason = "") {
      socket.close(code, reason);
    },
    closed,
  };
}

/**
 * Evicts the object as hibernation does: its memory is gone, its WebSockets stay open, and the
 * next event (a message, a close, a call) wakes it.
 */
export async function hibernate<T extends Rpc.DurableObjectBranded | undefined>(stub: DurableObjectStub<T>): Promise<void> {
  await evictDurableObject(stub as DurableObjectStub<never>, { webSockets: "hibernate" });
}
