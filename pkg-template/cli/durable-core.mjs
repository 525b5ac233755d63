#!/usr/bin/env node
// The package's one command: `durable-core <command> [args]`. Each command is a module beside
// this file whose `main(args)` resolves to the process exit code.
const COMMANDS = {
  check: "review a Worker project against the Durable Objects platform's rules",
  init: "create a new project from a template (`durable-core init --list` shows them)",
};

const usage = `usage: durable-core <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, what]) => `  ${name.padEnd(6)} ${what}`)
  .join("\n")}

Run \`durable-core <command> --help\` for a command's options.`;

const [command, ...rest] = process.argv.slice(2);

if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  console.log(usage);
  process.exitCode = 0;
} else if (!Object.hasOwn(COMMANDS, command)) {
  console.error(`durable-core: unknown command "${command}"\n\n${usage}`);
  process.exitCode = 2;
} else {
  const { main } = await import(`./${command}.mjs`);
  process.exitCode = await main(rest);
}
