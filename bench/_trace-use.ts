import { spawn } from 'node:child_process';
import { CountingProxy } from '/work/main/bench/profile.js';
const proxy = new CountingProxy('/tmp/trace-use.sock');
await proxy.start();
const t0 = performance.now();
const child = spawn(process.execPath, ['/work/main/bin/berth.js', ...process.argv.slice(2)], { env: { ...process.env, DOCKER_HOST: 'unix:///tmp/trace-use.sock', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
let out = ''; child.stdout.on('data', (b) => (out += b)); child.stderr.on('data', (b) => (out += b));
await new Promise((r) => child.on('close', r));
const total = performance.now() - t0;
const calls = proxy.calls.filter(c => !c.kind.includes('/exec/') || true);
// idle: time in [first sent, last answered] with no request outstanding
const ev = calls.flatMap((c) => [[c.sent, 1], [c.answered ?? c.sent, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || b[1] - a[1]);
let open = 0, last = ev[0]![0], idle = 0; const gaps: [number, number][] = [];
for (const [t, d] of ev) { if (open === 0 && t > last) { idle += t - last; if (t - last > 30) gaps.push([last - t0, t - last]); } open += d; last = t; }
console.log(out.split('\n').slice(-2).join('\n'));
console.log(`total ${total.toFixed(0)} ms; before first call ${(calls[0]!.sent - t0).toFixed(0)} ms; after last answer ${(t0 + total - Math.max(...calls.map(c => c.answered ?? 0))).toFixed(0)} ms; idle between ${idle.toFixed(0)} ms; calls ${calls.length}`);
console.log('gaps > 30 ms (at, length):', gaps.map(([a, l]) => `${a.toFixed(0)}+${l.toFixed(0)}`).join(' '));
for (const c of calls) if ((c.answered ?? 0) - c.sent > 100 || /start|stop|exec/.test(c.kind)) console.log(`${(c.sent - t0).toFixed(0).padStart(6)} ${((c.answered ?? NaN) - c.sent).toFixed(0).padStart(5)} ${c.kind}`);
proxy.stop?.();
process.exit(0);
