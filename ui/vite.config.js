import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import tailwindcss from '@tailwindcss/vite'

// The build is committed (ui/dist), embedded by the Go module and served under
// /support/build/ through the manifest. CI rebuilds it and compares, so the same sources must
// give the same bytes on any machine: file names come from content hashes, no source maps
// (they would carry paths) and nothing time-dependent.
export default defineConfig({
  base: '/support/build/',
  plugins: [vue(), tailwindcss()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    target: 'es2022',
    rollupOptions: {
      input: 'src/main.js',
      output: {
        // Pages load on demand, each its own chunk. The libraries, and the components and
        // helpers the pages share, travel in one chunk each, so a page costs a few requests
        // rather than a dozen small ones, and a UI change leaves the library chunk cached.
        codeSplitting: {
          groups: [
            { name: 'vendor', test: /[\\/]node_modules[\\/]/, priority: 2 },
            { name: 'desk', test: /[\\/]src[\\/](components|lib)[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.js'],
    setupFiles: ['tests/setup-inertia.js'],
    restoreMocks: true,
  },
})
