#!/usr/bin/env node
// Interop check for the 2026-07-28 stateless era: the official MCP TypeScript SDK v2 client
// (@modelcontextprotocol/client, pinned in package.json here) drives the real toolgate binary.
// No initialize: the client pins 2026-07-28, probes with server/discover and then sends every
// request with its version and capabilities in _meta. Checked: discover, tools/list, tools/call,
// consent for a destructive tool through input_required (the client answers the embedded
// elicitation with its own registered handler and retries with requestState), a declined
// consent, a job tool run as a task through the official tasks-extension requester
// (@modelcontextprotocol/ext-tasks), a subscriptions/listen stream that receives
// tools/list_changed after SIGHUP, and a clean exit.
//
//   node interop_v2.mjs --toolgate BIN --stage-dir DIR --fixture-dir DIR
//
// The script builds its own plugin directory (the bundled echo plugin, the fx_behaviours fixture
// whose delete_thing tool is destructive, and the fx_jobs fixture whose stepper runs as a job),
// policy and jobs state in a temporary directory.
// Exit status 0 only if every check passed; the last line is always the summary.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckFailed, check, expect, protocolErrors, results } from '../checks.mjs';

const SETUP_HINT = 'run scripts/setup-node-deps (from the repository root)';
const PACKAGES = ['@modelcontextprotocol/client', '@modelcontextprotocol/ext-tasks'];

// A missing or stale install fails with the fix, not a resolver stack trace.
function checkInstall() {
  const read = (rel) => JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
  const pins = read('./package.json').dependencies;
  for (const name of PACKAGES) {
    let installed = null;
    try { installed = read(`./node_modules/${name}/package.json`).version; } catch { /* missing */ }
    if (installed !== pins[name]) {
      return installed === null
        ? `tests/interop/v2/node_modules is missing ${name}; ${SETUP_HINT}`
        : `installed ${name} ${installed} but package.json pins ${pins[name]}; ${SETUP_HINT}`;
    }
  }
  return null;
}
const nodeMajor = Number(process.versions.node.split('.')[0]);
const installProblem = nodeMajor < 20
  ? `the v2 MCP client needs node >= 20, this is ${process.versions.node}`
  : checkInstall();
if (installProblem) {
  process.stdout.write(`FAIL setup: ${installProblem}\ninterop-v2: 0 passed, 1 failed\n`);
  process.exit(1);
}
const { Client } = await import('@modelcontextprotocol/client');
const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
const { createTaskSessionFromClient, resultFromTaskOutcome } = await import('@modelcontextprotocol/ext-tasks/client');

const REQUEST_TIMEOUT_MS = 10_000;
const EXIT_GRACE_MS = 1_900;

