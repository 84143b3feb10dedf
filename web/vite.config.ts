/// <reference types="vitest" />
import { defineConfig } from 'vitest/config';

// No @vitejs/plugin-react: esbuild compiles JSX with the automatic runtime.
const backend = `http://127.0.0.1:${process.env.BACKEND_PORT || '8000'}`;

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 900 },
  server: {
    port: Number(process.env.FRONTEND_PORT || 3030),
    proxy: {
      '/api': { target: backend, ws: true, changeOrigin: true },
      '/health': { target: backend, changeOrigin: true },
      '/metrics': { target: backend, changeOrigin: true },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
  },
});
