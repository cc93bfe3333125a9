#!/usr/bin/env node
// Interop check: drives a server with the official MCP TypeScript SDK client, the way real agent
// clients do, so toolgate is judged by someone else's reading of the spec rather than our own.
//
//   node interop_basic.mjs [--env KEY=VALUE]... [--timeout-ms N] -- <command> [args...]
//
// The server inherits this process's environment (the SDK would otherwise pass only a handful of
// variables), plus any --env pairs, so credentials such as TOOLGATE_TOKEN reach it.
// Exit status 0 only if every check passed; the last line is always the summary.
import { readFileSync } from 'node:fs';
import { CheckFailed, check, expect, protocolErrors, results } from './checks.mjs';

// Loaded dynamically so a missing or stale install fails with a fix, not a resolver stack trace.
const SETUP_HINT = 'run scripts/setup-node-deps (from the repository root)';
function sdkVersions() {
  const read = (rel) => JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
  const pinned = read('./package.json').dependencies['@modelcontextprotocol/sdk'];
  let installed = null;
  try {
    installed = read('./node_modules/@modelcontextprotocol/sdk/package.json').version;
  } catch { /* not installed */ }
  return { pinned, installed };
}
const { pinned, installed } = sdkVersions();
if (installed !== pinned) {
  process.stdout.write(installed === null
    ? `FAIL setup: tests/interop/node_modules is missing the MCP SDK; ${SETUP_HINT}\n`
    : `FAIL setup: installed MCP SDK ${installed} but package.json pins ${pinned}; ${SETUP_HINT}\n`);
  process.stdout.write('interop: 0 passed, 1 failed\n');
  process.exit(1);
}
const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');

const REQUEST_TIMEOUT_MS = 10_000;
const EXIT_GRACE_MS = 1_900; // the SDK sends SIGTERM at 2 s; exiting before that means EOF worked

