/** UTF-8 sizes of strings, for the limits the platform counts in bytes. */
const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).byteLength;
}

/** Whether `text` is over `limit` UTF-8 bytes, without encoding it when its length decides. */
export function utf8Over(text: string, limit: number): boolean {
  if (text.length > limit) return true; // every UTF-16 unit is at least one byte
  if (text.length * 3 <= limit) return false; // and at most three
  return utf8Length(text) > limit;
}
