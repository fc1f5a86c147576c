// The HTTP API's CORS configuration, from ALLOWED_ORIGINS: none when it is unset (API Gateway then
// adds no CORS header and approves no preflight), or credentials for exactly the listed origins.
// serverless.yml reads it as `${file(./serverless-cors.cjs)}`; local/gateway-proxy.ts applies the
// same object in front of serverless-offline. A CommonJS file because the framework require()s it;
// shared/config.ts validates the same variable again when a function starts.
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

function corsFor(env) {
  const raw = (env.ALLOWED_ORIGINS ?? "").trim();
  if (raw === "") return false;
  const allowedOrigins = [...new Set(raw.split(",").map((origin) => origin.trim().toLowerCase()))];
  for (const origin of allowedOrigins) {
    if (!ORIGIN.test(origin)) {
      throw new Error(
        `ALLOWED_ORIGINS must be comma-separated origins such as https://app.example.com, got "${origin}"`,
      );
    }
  }
  return {
    allowedOrigins,
    allowCredentials: true,
    allowedMethods: ["GET", "POST"],
    allowedHeaders: ["content-type"],
    maxAge: 600,
  };
}

module.exports = () => corsFor(process.env);
module.exports.corsFor = corsFor;
