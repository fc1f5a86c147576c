/**
 * GET / (the sign-in page), GET /page.js and GET /page.css: the browser client of this service,
 * served from its own origin so that it needs no CORS. Always 200 with the file, under a strict
 * Content-Security-Policy. The script is bundled for browsers when this function is
 * (page/esbuild-plugin.mjs); the function reads no setting, key or secret.
 */
import html from "../page/index.html";
import css from "../page/page.css";
import script from "../page/page.ts?browser";
import { httpHandler, pageFile } from "../shared/http/handler.ts";

const FILES: Readonly<Record<string, { type: string; body: string }>> = {
  "/page.js": { type: "text/javascript; charset=utf-8", body: script },
  "/page.css": { type: "text/css; charset=utf-8", body: css },
};

export const handler = httpHandler("page", async (event) => {
  const file = FILES[event.rawPath] ?? { type: "text/html; charset=utf-8", body: html };
  return pageFile(file.type, file.body);
});
