// Benchmarks: the first load's JavaScript, gzipped (from the built dist and
// index.html's references), and the time from navigation to the Pending list
// on a dev server of our own. Printed as Go-style benchmark lines; the run
// fails only when the first-load JavaScript exceeds the 150 KB budget.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { dist, launch, signIn, startDevServer } from './lib.mjs';

const budget = 150 * 1024;

/** The JS and CSS files index.html loads before any panel is opened. */
export function firstLoad(html) {
  const refs = new Set();
  for (const m of html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"[^>]*>/g)) {
    const tag = m[0];
    if (/<script/.test(tag) || /rel="(?:modulepreload|stylesheet)"/.test(tag)) refs.add(m[1]);
  }
  return [...refs];
}

const indexPath = join(dist, 'index.html');
if (!existsSync(indexPath)) {
  console.error(`no built console in ${dist}: run "npm run build" first`);
  process.exit(1);
}
const html = readFileSync(indexPath, 'utf8');
let js = 0;
let jsRaw = 0;
let css = 0;
for (const ref of firstLoad(html)) {
  const file = join(dist, ref.replace(/^\/console\//, ''));
  const body = readFileSync(file);
  const gz = gzipSync(body, { level: 9 }).length;
  if (ref.endsWith('.js')) {
    js += gz;
    jsRaw += body.length;
  } else if (ref.endsWith('.css')) css += gz;
}
console.log(`BenchmarkConsole/first-load-js-gzip\t1\t${js} bytes\t(${(js / 1024).toFixed(1)} KiB of ${budget / 1024} KiB; ${jsRaw} bytes raw)`);
console.log(`BenchmarkConsole/first-load-css-gzip\t1\t${css} bytes`);
let code = 0;
if (js > budget) {
  console.log(`FAIL: the first load ships ${js} gzipped bytes of JavaScript, over the ${budget}-byte budget`);
  code = 1;
}

if (!process.argv.includes('--size-only')) {
  const server = await startDevServer();
  const browser = await launch();
  try {
    const { page } = browser;
    const url = `${server.base}/console/?agent=support-bot&tab=pending`;
    await signIn(page, server.base, 'carol', '/console/?agent=support-bot&tab=pending');
    await page.locator('#requests-panel tbody tr').first().waitFor();
    const runs = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await page.goto(url);
      await page.locator('#requests-panel tbody tr').first().waitFor();
      runs.push(performance.now() - t0);
    }
    runs.sort((a, b) => a - b);
    const median = runs[Math.floor(runs.length / 2)];
    console.log(`BenchmarkConsole/navigation-to-pending-list\t${runs.length}\t${median.toFixed(0)} ms/op\t(min ${runs[0].toFixed(0)}, max ${runs[runs.length - 1].toFixed(0)}; signed in, warm cache)`);
  } catch (e) {
    console.log(`FAIL: the timing run did not finish: ${e?.message ?? e}`);
    code = 1;
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
  }
}
process.exit(code);
