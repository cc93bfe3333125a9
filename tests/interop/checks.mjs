// How the interop clients (the v1 SDK's interop_basic.mjs and the v2 SDK's interop_v2.mjs) run
// and report their checks, so both judge a server the same way. A check passes only if its body
// returns and the SDK reported no protocol error while it ran: errors the SDK raises out of band
// (unparseable stdout lines, unknown response ids) belong to whichever check was running, so a
// server that corrupts its stream cannot pass silently.

export class CheckFailed extends Error {}

export function expect(cond, msg) {
  if (!cond) throw new CheckFailed(msg);
}

export const results = []; // { name, ok }
export const protocolErrors = []; // fed by the client's onerror

export async function check(name, fn) {
  const before = protocolErrors.length;
  try {
    const info = await fn();
    const stray = protocolErrors.slice(before);
    expect(stray.length === 0, `client reported protocol errors: ${stray.join('; ')}`);
    results.push({ name, ok: true });
    process.stdout.write(`ok   ${name}${info ? ` (${info})` : ''}\n`);
    return true;
  } catch (err) {
    const detail = err instanceof CheckFailed ? err.message
      : `unexpected error${err?.code !== undefined ? ` (code ${err.code})` : ''}: ${err?.message ?? err}`;
    results.push({ name, ok: false });
    process.stdout.write(`FAIL ${name}: ${detail}\n`);
    return false;
  }
}
