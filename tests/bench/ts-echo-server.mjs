#!/usr/bin/env node
// Reference MCP server for the benchmark: the smallest idiomatic server a TypeScript author
// would write with the official SDK (McpServer + zod + stdio), exposing the same `echo` tool
// as toolgate's echo plugin, so the two can be driven by one client and compared fairly.
//
// The SDK is pinned once, in tests/interop (scripts/setup-node-deps installs it). ESM bare
// imports resolve relative to this file, not the cwd, so we resolve through a require rooted
// at that package: works from any working directory. The SDK ships a CommonJS build next to
// the ESM one, compiled from the same sources, so performance is the same.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../interop/package.json', import.meta.url));
let sdkMcp, sdkStdio, z;
try {
  sdkMcp = require('@modelcontextprotocol/sdk/server/mcp.js');
  sdkStdio = require('@modelcontextprotocol/sdk/server/stdio.js');
  ({ z } = require('zod'));
} catch (err) {
  process.stderr.write(`ts-echo-server: cannot load the MCP SDK from tests/interop/node_modules ` +
    `(${err.code ?? err.message}); run scripts/setup-node-deps\n`);
  process.exit(2);
}

const server = new sdkMcp.McpServer({ name: 'ts-echo-reference', version: '1.0.0' });

server.registerTool(
  'echo',
  {
    description: 'Returns the given text unchanged.',
    inputSchema: { text: z.string() },
  },
  async ({ text }) => ({ content: [{ type: 'text', text }] }),
);

await server.connect(new sdkStdio.StdioServerTransport());
// No explicit exit: once the client closes stdin and pending calls settle, the event loop is
// empty and node exits 0 by itself, after every response has been written.
