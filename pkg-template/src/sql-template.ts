/**
 * The `sql` helper (fragments, `IN` lists, identifiers, JSON, raw text) and the part classes it
 * builds; `sql-compile.ts` reads them when it flattens a template.
 */
import { DurableCoreError } from "./errors.js";
import { MAX_IDENTIFIER_BYTES } from "./generated/core.js";
import { bindError, describe } from "./sql-bind.js";

export interface SqlHelper {
  /** A fragment to interpolate into another query: `` sql`AND stock > ${n}` ``. */
  (strings: TemplateStringsArray, ...values: unknown[]): SqlFragment;
  /**
   * A list for `IN`, of any length (including empty and beyond the platform's 100-parameter
   * limit): `` this.sql.all`SELECT * FROM items WHERE id IN ${sql.in(ids)}` ``. Numbers, strings,
   * booleans, dates and null bind as one JSON array expanded by `json_each`; a list holding
   * blobs binds item by item (at most 100 parameters per statement). Use it after `IN` or
   * `NOT IN` only: it expands to a subquery.
   */
  in(values: readonly unknown[]): SqlPart;
  /** An identifier (table, column), validated and double-quoted: `` sql`SELECT ${sql.id(col)} FROM t` ``. */
  id(name: string): SqlPart;
  /** A value stored as JSON text: `` sql`INSERT INTO docs (body) VALUES (${sql.json(doc)})` ``. */
  json(value: unknown): SqlPart;
  /**
   * Fragments (or plain values) separated by `separator` (default `", "`), text or a fragment:
   * `` sql`UPDATE t SET ${sql.join(cols.map((c) => sql`${sql.id(c)} = ${row[c]}`))} WHERE id = ${id}` ``,
   * `` sql`SELECT * FROM t WHERE ${sql.join(conditions, sql` OR `)}` ``. Any other separator is `SQL_BIND`.
   */
  join(parts: readonly unknown[], separator?: string | SqlFragment): SqlPart;
  /**
   * **Unsafe**: `text` is spliced into the statement as is, with no quoting or validation.
   * Never pass user input; prefer `sql.id` for names and plain values for data.
   */
  raw(text: string): SqlPart;
}

/** The `sql` helper: fragments and the `sql.in` / `sql.id` / `sql.json` / `sql.join` / `sql.raw` parts. */
export const sql: SqlHelper = Object.assign(
  (strings: TemplateStringsArray, ...values: unknown[]) => new SqlFragment(strings, values),
  {
    in: (values: readonly unknown[]): SqlPart => {
      if (!Array.isArray(values)) throw bindError(`sql.in takes an array, got ${describe(values)}`);
      return new SqlIn(values);
    },
    id: (name: string): SqlPart => {
      if (typeof name !== "string") throw new DurableCoreError("SQL_IDENTIFIER", `sql.id takes a string, got ${describe(name)}`);
      // Each UTF-16 unit is at least one UTF-8 byte: a longer name is refused before any copy.
      if (name.length > MAX_IDENTIFIER_BYTES) {
        throw new DurableCoreError(
          "SQL_IDENTIFIER",
          `sql.id: the name is ${name.length} characters long, more than the ${MAX_IDENTIFIER_BYTES} bytes allowed`,
        );
      }
      return new SqlId(name);
    },
    json: (value: unknown): SqlPart => new SqlJson(value),
    join: (parts: readonly unknown[], separator: string | SqlFragment = ", "): SqlPart => {
      if (!Array.isArray(parts)) throw bindError(`sql.join takes an array, got ${describe(parts)}`);
      const fragments = parts.map((p) => (p instanceof SqlFragment ? p : new SqlFragment(VALUE_STRINGS, [p])));
      if (typeof separator === "string") return new SqlJoin(fragments, separator);
      if (!(separator instanceof SqlFragment)) {
        throw bindError(`sql.join's separator is text or a sql\`...\` fragment, got ${describe(separator)}`);
      }
      // A fragment separator (its values bound at each occurrence) is one more part between parts.
      const interleaved: SqlFragment[] = [];
      fragments.forEach((fragment, index) => {
        if (index > 0) interleaved.push(separator);
        interleaved.push(fragment);
      });
      return new SqlJoin(interleaved, "");
    },
    raw: (text: string): SqlPart => new SqlRaw(String(text)),
  },
);

// ---------------------------------------------------------------------------------------------
// Parts

/** The strings of a one-value fragment, shared so that its identity (and cache key) is stable. */
const VALUE_STRINGS: readonly string[] = Object.freeze(["", ""]);

/** Base of every `sql.*` helper value, so that classification is one `instanceof`. */
export abstract class SqlPart {}

/** A `` sql`...` `` fragment: spliced where it is interpolated, its values bound in place. */
export class SqlFragment extends SqlPart {
  /** @internal */
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {
    super();
  }
}

export class SqlIn extends SqlPart {
  constructor(readonly items: readonly unknown[]) {
    super();
  }
}

export class SqlId extends SqlPart {
  constructor(readonly name: string) {
    super();
  }
}

export class SqlJson extends SqlPart {
  constructor(readonly value: unknown) {
    super();
  }
}

export class SqlRaw extends SqlPart {
  constructor(readonly text: string) {
    super();
  }
}

export class SqlJoin extends SqlPart {
  constructor(
    readonly parts: readonly SqlFragment[],
    readonly separator: string,
  ) {
    super();
  }
}
