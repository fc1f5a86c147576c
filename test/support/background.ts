/**
 * Work a globalSetup starts without waiting for it (packaging, booting the shared service), so
 * that it runs while the other projects' tests already do. The globalSetup provides a marker
 * path at once; the project's setup file waits for the marker before any of its tests run.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Runs `work`, then writes `marker` with its result as JSON, or `marker`.failed with its error. */
export function inBackground<T>(marker: string, work: () => Promise<T>): Promise<T | undefined> {
  return work().then(
    (result) => {
      writeFileSync(marker, JSON.stringify(result ?? null));
      return result;
    },
    (err: unknown) => {
      writeFileSync(`${marker}.failed`, err instanceof Error ? (err.stack ?? err.message) : String(err));
      return undefined;
    },
  );
}

/** Resolves to what inBackground wrote at `marker` once it has; throws its error if it failed. */
export async function awaitBackground<T>(marker: string, timeoutMs = 180_000): Promise<T> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; ) {
    if (existsSync(`${marker}.failed`)) throw new Error(readFileSync(`${marker}.failed`, "utf8"));
    if (existsSync(marker)) return JSON.parse(readFileSync(marker, "utf8")) as T;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${marker}`);
}

/** What awaitBackground resolved to, read again (synchronously) once it has. */
export function backgroundResult<T>(marker: string): T {
  return JSON.parse(readFileSync(marker, "utf8")) as T;
}
