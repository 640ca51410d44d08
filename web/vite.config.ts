import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by Django at /app/ (see trackpacks' web view); `npm run dev` proxies the API.
export default defineConfig({
  base: "/app/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: { proxy: { "/api": "http://127.0.0.1:8000", "/ipfs": "http://127.0.0.1:8000" } },
});
