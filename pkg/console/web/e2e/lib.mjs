// Shared by the browser tests and the bench: a dev server of our own on a
// free port with fresh data, Debian's Chromium through playwright-core, named
// steps with screenshots, and axe-core scans.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = dirname(fileURLToPath(import.meta.url));
export const web = resolve(here, '..');
export const root = resolve(web, '../../..');
export const dist = resolve(web, '../dist');
export const shots = join(here, 'screenshots');

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Starts `go run ./cmd/devserver` on a free port with a fresh data folder
 * and resolves with its base URL once it prints the ready line. stop() ends
 * its whole process group and removes the data.
 */
export async function startDevServer({ timeoutMs = 240_000, log = false } = {}) {
  if (process.env.GATEHOUSE_URL) return { base: process.env.GATEHOUSE_URL.replace(/\/$/, ''), stop: async () => {} };
  const data = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const child = spawn('go', ['run', './cmd/devserver', '-addr', '127.0.0.1:0', '-data', data, '-dynamo-port', '0', '-reset'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  let out = '';
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 15_000);
      await gone;
      clearTimeout(t);
    }
    rmSync(data, { recursive: true, force: true });
  };
  const base = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`dev server not ready after ${timeoutMs / 1000}s; its output:\n${out.slice(-4000)}`)), timeoutMs);
    const onData = (b) => {
      const s = b.toString();
      out += s;
      if (log) process.stderr.write(s);
      const m = /gatehouse dev: ready (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1].replace(/\/$/, ''));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`dev server exited (${code}) before it was ready; its output:\n${out.slice(-4000)}`));
    });
  }).catch(async (e) => {
    await stop();
    throw e;
  });
  return { base, stop, output: () => out };
}

/** A fresh Chromium profile; close() removes it. */
export async function launch({ width = 1280, height = 800 } = {}) {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM)`);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath,
    args: chromiumArgs,
    headless: true,
    viewport: { width, height },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs named steps in order; a failure stops the run with the step's name. */
export function steps() {
  rmSync(shots, { recursive: true, force: true }); // only this run's pictures
  mkdirSync(shots, { recursive: true });
  let n = 0;
  const results = [];
  return {
    results,
    async step(name, page, fn) {
      n++;
      const file = join(shots, `${String(n).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      const t0 = Date.now();
      try {
        await fn();
        await page.screenshot({ path: file, fullPage: true }).catch(() => {});
        results.push({ name, ok: true });
        console.log(`ok ${n} - ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        await page.screenshot({ path: file, fullPage: true }).catch(() => {});
        results.push({ name, ok: false });
        console.log(`not ok ${n} - ${name}\n  ${String(e?.message ?? e).split('\n').join('\n  ')}\n  screenshot: ${file}\n  page: ${page.url()}`);
        throw new StepFailed(name);
      }
    },
  };
}

export class StepFailed extends Error {}

export const axePath = resolve(web, 'node_modules/axe-core/axe.min.js');

/**
 * Runs axe-core on the page (WCAG 2.x A/AA rules). Throws when a serious
 * or critical violation is found; prints the rest.
 */
export async function axeScan(page, label) {
  // Evaluated, not added as a <script>: the console's CSP forbids inline scripts.
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(readFileSync(axePath, 'utf8'));
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const rest = res.filter((v) => !bad.includes(v));
  console.log(`  axe ${label}: ${bad.length} serious or critical, ${rest.length} other`);
  for (const v of rest) console.log(`    (${v.impact}) ${v.id}: ${v.help} — ${v.nodes.join(', ')}`);
  if (bad.length) throw new Error(`axe found ${bad.length} serious or critical violations on ${label}:\n` + bad.map((v) => `(${v.impact}) ${v.id}: ${v.help} — ${v.nodes.join(', ')}`).join('\n'));
  return { serious: bad.length, other: rest.length };
}

/** Signs in through the dev issuer's page as `user` (e.g. "carol"). */
export async function signIn(page, base, user, path = '/console/') {
  await page.goto(base + path);
  const btn = page.getByRole('button', { name: `Sign in as ${user}`, exact: true });
  await btn.waitFor({ timeout: 20_000 }).catch(() => {
    throw new Error(`the dev issuer's page did not offer "Sign in as ${user}" (at ${page.url()})`);
  });
  await btn.click();
  await page.waitForURL((u) => u.pathname.startsWith('/console/') && !u.pathname.includes('callback'), { timeout: 20_000 });
}

/** Forgets the signed-in user (the OIDC session in sessionStorage and the issuer's cookies). */
export async function forget(page, base) {
  await page.goto(base + '/console/config.json');
  await page.evaluate(() => {
    sessionStorage.clear();
    localStorage.clear();
  });
  await page.context().clearCookies();
}

export function expect(cond, message) {
  if (!cond) throw new Error(message);
}
