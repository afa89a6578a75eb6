import { describe, expect, it } from 'vitest';
import { arrivals, badge, startPolling, type PollerDeps } from './poll';

describe('arrivals', () => {
  it.each([
    { name: 'first load marks nothing new', before: null, now: ['a', 'b'], want: [] },
    { name: 'a new id', before: ['a'], now: ['b', 'a'], want: ['b'] },
    { name: 'decided ids leave quietly', before: ['a', 'b'], now: ['a'], want: [] },
    { name: 'empty', before: [], now: [], want: [] },
  ])('$name', ({ before, now, want }) => {
    expect(arrivals(before ? new Set(before) : null, now.map((id) => ({ id })))).toEqual(want);
  });
});

describe('badge', () => {
  it.each([
    [0, ''],
    [-1, ''],
    [1, '1'],
    [99, '99'],
    [100, '99+'],
  ])('badge(%i) = %j', (n, want) => expect(badge(n)).toBe(want));
});

/** A poller clock driven by hand. */
function fakeDeps() {
  let tick: (() => void) | null = null;
  let focus: (() => void) | null = null;
  const st = { visible: true, cleared: false, off: false, ms: 0 };
  const deps: PollerDeps = {
    setInterval: (fn, ms) => {
      tick = fn;
      st.ms = ms;
      return 1;
    },
    clearInterval: () => {
      st.cleared = true;
    },
    visible: () => st.visible,
    onFocus: (fn) => {
      focus = fn;
      return () => {
        st.off = true;
      };
    },
  };
  return { deps, st, fire: () => tick?.(), focus: () => focus?.() };
}

describe('startPolling', () => {
  it('ticks every 15 s while visible, on focus, never twice at once, and stops', async () => {
    const f = fakeDeps();
    let calls = 0;
    let release: () => void = () => {};
    const tick = () => {
      calls++;
      return new Promise<void>((r) => (release = r));
    };
    const stop = startPolling(tick, f.deps);
    expect(f.st.ms).toBe(15_000);
    f.fire();
    expect(calls).toBe(1);
    f.focus(); // still running: skipped
    expect(calls).toBe(1);
    release();
    await Promise.resolve();
    await Promise.resolve();
    f.focus();
    expect(calls).toBe(2);
    release();
    await Promise.resolve();
    await Promise.resolve();
    f.st.visible = false;
    f.fire(); // hidden tab: no request
    expect(calls).toBe(2);
    stop();
    expect(f.st.cleared).toBe(true);
    expect(f.st.off).toBe(true);
  });
});
