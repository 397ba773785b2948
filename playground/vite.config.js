import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const page = (file) => fileURLToPath(new URL(file, import.meta.url));

// Build output is committed (playground/dist) and embedded/served by the Rust
// server: index.html (GraphiQL) at /playground and /playground/, explorer.html
// (the graph explorer) at /explorer and /explorer/, both pages' assets under
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
      // Two pages; neither loads the other's code.
      input: { index: page('index.html'), explorer: page('explorer.html') },
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
