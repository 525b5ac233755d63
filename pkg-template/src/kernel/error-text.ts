/**
 * The one way the facade turns a thrown value into text for a message: what a failed task
 * records, what `SQL_ERROR` or `INDEX_KEY_FUNCTION` quotes. A user may throw anything (a string,
 * an object whose `toString` throws), so this never throws itself.
 */
export interface ErrorTextOptions {
  /** Prefix an `Error`'s name (`TypeError: ...`), as `String(error)` does. */
  named?: boolean;
  /** Cut the text to this many characters (with an ellipsis). */
  max?: number;
}

export function errorText(error: unknown, options: ErrorTextOptions = {}): string {
  let text: string;
  try {
    if (error instanceof Error) text = options.named ? `${error.name}: ${error.message}` : error.message || error.name;
    else text = String(error);
  } catch {
    text = "a value that cannot be shown";
  }
  const max = options.max;
  return max !== undefined && text.length > max ? `${text.slice(0, max)}…` : text;
}