function parseArgs(argv) {
  const o = { toolgate: null, stageDir: null, fixtureDir: null };
  for (let i = 0; i < argv.length; i++) {
    const next = () => { if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`); return argv[++i]; };
    if (argv[i] === '--toolgate') o.toolgate = next();
    else if (argv[i] === '--stage-dir') o.stageDir = next();
    else if (argv[i] === '--fixture-dir') o.fixtureDir = next();
    else usage(`unknown option '${argv[i]}'`);
  }
  if (!o.toolgate || !o.stageDir || !o.fixtureDir) usage('all three options are required');
  return o;
}
function usage(msg) {
  process.stderr.write(`interop-v2: ${msg}\nusage: node interop_v2.mjs --toolgate BIN --stage-dir DIR --fixture-dir DIR\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const work = mkdtempSync(join(tmpdir(), 'toolgate-interop-v2-'));
const plugins = join(work, 'plugins');
mkdirSync(plugins);
function copyPlugin(from, name) {
  const manifest = JSON.parse(readFileSync(join(from, `${name}.json`), 'utf8'));
  copyFileSync(join(from, manifest.library), join(plugins, manifest.library));
  copyFileSync(join(from, `${name}.json`), join(plugins, `${name}.json`));
}
copyPlugin(opts.stageDir, 'echo');
copyPlugin(opts.fixtureDir, 'fx_behaviours');
copyPlugin(opts.fixtureDir, 'fx_jobs'); // stepper: a job tool, served as a task to clients with the tasks extension
const policy = join(work, 'policy.json');
writeFileSync(policy, JSON.stringify({
  plugins: { directory: plugins },
  identity: { anonymous: { tenant: 'interop', scopes: ['echo.read', 'fx.delete', 'fx.read', 'jobs.read', 'jobs.cancel'] } },
  audit: { directory: join(work, 'audit') },
  jobs: { stateDirectory: join(work, 'jobs') },
}));

const watchdog = setTimeout(() => {
  process.stderr.write('interop-v2: FAIL whole run exceeded 45 s, killing server\n');
  try { if (transport.pid) process.kill(transport.pid, 'SIGKILL'); } catch { /* gone */ }
  finish(true);
}, 45_000);

function finish(timedOut = false) {
  clearTimeout(watchdog);
  rmSync(work, { recursive: true, force: true });
  const failed = results.filter((r) => !r.ok).length + (timedOut ? 1 : 0);
  const passed = results.filter((r) => r.ok).length;
  process.stdout.write(`interop-v2: ${passed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

const transport = new StdioClientTransport({
  command: opts.toolgate,
  args: ['serve', '--config', policy],
  env: { ...process.env },
  stderr: 'inherit',
});

const client = new Client({ name: 'toolgate-interop-v2', version: '1.0.0' }, {
  capabilities: { elicitation: { form: {} } },
  versionNegotiation: { mode: { pin: '2026-07-28' } },
});
client.onerror = (err) => protocolErrors.push(err?.message ?? String(err));

// The consent handler answers whatever the current check wants and remembers what it was asked.
let elicitAnswer = null;
const elicitations = [];
client.setRequestHandler('elicitation/create', async (request) => {
  elicitations.push(request.params);
  return elicitAnswer;
});
const listChanged = [];
client.setNotificationHandler('notifications/tools/list_changed', (n) => { listChanged.push(n); });

const connected = await check('connect (server/discover, no initialize)', async () => {
  await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
  expect(client.getProtocolEra() === 'modern', `era is ${client.getProtocolEra()}, expected modern`);
  expect(client.getNegotiatedProtocolVersion() === '2026-07-28',
    `negotiated ${client.getNegotiatedProtocolVersion()}`);
  const info = client.getServerVersion();
  expect(info?.name === 'toolgate', `serverInfo from discover _meta: ${JSON.stringify(info)}`);
  return `${info.name} ${info.version}`;
});

if (!connected) {
  for (const n of ['server/discover', 'tools/list', 'tools/call echo', 'consent accept', 'consent decline',
    'tasks extension', 'subscriptions/listen', "negotiation 'auto'", 'close']) {
    results.push({ name: n, ok: false });
    process.stdout.write(`FAIL ${n}: not run, connect failed\n`);
  }
  try { await client.close(); } catch { /* best effort */ }
  finish();
}

await check('server/discover', async () => {
  const d = await client.discover({ timeout: REQUEST_TIMEOUT_MS });
  expect(Array.isArray(d.supportedVersions) && d.supportedVersions.includes('2026-07-28'),
    `supportedVersions: ${JSON.stringify(d.supportedVersions)}`);
  expect(d.capabilities?.tools?.listChanged === true, `capabilities: ${JSON.stringify(d.capabilities)}`);
  expect(typeof d.ttlMs === 'number' && ['public', 'private'].includes(d.cacheScope),
    `ttlMs/cacheScope: ${d.ttlMs}/${d.cacheScope}`);
  expect(d._meta?.['io.modelcontextprotocol/serverInfo']?.name === 'toolgate', `_meta: ${JSON.stringify(d._meta)}`);
  return `versions ${d.supportedVersions.join(',')}`;
});

await check('tools/list', async () => {
  const res = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS, cacheMode: 'refresh' });
  const names = res.tools.map((t) => t.name);
  for (const want of ['echo', 'delete_thing']) expect(names.includes(want), `no '${want}' among [${names.join(', ')}]`);
  const del = res.tools.find((t) => t.name === 'delete_thing');
  expect(del.annotations?.destructiveHint === true, `delete_thing annotations: ${JSON.stringify(del.annotations)}`);
  return `${res.tools.length} tool(s)`;
});

await check('tools/call echo', async () => {
  const text = `toolgate v2 interop ${process.pid} "quoted" ünïcødé 🚀`;
  const res = await client.callTool({ name: 'echo', arguments: { text } }, { timeout: REQUEST_TIMEOUT_MS });
  expect(res.isError !== true, `isError: ${JSON.stringify(res.content)}`);
  const first = res.content?.find((c) => c.type === 'text');
  expect(first?.text === text, `echoed ${JSON.stringify(first?.text)}, sent ${JSON.stringify(text)}`);
});

await check('consent accept (input_required -> elicitation -> retry)', async () => {
  elicitations.length = 0;
  elicitAnswer = { action: 'accept', content: { confirm: true } };
  const res = await client.callTool({ name: 'delete_thing', arguments: { id: 'v2-accept' } },
    { timeout: REQUEST_TIMEOUT_MS });
  expect(elicitations.length === 1, `the client's elicitation handler ran ${elicitations.length} time(s), expected 1`);
  const asked = elicitations[0];
  expect(asked.message?.includes('delete_thing') && asked.message.includes('v2-accept'),
    `elicitation message does not name the tool and its arguments: ${asked.message}`);
  expect(asked.requestedSchema?.properties?.confirm?.type === 'boolean',
    `requestedSchema: ${JSON.stringify(asked.requestedSchema)}`);
  expect(res.isError !== true, `tool did not run: ${JSON.stringify(res)}`);
  expect(res.content?.[0]?.text === 'deleted v2-accept', `result: ${JSON.stringify(res.content)}`);
  const consentId = res._meta?.['dev.toolgate/consentId'];
  expect(typeof consentId === 'string' && consentId.length === 36, `consentId: ${JSON.stringify(res._meta)}`);
  return `consentId ${consentId}`;
});

await check('consent decline', async () => {
  elicitations.length = 0;
  elicitAnswer = { action: 'decline' };
  const res = await client.callTool({ name: 'delete_thing', arguments: { id: 'v2-decline' } },
    { timeout: REQUEST_TIMEOUT_MS });
  expect(elicitations.length === 1, `elicitation handler ran ${elicitations.length} time(s)`);
  expect(res.isError === true, `a declined destructive call ran: ${JSON.stringify(res)}`);
  expect(res._meta?.['dev.toolgate/error']?.code === 'consent_declined', `error meta: ${JSON.stringify(res._meta)}`);
  expect(res.content?.[0]?.text?.includes('decline'), `text: ${res.content?.[0]?.text}`);
});

// The tasks extension's requester sends its task traffic through a host-owned raw dispatcher (the
// SDK Client's codecs do not carry task wire shapes). This one writes on the client's own stdio
// transport with ids of its own and takes their responses before the Client sees them.
function rawDispatcher() {
  const waiting = new Map();
  let next = 0;
  const deliver = transport.onmessage;
  transport.onmessage = (msg, extra) => {
    if (msg && !('method' in msg) && waiting.has(msg.id)) {
      const resolve = waiting.get(msg.id);
      waiting.delete(msg.id);
      resolve(msg.error ? { kind: 'error', error: msg.error } : { kind: 'result', result: msg.result });
      return;
    }
    deliver(msg, extra);
  };
  return (request) => new Promise((resolve, reject) => {
    const id = `ext-tasks-${++next}`;
    waiting.set(id, resolve);
    transport.send({ ...request, jsonrpc: '2.0', id }).catch((err) => { waiting.delete(id); reject(err); });
  });
}

await check('tasks extension (ext-tasks): a job tool runs as a task and settles', async () => {
  const ext = client.getServerCapabilities()?.extensions?.['io.modelcontextprotocol/tasks'];
  expect(ext !== undefined, `discover did not advertise the tasks extension: ${JSON.stringify(client.getServerCapabilities())}`);
  const session = createTaskSessionFromClient(client, {
    endpointId: 'toolgate-interop',
    rawDispatch: rawDispatcher(),
    v2RequestFraming: {
      protocolVersion: '2026-07-28',
      clientInfo: { name: 'toolgate-interop-v2', version: '1.0.0' },
      clientCapabilities: { elicitation: { form: {} } },
    },
  });
  try {
    const channel = `interop-${process.pid}`;
    const execution = await session.callTool('stepper', { channel, steps: 1 });
    expect(execution.kind === 'task', `stepper ran as '${execution.kind}', expected a task`);
    // The stepper job waits for one step on its channel; give it that step with a plain call.
    const stepped = await client.callTool({ name: 'step', arguments: { channel } }, { timeout: REQUEST_TIMEOUT_MS });
    expect(stepped.isError !== true, `step failed: ${JSON.stringify(stepped)}`);
    const watchdog = new Promise((_, reject) => setTimeout(() => reject(new CheckFailed('task did not settle in 10 s')), REQUEST_TIMEOUT_MS));
    const { outcome } = await Promise.race([execution.settle(), watchdog]);
    expect(outcome.status === 'completed', `task outcome ${outcome.status}: ${outcome.error?.message ?? ""} ${JSON.stringify(outcome.error?.cause ?? outcome.error ?? {})} ${JSON.stringify(outcome.task?.raw ?? {})}`);
    const result = resultFromTaskOutcome(outcome);
    expect(result.structuredContent?.channel === channel && result.structuredContent?.steps === 1,
      `task result: ${JSON.stringify(result)}`);
    return `task ${execution.handle?.taskId ?? '?'} completed`;
  } finally {
    await session.close();
  }
});

await check('subscriptions/listen receives tools/list_changed', async () => {
  listChanged.length = 0;
  const sub = await client.listen({ toolsListChanged: true, promptsListChanged: true }, { timeout: REQUEST_TIMEOUT_MS });
  expect(sub.honoredFilter?.toolsListChanged === true, `honored: ${JSON.stringify(sub.honoredFilter)}`);
  expect(!sub.honoredFilter?.promptsListChanged, `server honoured prompts, which it does not serve: ${JSON.stringify(sub.honoredFilter)}`);
  expect(transport.pid, 'no server pid');
  process.kill(transport.pid, 'SIGHUP'); // toolgate rescans its plugins and tells listeners
  const deadline = Date.now() + REQUEST_TIMEOUT_MS;
  while (listChanged.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  expect(listChanged.length === 1, `got ${listChanged.length} tools/list_changed notification(s) after SIGHUP`);
  await sub.close();
  expect(await sub.closed === 'local', 'subscription did not close locally');
  return 'acknowledged, notified, closed';
});

await check("negotiation 'auto' picks the modern era", async () => {
  // What a dual-era host does: probe with server/discover (on a short-lived sibling process) and
  // fall back to initialize only on a non-modern answer. toolgate must be recognised as modern.
  const probeTransport = new StdioClientTransport({
    command: opts.toolgate, args: ['serve', '--config', policy], env: { ...process.env }, stderr: 'ignore',
  });
  const auto = new Client({ name: 'toolgate-interop-v2-auto', version: '1.0.0' },
    { capabilities: {}, versionNegotiation: { mode: 'auto' } });
  try {
    await auto.connect(probeTransport, { timeout: REQUEST_TIMEOUT_MS });
    expect(auto.getProtocolEra() === 'modern', `era ${auto.getProtocolEra()}, version ${auto.getNegotiatedProtocolVersion()}`);
    const res = await auto.callTool({ name: 'echo', arguments: { text: 'auto' } }, { timeout: REQUEST_TIMEOUT_MS });
    expect(res.content?.[0]?.text === 'auto', `echo over the auto-negotiated connection: ${JSON.stringify(res)}`);
    return auto.getNegotiatedProtocolVersion();
  } finally {
    await auto.close();
  }
});

await check('close', async () => {
  const pid = transport.pid;
  expect(pid, 'no server pid');
  const t0 = Date.now();
  await client.close(); // ends stdin; the SDK escalates to signals only if the server lingers
  let alive = true;
  while (alive && Date.now() - t0 < 3_000) {
    try { process.kill(pid, 0); await new Promise((r) => setTimeout(r, 20)); } catch { alive = false; }
  }
  const ms = Date.now() - t0;
  expect(!alive, 'server still running 3 s after close');
  expect(ms < EXIT_GRACE_MS, `server took ${ms} ms to exit after stdin closed`);
  return `exited after ${ms} ms`;
});

finish();
