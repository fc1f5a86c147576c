/** An HTTP client with a cookie jar, as a browser or `curl -b jar -c jar` would use the service. */
import { connect } from "node:net";
import { CookieJar } from "tough-cookie";

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  /** Each Set-Cookie header, whole. */
  readonly setCookies: string[];
  readonly text: string;
  json(): Record<string, unknown>;
}

export class Client {
  readonly jar = new CookieJar();

  constructor(readonly baseUrl: string) {}

  async request(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const url = `${this.baseUrl}${path}`;
    const cookie = await this.jar.getCookieString(url);
    const response = await fetch(url, {
      method,
      headers: { ...(cookie === "" ? {} : { cookie }), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      redirect: "manual",
      signal: AbortSignal.timeout(20_000),
    });
    const setCookies = response.headers.getSetCookie();
    for (const header of setCookies) await this.jar.setCookie(header, url);
    const text = await response.text();
    return { status: response.status, headers: response.headers, setCookies, text, json: () => JSON.parse(text) };
  }

  signIn(username: string, password: string): Promise<Reply> {
    return this.request("POST", "/signin", {
      body: JSON.stringify({ username, password }),
      headers: { "content-type": "application/json" },
    });
  }

  /** The value of the token cookie in the jar, if any. */
  async token(): Promise<string | undefined> {
    const cookies = await this.jar.getCookies(this.baseUrl);
    return cookies.find((c) => c.key === "token")?.value;
  }

  /** Puts a token cookie in the jar, as a forged or replayed cookie would be. */
  async setToken(value: string): Promise<void> {
    await this.jar.setCookie(`token=${value}; Path=/`, this.baseUrl);
  }
}

/** A raw answer: status, lower-cased header lines and body. */
export interface RawReply {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/**
 * Sends bytes as they are to a server at `baseUrl` (fetch adds a Content-Type to a string body and
 * refuses some hostile headers) and reads the answer until the server closes.
 */
export function rawHttp(baseUrl: string, request: string): Promise<RawReply> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error("no answer")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const [head = "", body = ""] = text.split("\r\n\r\n", 2);
      resolve({ status: Number(head.split(" ")[1]), head: head.toLowerCase(), body });
    });
  });
}
