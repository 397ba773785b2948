import { defineConfig } from 'vite';

// Build output is committed (playground/dist) and embedded/served by the Rust
// server: index.html at /playground and /playground/, assets under
// /playground/assets/. operations.json is served by the server, not built here.
export default defineConfig({
  base: '/playground/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // Monaco + GraphiQL are big; the warning is expected and not actionable.
    chunkSizeWarningLimit: 5000,
    rolldownOptions: {
      // Silence the many '"use client" directive ignored' notices from deps.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: {
    format: 'es',
  },
});
