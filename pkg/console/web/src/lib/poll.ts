// Keeps the Pending list fresh: poll every `interval` ms while the page is
// visible and at once when the window regains focus; counts requests that
// arrived since the operator last looked (the badge).

export const pollInterval = 15_000;

export interface Seen {
  ids: ReadonlySet<string>;
}

/** The ids in `now` that were not in `before` (new arrivals). */
export function arrivals(before: ReadonlySet<string> | null, now: readonly { id: string }[]): string[] {
  if (before === null) return []; // first load: nothing is "new"
  return now.filter((r) => !before.has(r.id)).map((r) => r.id);
}

/** Badge text: the count, capped so the tab keeps its width. */
export function badge(n: number): string {
  if (n <= 0) return '';
  return n > 99 ? '99+' : String(n);
}

export interface PollerDeps {
  setInterval: (fn: () => void, ms: number) => unknown;
  clearInterval: (h: unknown) => void;
  visible: () => boolean;
  onFocus: (fn: () => void) => () => void;
}

export const browserDeps = (): PollerDeps => ({
  setInterval: (fn, ms) => window.setInterval(fn, ms),
  clearInterval: (h) => window.clearInterval(h as number),
  visible: () => document.visibilityState !== 'hidden',
  onFocus: (fn) => {
    const vis = () => document.visibilityState === 'visible' && fn();
    window.addEventListener('focus', fn);
    document.addEventListener('visibilitychange', vis);
    return () => {
      window.removeEventListener('focus', fn);
      document.removeEventListener('visibilitychange', vis);
    };
  },
});

/**
 * Calls `tick` every interval (skipped while hidden) and on focus; a tick
 * still running is not started twice. Returns the stop function.
 */
export function startPolling(tick: () => Promise<void>, deps: PollerDeps, interval = pollInterval): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    tick().finally(() => {
      running = false;
    });
  };
  const h = deps.setInterval(() => {
    if (deps.visible()) run();
  }, interval);
  const off = deps.onFocus(run);
  return () => {
    deps.clearInterval(h);
    off();
  };
}
