// CURVE key pairs and their files. The files are CZMQ's certificate format (`zcert_save`): NAME
// holds the public key, NAME_secret both keys, so pyzmq's zmq.auth.load_certificate and CZMQ read
// them too. `omniloop keys --out keys/server` writes keys/server.key and keys/server.key_secret.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { curveKeyPair } from "zeromq";
import { RemotePolicyConfigError } from "./errors.ts";

export interface KeyPair {
  publicKey: string; // Z85, 40 characters
  secretKey: string;
}

export interface Certificate {
  publicKey: string;
  secretKey?: string;
}

const Z85 = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

export const isZ85Key = (text: string): boolean => Z85.test(text);

export function makeKeyPair(): KeyPair {
  return curveKeyPair();
}

function certificateText(pair: Certificate, kind: "public" | "secret", now: Date): string {
  const stamp = now.toISOString().replace("T", " ").slice(0, 19);
  const lines = [
    `#   ****  Generated on ${stamp} by omniloop keys  ****`,
    kind === "public" ? "#   ZeroMQ CURVE Public Certificate" : "#   ZeroMQ CURVE **Secret** Certificate",
    kind === "public"
      ? "#   Give this file to the peers that must trust this key."
      : "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
    "",
    "metadata",
    "curve",
    `    public-key = "${pair.publicKey}"`,
  ];
  if (kind === "secret") lines.push(`    secret-key = "${pair.secretKey}"`);
  return lines.join("\n") + "\n";
}

/** Writes `base` (public) and `base_secret` (mode 0600); refuses to overwrite unless `force`. */
export function writeCertificates(base: string, pair: KeyPair, options: { force?: boolean; now?: Date } = {}): { publicFile: string; secretFile: string } {
  const publicFile = base;
  const secretFile = `${base}_secret`;
  for (const f of [publicFile, secretFile]) {
    if (existsSync(f) && !options.force) {
      throw new RemotePolicyConfigError(`${f} exists: refusing to overwrite a key (pass --force to replace it, and redistribute the new public key)`);
    }
  }
  mkdirSync(dirname(base), { recursive: true });
  const now = options.now ?? new Date();
  writeFileSync(publicFile, certificateText(pair, "public", now));
  writeFileSync(secretFile, certificateText(pair, "secret", now), { mode: 0o600 });
  chmodSync(secretFile, 0o600); // mode applies only when the file is created
  return { publicFile, secretFile };
}

/** Reads a certificate file (public or secret). */
export function readCertificate(path: string): Certificate {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new RemotePolicyConfigError(`key file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)}); make one with \`omniloop keys --out PATH\``);
  }
  const field = (name: string): string | undefined => {
    const m = new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"\\s*$`, "m").exec(text);
    return m?.[1];
  };
  const publicKey = field("public-key");
  const secretKey = field("secret-key");
  if (publicKey === undefined) throw new RemotePolicyConfigError(`key file ${path}: no public-key = "…" line; expected a ZeroMQ certificate made by \`omniloop keys\``);
  for (const [name, key] of [["public-key", publicKey], ["secret-key", secretKey]] as const) {
    if (key !== undefined && !isZ85Key(key)) {
      throw new RemotePolicyConfigError(`key file ${path}: ${name} is not a Z85 CURVE key (expected 40 Z85 characters, found ${key.length} characters)`);
    }
  }
  return secretKey === undefined ? { publicKey } : { publicKey, secretKey };
}

/** A key pair from a secret certificate; names the file when it holds only a public key. */
export function readKeyPair(path: string): KeyPair {
  const cert = readCertificate(path);
  if (!cert.secretKey) {
    throw new RemotePolicyConfigError(`key file ${path}: holds a public key only; this side needs its secret certificate (the file ending in _secret)`);
  }
  return { publicKey: cert.publicKey, secretKey: cert.secretKey };
}

/** A peer's public key: a certificate file, or the 40-character Z85 key itself. */
export function readPublicKey(pathOrKey: string): string {
  if (!existsSync(pathOrKey) && isZ85Key(pathOrKey)) return pathOrKey;
  return readCertificate(pathOrKey).publicKey;
}
