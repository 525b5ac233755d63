// The chat demo in a real browser: `wrangler dev` serves a project generated from the `chat`
// template, headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) uses it as
// people would.   usage: node scripts/chat-browser.mjs <generated chat project>
//
//   two people join the same room, see each other, see "is typing", exchange messages;
//   one reloads and gets the history back; someone in another room sees none of it.
//
// Saves a screenshot to target/chat-browser.png (SCREENSHOT=docs/rooms.png refreshes the README's
// picture), stops wrangler, and exits non-zero on any failure. Every wait is bounded, so a hung
// step fails instead of hanging the run. Playwright gives each launch a fresh temporary profile (--user-data-dir).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[2] === undefined) {
  console.error("usage: node scripts/chat-browser.mjs <directory of a project generated from the chat template>");
  process.exit(2);
}
const example = resolve(process.argv[2]);
const screenshotPath = resolve(process.env.SCREENSHOT ?? join(here, "../target/chat-browser.png"));
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(chromiumPath)) {
  console.error(
    `not ok - no Chromium at ${chromiumPath}: \`npm install\` installs Debian's chromium when it runs as root ` +
      "(scripts/install-chromium.sh); otherwise run `sudo apt-get install chromium`, or set CHROMIUM to a Chromium binary",
  );
  process.exit(1);
}
const STEP_MS = 15_000;
/** Chromium's first start on a fresh machine reads its whole install from a cold disk: seen above 15 s under load. */
const LAUNCH_MS = 90_000;
const WRANGLER_READY_MS = 90_000;
const WHOLE_RUN_MS = 240_000;

const watchdog = setTimeout(() => fail(new Error(`the browser test took more than ${WHOLE_RUN_MS / 1000} s`)), WHOLE_RUN_MS);
const cleanups = [];
let passed = 0;
let finished = false;

try {
  await main();
  await finish(0);
} catch (error) {
  await fail(error);
}

async function main() {
  const [port, inspectorPort] = await freePorts(2);
  const persist = mkdtempSync(join(tmpdir(), "rooms-state-"));
  cleanups.push(() => rmSync(persist, { recursive: true, force: true }));
  const origin = await startWrangler(port, inspectorPort, persist);
  step(`wrangler dev is ready at ${origin}`);

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-quic",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: LAUNCH_MS,
  });
  cleanups.push(() => browser.close());
  step(`chromium ${browser.version()}`);

  // One browser context per person: each has its own localStorage, hence its own user id.
  const person = async (name, room) => {
    const context = await browser.newContext({ viewport: { width: 960, height: 500 } });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on("pageerror", (error) => console.error(`[${name}] page error: ${error.message}`));
    await page.goto(`${origin}/?room=${room}`);
    await page.fill("#name", name);
    await page.click("#join button");
    await page.waitForSelector("#chat:not([hidden])");
    return page;
  };
  // wrangler's state starts empty (a fresh --persist-to), so the room names are free.
  const room = "lobby";

  const ada = await person("Ada", room);
  const bob = await person("Bob", room);
  await expectPeople(ada, ["Ada (you)", "Bob"]);
  await expectPeople(bob, ["Ada", "Bob (you)"]);
  step("both see each other's presence");

  await ada.fill("#text", "Hello Bob");
  await expectText(bob, "#typing", "Ada is typing…");
  step("Bob sees that Ada is typing");
  await ada.press("#text", "Enter");
  await expectMessages(bob, ["Hello Bob"]);
  await expectText(bob, "#typing", "");
  await bob.fill("#text", "Hi Ada, how are the engines?");
  await bob.press("#text", "Enter");
  await expectMessages(ada, ["Hello Bob", "Hi Ada, how are the engines?"]);
  await expectMessages(bob, ["Hello Bob", "Hi Ada, how are the engines?"]);
  step("messages go both ways, in order");

  await bob.locator("#colour").fill("#2e86c1");
  await waitUntil(ada, "Bob's colour", () => dotColour(ada, "Bob"), "rgb(46, 134, 193)");
  step("Bob picks a colour and Ada sees it");

  await bob.reload();
  await bob.waitForSelector("#chat:not([hidden])");
  await expectMessages(bob, ["Hello Bob", "Hi Ada, how are the engines?"]);
  await expectPeople(bob, ["Ada", "Bob (you)"]);
  await expectPeople(ada, ["Ada (you)", "Bob"]);
  await waitUntil(bob, "Bob's colour after the reload", () => bob.inputValue("#colour"), "#2e86c1");
  step("after a reload Bob gets the history and his colour back, and both are still present");

  const carol = await person("Carol", "kitchen");
  await expectPeople(carol, ["Carol (you)"]);
  await expectMessages(carol, []);
  await ada.fill("#text", "Only for this room");
  await ada.press("#text", "Enter");
  await expectMessages(bob, ["Hello Bob", "Hi Ada, how are the engines?", "Only for this room"]);
  await expectMessages(carol, []);
  await expectPeople(ada, ["Ada (you)", "Bob"]);
  step("Carol, in another room, sees none of it");

  await bob.fill("#text", "Typing a reply");
  await expectText(ada, "#typing", "Bob is typing…");
  await ada.screenshot({ path: screenshotPath });
  step(`screenshot saved to ${screenshotPath}`);
}

