/**
 * The topic length check every `this.sockets` and `Connection` entry point makes before a topic
 * is copied into the shared engine: a 30 MB topic would grow the engine's memory for good even
 * though the core refuses it. The core still validates everything else (segments, wildcards).
 */
import { DurableCoreError } from "./errors.js";
import { MAX_TOPIC_BYTES } from "./generated/core.js";

/** Throws `TOPIC_INVALID` for a topic that is not a string or is over the limit. */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== "string") {
    throw new DurableCoreError("TOPIC_INVALID", `a topic is a string, got ${topic === null ? "null" : typeof topic}`);
  }
  // Each UTF-16 unit is one to three UTF-8 bytes: only a topic that may be too long is measured.
  if (topic.length > MAX_TOPIC_BYTES / 3 && (topic.length > MAX_TOPIC_BYTES || utf8Length(topic) > MAX_TOPIC_BYTES)) {
    throw new DurableCoreError(
      "TOPIC_INVALID",
      `a topic must be at most ${MAX_TOPIC_BYTES} bytes; this one has ${topic.length > MAX_TOPIC_BYTES ? `${topic.length} characters` : `${utf8Length(topic)} bytes`}`,
    );
  }
}

/** The UTF-8 length of a short string (a lone surrogate counts as the 3 bytes of U+FFFD). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}
