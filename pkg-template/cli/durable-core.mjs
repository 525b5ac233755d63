#!/usr/bin/env node
// The package's one command: `durable-core <command> [args]`. Each command lives in its own
// module, loaded only when it runs, whose `main(args)` resolves to the process's exit code.
const COMMANDS = {
  check: "review a Worker project against the Durable Object platform's rules",
  init: "write a new project from a template",
};

function usage() {
  const lines = Object.entries(COMMANDS).map(([name, what]) => `  ${name.padEnd(8)}${what}`);
  return `usage: durable-core <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nRun \`durable-core <command> --help\` for a command's options.`;
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  console.log(usage());
  process.exit(0);
}
if (!Object.hasOwn(COMMANDS, command)) {
  console.error(`durable-core: unknown command "${command}"\n\n${usage()}`);
  process.exit(2);
}
try {
  const { main } = await import(`./${command}.mjs`);
  process.exitCode = await main(rest);
} catch (error) {
  console.error(`durable-core ${command}: ${error?.stack ?? error}`);
  process.exitCode = 2;
}
