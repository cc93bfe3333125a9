#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
# package.json) against toolgate and exits with the suite's exit code.
#
# The suite speaks Streamable HTTP only, so toolgate's stdio server is bridged by supergateway
# (stateful: one toolgate process per HTTP session). Both run under the Node 22 that
# install-deps.sh puts into .deps. Scenarios toolgate does not implement are listed, with
# reasons, in expected-failures.yml; the suite fails on any other failure or warning, and also
# when a listed scenario starts passing (the list must then shrink).
#
# Usage: run-conformance.sh [--toolgate PATH] [--plugin-dir DIR] [--suite all|active|pending]
#                           [--scenario NAME] [--output-dir DIR] [--keep-logs]
#   --toolgate    the toolgate binary (default: $TOOLGATE_BIN or <repo>/build/toolgate)
#   --plugin-dir  directory with libconformance.so and its filled manifest
#                 (default: $TOOLGATE_CONFORMANCE_PLUGIN_DIR or <repo>/build/conformance-plugins)
#   --scenario    run one scenario instead of the suite (still judged against the baseline)
#   --output-dir  where the suite writes per-check JSON results
#   --keep-logs   keep the temporary directory (policy, gateway log with toolgate's stderr)
#
# Nothing is left running: the gateway is stopped on every exit path (it stops the toolgate
# processes it started), and because its stdin is a pipe held only by this script, it also
# exits by itself if this script is killed outright.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
toolgate="${TOOLGATE_BIN:-$repo/build/toolgate}"
plugin_dir="${TOOLGATE_CONFORMANCE_PLUGIN_DIR:-$repo/build/conformance-plugins}"
suite="all"
scenario=""
output_dir=""
keep_logs=0

say() { echo "run-conformance: $*" >&2; }
die() { say "$*"; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --toolgate) toolgate="${2:?--toolgate needs a path}"; shift 2 ;;
    --plugin-dir) plugin_dir="${2:?--plugin-dir needs a directory}"; shift 2 ;;
    --suite) suite="${2:?--suite needs a name}"; shift 2 ;;
    --scenario) scenario="${2:?--scenario needs a name}"; shift 2 ;;
    --output-dir) output_dir="${2:?--output-dir needs a directory}"; shift 2 ;;
    --keep-logs) keep_logs=1; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# Bounds, so that a hung step fails the run instead of the CI job.
readonly start_timeout_s=60    # gateway listening on its port (Node start-up is slow on a loaded box)
readonly suite_timeout_s=600   # the whole suite (10-20 s when healthy)
readonly stop_timeout_s=15     # gateway shut down, toolgate children included

[[ -x "$toolgate" ]] || die "toolgate binary '$toolgate' not found or not executable (build it: make toolgate)"
toolgate="$(cd "$(dirname "$toolgate")" && pwd)/$(basename "$toolgate")"
[[ -f "$plugin_dir/conformance.json" && -f "$plugin_dir/libconformance.so" ]] ||
  die "no conformance plugin in '$plugin_dir' (build it: make conformance_plugin)"
plugin_dir="$(cd "$plugin_dir" && pwd)"

"$here/install-deps.sh" || die "could not install the Node dependencies (see above); the suite cannot run"
deps="$here/.deps/node_modules"
node="$deps/node/bin/node"
gateway_js="$deps/supergateway/dist/index.js"
suite_js="$deps/@modelcontextprotocol/conformance/dist/index.js"
export PATH="$deps/node/bin:$PATH"

work="$(mktemp -d "${TMPDIR:-/tmp}/toolgate-conformance.XXXXXX")"
gateway_pid=""
gateway_log="$work/gateway.log"

# Stops the gateway: SIGTERM makes it stop its toolgate children (each in its own process
# group) before exiting; closing its stdin has the same effect. SIGKILL only as a last resort.
stop_gateway() {
  [[ -n "$gateway_pid" ]] || return 0
  local pid="$gateway_pid" children
  gateway_pid=""
  # Process groups of the sessions' children, recorded before the gateway goes away.
  children="$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -s ' \n' ' ')"
  kill -TERM "$pid" 2>/dev/null
  exec 3>&-
  local waited=0
  while kill -0 "$pid" 2>/dev/null && ((waited < stop_timeout_s * 10)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "the gateway (pid $pid) ignored SIGTERM for ${stop_timeout_s}s; killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  local c
  for c in $children; do
    if kill -0 -- "-$c" 2>/dev/null; then
      say "process group $c outlived the gateway; killing it"
      kill -KILL -- "-$c" 2>/dev/null
    fi
  done
}

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
  local rc=$?
  stop_gateway
  if ((keep_logs)); then
    say "logs kept in $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# The anonymous principal holds every scope, so every call reaches the plugin through the full
# policy pipeline (scope check, rate limit, input validation). JSON-quoted by node, so any path works.
"$node" -e '
  const [dir, out] = process.argv.slice(1);
  const policy = { plugins: { directory: dir },
                   identity: { anonymous: { tenant: "conformance", scopes: ["*"] } } };
  require("fs").writeFileSync(out, JSON.stringify(policy, null, 2) + "\n");
' "$plugin_dir" "$work/policy.json" || die "could not write $work/policy.json"
printf -v server_cmd '%q serve --config %q' "$toolgate" "$work/policy.json"

free_port() {
  "$node" -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

port_open() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts the gateway on a free port. Another process may take the port between the probe and
# the gateway's bind, so a gateway that dies before listening is retried on a new port.
start_gateway() {
  local attempt
  for attempt in 1 2 3; do
    port="$(free_port)" || die "could not find a free TCP port"
    # stdin is a pipe whose only writer is fd 3 of this script: supergateway exits when its
    # stdin closes, so it cannot outlive us even if we are killed with SIGKILL.
    exec 3> >(exec "$node" "$gateway_js" --stdio "$server_cmd" --outputTransport streamableHttp \
                --stateful --sessionTimeout 5000 --port "$port" >"$gateway_log" 2>&1)
    gateway_pid=$!
    local waited=0
    while ((waited < start_timeout_s * 10)); do
      kill -0 "$gateway_pid" 2>/dev/null || break
      # Our gateway's own log line, not just an open port: someone else may hold the port.
      grep -q "Listening on port $port\$" "$gateway_log" 2>/dev/null && port_open "$port" && return 0
      sleep 0.1
      waited=$((waited + 1))
    done
    say "gateway attempt $attempt did not come up on port $port; its log:"
    tail -n 20 "$gateway_log" >&2
    stop_gateway
  done
  die "the gateway would not start"
}

start_gateway
say "supergateway (pid $gateway_pid) serves toolgate at http://localhost:$port/mcp"

args=(server --url "http://localhost:$port/mcp" --expected-failures "$here/expected-failures.yml")
if [[ -n "$scenario" ]]; then args+=(--scenario "$scenario"); else args+=(--suite "$suite"); fi
[[ -n "$output_dir" ]] && args+=(--output-dir "$output_dir")

started=$SECONDS
# 3>&-: only this script may hold the gateway's stdin open (see start_gateway).
timeout --kill-after=10 "$suite_timeout_s" "$node" "$suite_js" "${args[@]}" 3>&-
rc=$?
if ((rc == 124 || rc == 137)); then
  say "the suite did not finish within ${suite_timeout_s}s"
fi
say "suite exit code $rc after $((SECONDS - started))s"
if ((rc != 0)); then
  say "last lines of the gateway log (toolgate's stderr is in it; --keep-logs keeps it all):"
  tail -n 40 "$gateway_log" >&2
fi
exit "$rc"
