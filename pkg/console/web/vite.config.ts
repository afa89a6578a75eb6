import { defineConfig, type Plugin } from 'vitest/config';
import preact from '@preact/preset-vite';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

// emptyOutDir also removes dist/.gitkeep, the file that keeps the folder
// (and Go's embed of it) in a fresh clone: put it back after each build.
const keepGitkeep = (): Plugin => ({
  name: 'keep-gitkeep',
  apply: 'build',
  closeBundle() {
    writeFileSync(resolve(__dirname, '../dist/.gitkeep'), '');
  },
});

// Served by pkg/console (Go) at /console/ from ../dist, embedded in the binary.
export default defineConfig({
  base: '/console/',
  plugins: [preact(), keepGitkeep()],
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // No preload helper: it would request lazy chunks at /console/assets/…
    // even behind a stage (/prod/console/); plain relative import() works.
    modulePreload: false,
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