function usage(msg) {
  process.stderr.write(`interop: ${msg}\nusage: node interop_basic.mjs [--env KEY=VALUE]... ` +
    `[--timeout-ms N] -- <command> [args...]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { env: {}, totalTimeoutMs: 30_000, command: null, args: [] };
  let i = 0;
  for (; i < argv.length && argv[i] !== '--'; i++) {
    if (argv[i] === '--env' && i + 1 < argv.length) {
      const pair = argv[++i];
      const eq = pair.indexOf('=');
      if (eq <= 0) usage(`--env wants KEY=VALUE, got '${pair}'`);
      opts.env[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else if (argv[i] === '--timeout-ms' && i + 1 < argv.length) {
      opts.totalTimeoutMs = Number(argv[++i]);
      if (!(opts.totalTimeoutMs > 0)) usage('--timeout-ms wants a positive number');
    } else {
      usage(`unknown option '${argv[i]}'`);
    }
  }
  if (argv[i] !== '--' || i + 1 >= argv.length) usage('missing -- <command>');
  [opts.command, ...opts.args] = argv.slice(i + 1);
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
let child = null;   // the server's ChildProcess, for the exit check and the watchdog

// Whole-run bound: a hung server must fail the test, never stall CTest.
const watchdog = setTimeout(() => {
  process.stderr.write(`interop: FAIL whole run exceeded ${opts.totalTimeoutMs} ms, killing server\n`);
  try { child?.kill('SIGKILL'); } catch { /* already gone */ }
  finish(true);
}, opts.totalTimeoutMs);

function finish(timedOut = false) {
  clearTimeout(watchdog);
  const failed = results.filter((r) => !r.ok).length + (timedOut ? 1 : 0);
  const passed = results.filter((r) => r.ok).length;
  process.stdout.write(`interop: ${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

const transport = new StdioClientTransport({
  command: opts.command,
  args: opts.args,
  env: { ...process.env, ...opts.env },
  stderr: 'inherit', // server diagnostics land in the test log
});
let negotiated = null;
// Optional transport hook the client calls with the negotiated version; stdio has no use for
// it, so defining it is a side-effect-free way to observe the handshake.
transport.setProtocolVersion = (v) => { negotiated = v; };

const client = new Client({ name: 'toolgate-interop', version: '1.0.0' }, { capabilities: {} });
client.onerror = (err) => protocolErrors.push(err?.message ?? String(err));

const connected = await check('initialize', async () => {
  await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
  // Private field, but the SDK is pinned; we need the process itself to see how it exits.
  child = transport._process ?? null;
  const info = client.getServerVersion();
  expect(info && typeof info.name === 'string' && info.name.length > 0,
    `serverInfo.name missing: ${JSON.stringify(info)}`);
  expect(client.getServerCapabilities()?.tools !== undefined,
    `server did not advertise the tools capability: ${JSON.stringify(client.getServerCapabilities())}`);
  return `server ${info.name} ${info.version ?? '?'}, protocol ${negotiated ?? 'unknown'}`;
});

if (!connected) {
  // Nothing else can run without a session; count the rest as failed so the summary is honest.
  for (const n of ['tools/list', 'tools/call echo', 'tools/call unknown tool', 'close']) {
    results.push({ name: n, ok: false });
    process.stdout.write(`FAIL ${n}: not run, initialize failed\n`);
  }
  try { await client.close(); } catch { /* best effort */ }
  finish();
}

await check('tools/list', async () => {
  const tools = [];
  let cursor;
  for (let page = 0; page < 100; page++) { // bounded: a server looping on cursors must fail
    const res = await client.listTools(cursor ? { cursor } : {}, { timeout: REQUEST_TIMEOUT_MS });
    tools.push(...res.tools);
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  expect(!cursor, 'pagination did not end after 100 pages');
  const echo = tools.find((t) => t.name === 'echo');
  expect(echo, `no 'echo' tool among [${tools.map((t) => t.name).join(', ')}]`);
  expect(echo.inputSchema && echo.inputSchema.type === 'object',
    `echo.inputSchema is not an object schema: ${JSON.stringify(echo.inputSchema)}`);
  return `${tools.length} tool(s)`;
});

await check('tools/call echo', async () => {
  // Quotes, backslash, control-free unicode and an astral-plane char: exercises JSON escaping.
  const text = `toolgate interop ${process.pid}-${Date.now()} "quoted" back\\slash ünïcødé 🚀`;
  const res = await client.callTool({ name: 'echo', arguments: { text } }, undefined,
    { timeout: REQUEST_TIMEOUT_MS });
  expect(res.isError !== true, `isError is true: ${JSON.stringify(res.content)}`);
  const first = Array.isArray(res.content) ? res.content.find((c) => c.type === 'text') : undefined;
  expect(first, `no text content in ${JSON.stringify(res)}`);
  expect(first.text === text,
    `echoed text differs:\n     sent ${JSON.stringify(text)}\n      got ${JSON.stringify(first.text)}`);
});

await check('tools/call unknown tool', async () => {
  // The spec allows either shape: toolgate answers JSON-RPC -32602, the TS SDK server answers a
  // CallToolResult with isError. Anything else (success, timeout, other codes) is a failure.
  let res;
  try {
    res = await client.callTool({ name: 'toolgate_interop_no_such_tool', arguments: {} },
      undefined, { timeout: REQUEST_TIMEOUT_MS });
  } catch (err) {
    expect(err?.code === -32602,
      `expected JSON-RPC error -32602 (or an isError result), got code ${err?.code}: ${err?.message}`);
    return `JSON-RPC error ${err.code}`;
  }
  expect(res.isError === true, `unknown tool succeeded: ${JSON.stringify(res)}`);
  return 'isError result';
});

await check('close', async () => {
  expect(child, 'could not get hold of the server process from the transport');
  const exited = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));
  const t0 = Date.now();
  await client.close(); // ends stdin; escalates to SIGTERM/SIGKILL only if the server lingers
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
  const ms = Date.now() - t0;
  expect(child.exitCode !== null || child.signalCode !== null,
    'server process still running after close (even after SIGKILL)');
  expect(child.signalCode === null && ms < EXIT_GRACE_MS,
    `server did not exit by itself after stdin closed (took ${ms} ms, signal ${child.signalCode})`);
  expect(child.exitCode === 0, `server exited with status ${child.exitCode}`);
  return `exit 0 after ${ms} ms`;
});

finish();
