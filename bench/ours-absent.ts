// Stands in for ours.ts while pkg/ (the built durable-core package) does not exist, so the
// bench builds and runs every baseline and peer side. run.mjs picks one of the two files.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "./harness";

export const OURS_AVAILABLE = false;

export class OursBench extends DurableObject<Env> {}

export class OursCold extends DurableObject<Env> {}

export class OursIndexed extends DurableObject<Env> {}

export class OursColdEmpty extends DurableObject<Env> {}

export class OursColdTable extends DurableObject<Env> {}
