/**
 * A software passkey authenticator for the in-process tests and `npm run bench` of the real
 * @simplewebauthn/server: an ES256 key, attestation `none`, and responses in WebAuthn's JSON
 * forms, signed for whatever origin, RP ID, flags and sign count a caller chooses (which no
 * browser would let a page do).
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";

/** Just enough CBOR (RFC 8949) for an attestation object and a COSE key. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  };
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  const entries = value instanceof Map ? [...value] : Object.entries(value as object);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest();
const b64url = (data: Buffer) => data.toString("base64url");

export const FLAGS = { UP: 0x01, UV: 0x04, AT: 0x40 } as const;

export interface Ceremony {
  readonly challenge: string;
  readonly origin: string;
  readonly rpId: string;
  readonly flags?: number;
  readonly type?: string;
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  signCount = 0;
  userHandle: string | undefined;

  constructor() {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    [this.#privateKey, this.#publicKey] = [pair.privateKey, pair.publicKey];
  }

  get id(): string {
    return b64url(this.credentialId);
  }

  #clientData(ceremony: Ceremony, type: string): Buffer {
    const { challenge, origin } = ceremony;
    return Buffer.from(JSON.stringify({ type: ceremony.type ?? type, challenge, origin, crossOrigin: false }));
  }

  /** A RegistrationResponseJSON answering creation options `ceremony`, remembering the user handle. */
  register(ceremony: Ceremony & { readonly userId?: string }): unknown {
    this.userHandle = ceremony.userId;
    const jwk = this.#publicKey.export({ format: "jwk" });
    const coseKey = new Map<number, unknown>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(String(jwk.x), "base64url")],
      [-3, Buffer.from(String(jwk.y), "base64url")],
    ]);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(this.credentialId.length);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.signCount);
    const authData = Buffer.concat([
      sha256(ceremony.rpId),
      Buffer.from([ceremony.flags ?? FLAGS.UP | FLAGS.UV | FLAGS.AT]),
      counter,
      Buffer.alloc(16),
      length,
      this.credentialId,
      cbor(coseKey),
    ]);
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(this.#clientData(ceremony, "webauthn.create")),
        attestationObject: b64url(cbor({ fmt: "none", attStmt: {}, authData })),
        transports: ["internal"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** An AuthenticationResponseJSON for request options `ceremony`, counting one more use. */
  authenticate(ceremony: Ceremony & { readonly signCount?: number; readonly signWith?: KeyObject }): unknown {
    this.signCount = ceremony.signCount ?? this.signCount + 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.signCount);
    const authData = Buffer.concat([
      sha256(ceremony.rpId),
      Buffer.from([ceremony.flags ?? FLAGS.UP | FLAGS.UV]),
      counter,
    ]);
    const clientData = this.#clientData(ceremony, "webauthn.get");
    const signature = sign(
      "sha256",
      Buffer.concat([authData, sha256(clientData)]),
      ceremony.signWith ?? this.#privateKey,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(this.userHandle === undefined ? {} : { userHandle: this.userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }
}
