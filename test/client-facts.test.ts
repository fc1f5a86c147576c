import { describe, expect, it } from "vitest";
import { clientFacts, deviceLabel } from "../shared/http/client-facts.ts";
import { httpApiEvent } from "./support/in-process.ts";

describe("deviceLabel", () => {
  it.each([
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
      "Chrome on Linux",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
      "Edge on Windows",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
      "Safari on iOS",
    ],
    ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox on macOS"],
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
      "Chrome on Android",
    ],
    ["curl/8.5.0", "curl"],
    ["", ""],
    ["something else", ""],
  ])("labels %j as %j", (agent, label) => {
    expect(deviceLabel(agent)).toBe(label);
  });
});

describe("clientFacts", () => {
  it("reads the User-Agent header and the source address of the request", () => {
    const event = httpApiEvent({ headers: { "User-Agent": "curl/8.5.0" } });
    expect(clientFacts(event)).toEqual({ device: "curl", ip: "127.0.0.1" });
  });
});
