// S6P's raw probe classes: an empty object plus, one piece at a time, what durable-core's
// wake of a class with one migration runs (docs/reports/s6-lazy-schema.md), so that the
// difference between two of them is the cost of that piece (bench/scenarios/s6-probes.ts).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../harness";
import { ITEMS_TABLE } from "./common";

/** durable-core's ledger read and ledger row, as src/schema.rs runs them. */
const READ_LEDGER = "SELECT scope, version, checksum FROM _dc_migrations ORDER BY scope, version";
const LEDGER_CREATE =
  "CREATE TABLE IF NOT EXISTS _dc_migrations (scope TEXT NOT NULL, version INTEGER NOT NULL, name TEXT, checksum TEXT NOT NULL, " +
  "applied_at INTEGER NOT NULL, PRIMARY KEY (scope, version)) WITHOUT ROWID; " +
  "INSERT INTO _dc_migrations (scope, version, name, checksum, applied_at)";
const RECORD = `${LEDGER_CREATE} VALUES (?, ?, ?, ?, ?)`;
const CHECKSUM = "0123456789abcdef";
/** Whether the ledger exists, as src/schema.rs asks it at every wake. */
const LOOK_UP_LEDGER = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_dc_migrations'";
/** A ledger row kept as a view (a schema row, no table): RawColdView. A constant text, as a migration's. */
const LEDGER_VIEW =
  "CREATE VIEW IF NOT EXISTS probe_ledger_view AS SELECT 'user' AS scope, 1 AS version, NULL AS name, '0123456789abcdef' AS checksum, 0 AS applied_at";

/** Objects constructed in this isolate (every probe class shares the module). */
let constructed = 0;

class ColdProbe extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    constructed += 1;
  }

  ping(): string {
    return "pong";
  }

  /** After the timing: whether the objects share one isolate (their module's counter grows). */
  isolateInfo(): Record<string, number> {
    return { constructedInIsolate: constructed };
  }
}

/** An empty `blockConcurrencyWhile` in the constructor. */
export class RawColdBcw extends ColdProbe {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {});
  }
}

/** The wake of a class with nothing declared: the ledger read, which fails for want of a table. */
export class RawColdRead extends ColdProbe {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      readLedger(ctx.storage.sql);
    });
  }
}

/** The same statements as durable-core's wake of `OursCold`, in the same execs and transaction. */
export class RawColdSame extends ColdProbe {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      readLedger(sql);
      ctx.storage.transactionSync(() => {
        sql.exec(ITEMS_TABLE);
        // durable-core-disable-next-line sql-forbidden -- probe: the raw copy of durable-core's own wake statements
        sql.exec(RECORD, "user", 1, null, CHECKSUM, Date.now());
      });
    });
  }
}

/**
 * OursCold's wake as it is now (src/schema.rs): the read-only `sqlite_master` lookup of the
 * ledger outside any transaction, then the migration and the ledger's CREATE+INSERT in one.
 */
export class RawColdLookup extends ColdProbe {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      sql.exec(LOOK_UP_LEDGER).toArray();
      ctx.storage.transactionSync(() => {
        sql.exec(ITEMS_TABLE);
        // durable-core-disable-next-line sql-forbidden -- probe: the raw copy of durable-core's own wake statements
        sql.exec(RECORD, "user", 1, null, CHECKSUM, Date.now());
      });
    });
  }
}

/**
 * The same rows in two execs, none failing: the ledger's CREATE IF NOT EXISTS with its read,
 * then the migration with its row (literal values), in one transaction.
 */
export class RawColdFewer extends ColdProbe {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      ctx.storage.transactionSync(() => {
        // durable-core-disable-next-line sql-interpolation -- probe: durable-core's wake statements spliced into one text on purpose
        sql.exec(`${LEDGER_CREATE.slice(0, LEDGER_CREATE.indexOf(";"))}; ${READ_LEDGER}`).toArray();
        // durable-core-disable-next-line sql-interpolation -- probe: durable-core's wake statements spliced into one text on purpose
        sql.exec(`${ITEMS_TABLE};\n${LEDGER_CREATE} VALUES ('user', 1, NULL, '${CHECKSUM}', ${Date.now()})`);
      });
    });
  }
}

/** OursCold's table alone, in the same `transactionSync` as the others: the one-table floor. */
export class RawColdTxn extends ColdProbe {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.transactionSync(() => ctx.storage.sql.exec(ITEMS_TABLE));
    });
  }
}

/** The table and one row in it: a row's cost without a second table. */
export class RawColdRow extends ColdProbe {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.transactionSync(() => {
        ctx.storage.sql.exec(ITEMS_TABLE);
        ctx.storage.sql.exec("INSERT INTO items (id, name, n) VALUES (?, ?, ?)", 1, CHECKSUM, 0);
      });
    });
  }
}

/** The table and a second, empty table: a table's cost without a row. */
export class RawColdTwo extends ColdProbe {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.transactionSync(() => {
        ctx.storage.sql.exec(ITEMS_TABLE);
        ctx.storage.sql.exec(LEDGER_CREATE.slice(0, LEDGER_CREATE.indexOf(";")));
      });
    });
  }
}

/** The table and the ledger's row kept as a view: a schema row instead of a table and a row. */
export class RawColdView extends ColdProbe {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.transactionSync(() => {
        ctx.storage.sql.exec(ITEMS_TABLE);
        ctx.storage.sql.exec(LEDGER_VIEW);
      });
    });
  }
}

function readLedger(sql: SqlStorage): void {
  try {
    sql.exec(READ_LEDGER).toArray();
  } catch {
    // no ledger yet
  }
}
