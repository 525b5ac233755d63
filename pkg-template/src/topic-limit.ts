/**
 * The topic length check every `this.sockets` and `Connection` entry point makes before a topic
 * is copied into the shared engine: a 30 MB topic would grow the engine's memory for good even
 * though the core refuses it. The core still validates everything else (segments, wildcards).
 */
import { DurableCoreError } from "./errors.js";
import { MAX_TOPIC_BYTES } from "./generated/core.js";
import { utf8Length, utf8Over } from "./kernel/text.js";

/** Throws `TOPIC_INVALID` for a topic that is not a string or is over the limit. */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== "string") {
    throw new DurableCoreError("TOPIC_INVALID", `a topic is a string, got ${topic === null ? "null" : typeof topic}`);
  }
  if (utf8Over(topic, MAX_TOPIC_BYTES)) {
    throw new DurableCoreError(
      "TOPIC_INVALID",
      `a topic must be at most ${MAX_TOPIC_BYTES} bytes; this one has ${topic.length > MAX_TOPIC_BYTES ? `${topic.length} characters` : `${utf8Length(topic)} bytes`}`,
    );
  }
}