/** Waits (bounded) until the page's people list is exactly `names`, in any order. */
async function expectPeople(page, names) {
  const want = [...names].sort();
  await waitUntil(page, "people", async () => (await page.locator("#people li").allTextContents()).sort(), want);
}

/** Waits (bounded) until the page's messages are exactly `texts`, in this order. */
async function expectMessages(page, texts) {
  await waitUntil(page, "messages", () => page.locator("#messages li .text").allTextContents(), texts);
}

/** The colour of `name`'s dot in the page's people list. */
function dotColour(page, name) {
  return page.locator("#people li", { hasText: name }).locator(".dot").evaluate((dot) => dot.style.background);
}

async function expectText(page, selector, text) {
  await waitUntil(page, selector, async () => (await page.locator(selector).textContent()) ?? "", text);
}

async function waitUntil(page, what, read, want) {
  const deadline = Date.now() + STEP_MS;
  let got;
  while (Date.now() < deadline) {
    got = await read();
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

/** Starts `wrangler dev` in its own process group and resolves with its URL once it is ready. */
function startWrangler(port, inspectorPort, persist) {
  const bin = join(example, "node_modules/.bin");
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort)];
  args.push("--persist-to", persist, "--show-interactive-dev-session=false");
  const wrangler = spawn(join(bin, "wrangler"), args, {
    cwd: example,
    detached: true,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(() => stopProcessGroup(wrangler));
  let output = "";
  return new Promise((resolveReady, rejectReady) => {
    const timer = setTimeout(
      () => rejectReady(new Error(`wrangler dev was not ready after ${WRANGLER_READY_MS / 1000} s:\n${output}`)),
      WRANGLER_READY_MS,
    );
    const onData = (chunk) => {
      output += chunk;
      if (/Ready on/.test(output)) {
        clearTimeout(timer);
        resolveReady(`http://127.0.0.1:${port}`);
      }
    };
    wrangler.stdout.setEncoding("utf8").on("data", onData);
    wrangler.stderr.setEncoding("utf8").on("data", onData);
    wrangler.on("exit", (code) => {
      clearTimeout(timer);
      rejectReady(new Error(`wrangler dev exited with ${code}:\n${output}`));
    });
  });
}

/** Ends wrangler and the workerd it started (they share the process group we created). */
async function stopProcessGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timedOut = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
  if (timedOut) signal("SIGKILL");
}

/** `count` distinct free ports: all are held open until each is known, then released. */
async function freePorts(count) {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise((listening, failed) => {
      const server = createServer();
      server.once("error", failed);
      server.listen(0, "127.0.0.1", () => listening(server));
    })),
  );
  const ports = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((closed) => server.close(closed))));
  return ports;
}

function step(text) {
  passed += 1;
  console.log(`ok - ${text}`);
}

function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

async function finish(code) {
  if (finished) return;
  finished = true;
  clearTimeout(watchdog);
  for (const cleanup of cleanups.reverse()) {
    try {
      await Promise.race([cleanup(), sleep(10_000)]);
    } catch (error) {
      console.error(`cleanup: ${error.message}`);
    }
  }
  console.log(`browser: ${passed} passed, ${code === 0 ? 0 : 1} failed`);
  process.exit(code);
}

async function fail(error) {
  console.error(`not ok - ${error.stack ?? error}`);
  await finish(1);
}
