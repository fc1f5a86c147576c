/**
 * A port for a server that binds some seconds later (serverless-offline builds its bundles first).
 * Port 0 would hand out one of the kernel's ephemeral ports (32768-60999 on Linux), the range every
 * outgoing connection takes its local port from, so one of the SDK's connections could take it in
 * the meantime (EADDRINUSE). Ports below that range are never given to outgoing connections.
 */
import { createServer } from "node:net";

const LOWEST = 20_000;
const SPAN = 12_000; // up to 31999, below the ephemeral range

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** A port that was free a moment ago on 127.0.0.1, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries += 1) {
    const port = LOWEST + Math.floor(Math.random() * SPAN);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found between ${LOWEST} and ${LOWEST + SPAN - 1}`);
}
