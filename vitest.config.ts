import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      '{device,drivers,sync,test-hardware,bench,ui-kiosk/electron}/**/*.test.ts',
      'ui-kiosk/web/**/*.test.ts',
    ],
    // Crash and CLI tests spawn real child processes; give them room on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
