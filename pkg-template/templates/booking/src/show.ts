import { DurableCore, DurableCoreError, sql } from "durable-core";

/** Seats held for a customer until `expiresAt`, then released unless confirmed. */
export interface Hold {
  id: string;
  customer: string;
  seats: number[];
  expiresAt: number;
}

export interface Booking {
  id: string;
  customer: string;
  seats: number[];
  bookedAt: number;
}

export type HoldResult = { ok: true; hold: Hold } | { ok: false; unavailable: number[] };
export type ConfirmResult = { ok: true; booking: Booking } | { ok: false; reason: "unknown hold" | "expired" };

export interface Availability {
  seats: number;
  free: number[];
  held: number;
  booked: number;
}

/** Most seats one hold may take. */
export const MAX_SEATS_PER_HOLD = 10;

/**
 * One show (a concert, a flight, a day of appointments): its seats, holds and bookings. Every
 * request for a show reaches this one object, and each method below runs without an `await`
 * between its reads and writes, so two customers can never hold the same seat: the second one
 * sees the first one's hold. Multi-row changes go through `this.sql.transaction`, so a failure
 * leaves no half-made hold.
 */
export class Show extends DurableCore<Env> {
  static override migrations = [
    `CREATE TABLE seats (
       seat INTEGER PRIMARY KEY,
       status TEXT NOT NULL DEFAULT 'free' CHECK (status IN ('free', 'held', 'booked')),
       hold_id TEXT,
       booking_id TEXT
     )`,
    "CREATE TABLE holds (id TEXT PRIMARY KEY, customer TEXT NOT NULL, expires_at INTEGER NOT NULL)",
    "CREATE INDEX seats_hold ON seats (hold_id)",
  ];

  /** Puts seats 1..`count` on sale; seats already there keep their state. Returns how many exist. */
  open(count: number): number {
    if (!Number.isInteger(count) || count < 1 || count > 10_000) {
      throw new DurableCoreError("ARGUMENT", `open(count): count must be a whole number from 1 to 10000, got ${count}`);
    }
    this.sql.run`
      WITH RECURSIVE numbers (seat) AS (SELECT 1 UNION ALL SELECT seat + 1 FROM numbers WHERE seat < ${count})
      INSERT OR IGNORE INTO seats (seat) SELECT seat FROM numbers`;
    return this.sql.one<{ n: number }>`SELECT count(*) AS n FROM seats`.n;
  }

  /**
   * Holds `seats` for `customer` for HOLD_SECONDS, all or none. Seats that are not free (or do
   * not exist) are reported, and nothing is held. The hold's expiry is scheduled in the same
   * transaction as the hold itself.
   */
  hold(customer: string, seats: number[]): HoldResult {
    checkCustomer(customer);
    checkSeats(seats);
    return this.sql.transaction((): HoldResult => {
      const free = new Set(
        this.sql.all<{ seat: number }>`SELECT seat FROM seats WHERE status = 'free' AND seat IN ${sql.in(seats)}`.map((r) => r.seat),
      );
      const unavailable = seats.filter((seat) => !free.has(seat));
      if (unavailable.length > 0) return { ok: false, unavailable };

      const id = crypto.randomUUID();
      const expiresAt = Date.now() + this.#holdMs();
      this.sql.run`INSERT INTO holds (id, customer, expires_at) VALUES (${id}, ${customer}, ${expiresAt})`;
      this.sql.run`UPDATE seats SET status = 'held', hold_id = ${id} WHERE seat IN ${sql.in(seats)}`;
      this.scheduler.at(expiresAt, "expireHold", { holdId: id }, { id: holdTask(id) });
      return { ok: true, hold: { id, customer, seats: [...seats].sort((a, b) => a - b), expiresAt } };
    });
  }

