import { defineConfig } from 'vitest/config';
import preact from '@preact/preset-vite';

// Served by pkg/console (Go) at /console/ from ../dist, embedded in the binary.
export default defineConfig({
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
