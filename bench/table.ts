/** The bench's readable output: a Markdown table of one run's result, ready to paste. */

/** The fields of the bench's JSON result that the table shows. */
export interface BenchResult {
  date: string;
  machine: { node: string; cpus: number; cpu?: string | undefined };
  welcome_warm_us: number;
  jose_verify_floor_us: number;
  raw_hmac_verify_us: number;
  tutorial_verify_us: number;
  refresh_in_window_warm_us: number;
  refresh_too_early_warm_us: number;
  signin_wrong_password_warm_us: number;
  logout_warm_us: number;
  welcome_over_jose_floor: number;
  welcome_over_jose_floor_paired: number;
  welcome_over_jose_floor_cpu: number;
  tutorial_over_welcome: number;
  bundle_bytes: Record<string, number>;
  bundle_gzip_bytes: Record<string, number>;
  zip_bytes: Record<string, number>;
  load_ms: Record<string, number>;
  load_over_minimal: Record<string, number>;
  secret_fetches_per_1000_warm: number;
  secret_fetches_first_1000_new_container: number;
  secret_fetches_50_concurrent_cold: number;
  secret_fetches_50_concurrent_cold_signin: number;
  key_imports_per_1000_warm: number;
  key_imports_50_concurrent_cold: number;
  targets: Record<string, boolean>;
}

export function renderTable(result: BenchResult): string {
  const rows: [string, string, string][] = [
    [
      "welcome, warm",
      `${result.welcome_warm_us} µs`,
      `${result.welcome_over_jose_floor}x jose floor (≤ 1.3); paired ${result.welcome_over_jose_floor_paired}x, CPU ${result.welcome_over_jose_floor_cpu}x`,
    ],
    ["refresh, too early (400)", `${result.refresh_too_early_warm_us} µs`, ""],
    ["refresh, in window (200)", `${result.refresh_in_window_warm_us} µs`, "verify + sign"],
    ["signin, wrong password (401)", `${result.signin_wrong_password_warm_us} µs`, "scrypt N=2^15"],
    ["logout", `${result.logout_warm_us} µs`, ""],
    ["floor: raw node:crypto HMAC", `${result.raw_hmac_verify_us} µs`, "signature only"],
    ["floor: jose jwtVerify, CryptoKey", `${result.jose_verify_floor_us} µs`, "key imported once"],
    [
      "tutorial: jsonwebtoken, string",
      `${result.tutorial_verify_us} µs`,
      `${result.tutorial_over_welcome}x welcome (≥ 6)`,
    ],
  ];
  for (const [name, bytes] of Object.entries(result.bundle_bytes)) {
    const gzip = result.bundle_gzip_bytes[name];
    rows.push([
      `bundle ${name}`,
      `${bytes} B`,
      gzip !== undefined
        ? `gzip ${gzip} B, zip ${result.zip_bytes[name]} B`
        : name.endsWith("default_chain")
          ? "reference: without serverless.yml's alias"
          : "yardstick, same esbuild options",
    ]);
  }
  for (const [name, ms] of Object.entries(result.load_ms)) {
    const ratio = result.load_over_minimal[name];
    const note =
      name === "empty"
        ? "baseline, subtracted from the others"
        : ratio === undefined
          ? ""
          : `${ratio}x minimal (≤ 1.2)`;
    rows.push([`load ${name}`, `${ms} ms`, note]);
  }
  rows.push(
    [
      "GetSecretValue, 1,000 warm calls",
      String(result.secret_fetches_per_1000_warm),
      `key imports: ${result.key_imports_per_1000_warm}`,
    ],
    [
      "GetSecretValue, new container, 1,000",
      String(result.secret_fetches_first_1000_new_container),
      "≤ 1 per cache age",
    ],
    [
      "GetSecretValue, 50 concurrent cold",
      String(result.secret_fetches_50_concurrent_cold),
      `welcome: one shared fetch; key imports: ${result.key_imports_50_concurrent_cold}`,
    ],
    [
      "GetSecretValue, 50 cold sign-ins",
      String(result.secret_fetches_50_concurrent_cold_signin),
      "key + users: one each",
    ],
  );
  const width = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(width[i] ?? 0)).join(" | ")} |`;
  return [
    `serverless-jwt-auth bench, ${result.date}, ${result.machine.cpus} cores (${result.machine.cpu ?? "?"}), Node ${result.machine.node}`,
    "",
    line(["measure", "value", "note"]),
    line(width.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    ...Object.entries(result.targets).map(([name, held]) => `${held ? "held  " : "MISSED"} ${name}`),
  ].join("\n");
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