  /** Turns a hold into a booking, if it has not expired. */
  confirm(holdId: string): ConfirmResult {
    return this.sql.transaction((): ConfirmResult => {
      const hold = this.sql.first<{ customer: string; expires_at: number }>`
        SELECT customer, expires_at FROM holds WHERE id = ${holdId}`;
      if (hold === undefined) return { ok: false, reason: "unknown hold" };
      // The expiry task may be a little late (alarms are at-least-once, not exact): the time
      // decides, not whether the task ran yet.
      if (hold.expires_at <= Date.now()) {
        this.#release(holdId);
        return { ok: false, reason: "expired" };
      }
      const id = crypto.randomUUID();
      const bookedAt = Date.now();
      const seats = this.#seatsOf(holdId);
      this.sql.run`UPDATE seats SET status = 'booked', hold_id = NULL, booking_id = ${id} WHERE hold_id = ${holdId}`;
      this.sql.run`DELETE FROM holds WHERE id = ${holdId}`;
      this.scheduler.cancel(holdTask(holdId));
      const booking: Booking = { id, customer: hold.customer, seats, bookedAt };
      // The customer's bookings, by time, under one tuple-key prefix: see bookingsOf.
      this.store.put(["customer", hold.customer, bookedAt, id], booking);
      return { ok: true, booking };
    });
  }

  /** Gives a hold's seats back before it expires. `false` if there was no such hold. */
  release(holdId: string): boolean {
    return this.sql.transaction(() => {
      this.scheduler.cancel(holdTask(holdId));
      return this.#release(holdId);
    });
  }

  /** The scheduled end of a hold. At-least-once: a hold already confirmed or released is left alone. */
  expireHold({ holdId }: { holdId: string }): void {
    this.sql.transaction(() => this.#release(holdId));
  }

  /** A customer's bookings, oldest first. */
  bookingsOf(customer: string): Booking[] {
    checkCustomer(customer);
    return this.store.list<Booking>({ prefix: ["customer", customer] }).map((entry) => entry.value);
  }

  availability(): Availability {
    const counts = this.sql.one<{ seats: number; held: number; booked: number }>`
      SELECT count(*) AS seats,
             coalesce(sum(status = 'held'), 0) AS held,
             coalesce(sum(status = 'booked'), 0) AS booked
      FROM seats`;
    const free = this.sql.all<{ seat: number }>`SELECT seat FROM seats WHERE status = 'free' ORDER BY seat`.map((r) => r.seat);
    return { ...counts, free };
  }

  /** `GET` is the show's availability. */
  override onRequest(request: Request): Response {
    if (request.method !== "GET") return new Response("method not allowed", { status: 405 });
    return Response.json(this.availability());
  }

  #release(holdId: string): boolean {
    const { rowsWritten } = this.sql.run`DELETE FROM holds WHERE id = ${holdId}`;
    if (rowsWritten === 0) return false;
    this.sql.run`UPDATE seats SET status = 'free', hold_id = NULL WHERE hold_id = ${holdId}`;
    return true;
  }

  #seatsOf(holdId: string): number[] {
    return this.sql.all<{ seat: number }>`SELECT seat FROM seats WHERE hold_id = ${holdId} ORDER BY seat`.map((r) => r.seat);
  }

  #holdMs(): number {
    const seconds = Number(this.env.HOLD_SECONDS);
    if (!(seconds > 0)) throw new Error(`HOLD_SECONDS must be a positive number, got ${this.env.HOLD_SECONDS}`);
    return seconds * 1000;
  }
}

/** The expiry task of a hold: a fixed id per hold, so confirming or releasing can cancel it. */
function holdTask(holdId: string): string {
  return `hold/${holdId}`;
}

function checkCustomer(customer: unknown): asserts customer is string {
  if (typeof customer !== "string" || customer.length === 0 || customer.length > 100) {
    throw new DurableCoreError("ARGUMENT", "customer must be a string of 1 to 100 characters");
  }
}

function checkSeats(seats: unknown): asserts seats is number[] {
  if (!Array.isArray(seats) || seats.length === 0 || seats.length > MAX_SEATS_PER_HOLD) {
    throw new DurableCoreError("ARGUMENT", `seats must be a list of 1 to ${MAX_SEATS_PER_HOLD} seat numbers`);
  }
  for (const seat of seats) {
    if (!Number.isInteger(seat) || seat < 1) {
      throw new DurableCoreError("ARGUMENT", `a seat is a whole number from 1, got ${JSON.stringify(seat)}`);
    }
  }
  if (new Set(seats).size !== seats.length) throw new DurableCoreError("ARGUMENT", "a seat is listed twice");
}
