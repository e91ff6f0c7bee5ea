// CURVE on the policy link: key files, a client with the server's key is served, a client with a
// wrong key (or none) is refused at the handshake, listed client keys only when the server says so.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RemotePolicy } from "../../src/policy/remote/client.ts";
import { RemotePolicyConfigError, RemotePolicyRefusedError } from "../../src/policy/remote/errors.ts";
import { makeKeyPair, readCertificate, readKeyPair, readPublicKey, writeCertificates } from "../../src/policy/remote/keys.ts";
import type { PolicyServer } from "../../src/policy/remote/server.ts";
import { z85Encode } from "../../src/policy/remote/zap.ts";
import { prefix, startServer } from "./fixtures.ts";

const serverKeys = makeKeyPair();
const admitted = makeKeyPair();
let open: PolicyServer; // CURVE, any client holding the server key
let listed: PolicyServer; // CURVE, admitted client keys only

before(async () => {
  open = await startServer("zmq://127.0.0.1:0", { curve: serverKeys });
  listed = await startServer("zmq://127.0.0.1:0", { curve: serverKeys, authorizedKeys: [admitted.publicKey] });
});
after(async () => {
  await Promise.all([open.close(), listed.close()]);
});

test("key files are CZMQ certificates: public in NAME, both keys in NAME_secret (mode 0600)", () => {
  const dir = mkdtempSync(join(tmpdir(), "omniloop-keys-"));
  const pair = makeKeyPair();
  const { publicFile, secretFile } = writeCertificates(join(dir, "server.key"), pair, { now: new Date("2025-01-02T03:04:05Z") });
  assert.equal(publicFile, join(dir, "server.key"));
  assert.equal(secretFile, join(dir, "server.key_secret"));
  const text = readFileSync(publicFile, "utf8");
  assert.match(text, /^#   \*\*\*\*  Generated on 2025-01-02 03:04:05 by omniloop keys  \*\*\*\*\n/);
  assert.match(text, new RegExp(`\\nmetadata\\ncurve\\n    public-key = "${pair.publicKey.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"\\n$`));
  assert.ok(!text.includes(pair.secretKey), "the public file holds no secret");
  assert.equal(statSync(secretFile).mode & 0o777, 0o600);
  assert.deepEqual(readKeyPair(secretFile), pair);
  assert.deepEqual(readCertificate(publicFile), { publicKey: pair.publicKey });
  assert.equal(readPublicKey(publicFile), pair.publicKey);
  assert.equal(readPublicKey(pair.publicKey), pair.publicKey, "a bare Z85 key is accepted too");
  assert.throws(() => writeCertificates(join(dir, "server.key"), makeKeyPair()), (err: unknown) => {
    assert.ok(err instanceof RemotePolicyConfigError);
    assert.equal(err.message, `${publicFile} exists: refusing to overwrite a key (pass --force to replace it, and redistribute the new public key)`);
    return true;
  });
  assert.throws(() => readKeyPair(publicFile), /holds a public key only; this side needs its secret certificate \(the file ending in _secret\)/);
  assert.throws(() => readCertificate(join(dir, "nope")), /key file .*nope: cannot read it \(ENOENT\); make one with `omniloop keys --out PATH`/);
});

test("z85 encodes as libzmq does (RFC 32 test vector)", () => {
  assert.equal(z85Encode(Uint8Array.of(0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b)), "HelloWorld");
});

test("a client with the server's public key is served over CURVE", async () => {
  const remote = await RemotePolicy.connect({ url: open.endpoint, serverKey: serverKeys.publicKey, deadlineMs: 2000 });
  try {
    const p = await remote.start(prefix());
    assert.equal(p.step, prefix().length);
  } finally {
    await remote.close();
  }
});

test("a client with a wrong server key is refused at the handshake", async () => {
  const server = await startServer("zmq://127.0.0.1:0", { curve: serverKeys }); // its own: no other client's traffic
  try {
    await assert.rejects(RemotePolicy.connect({ url: server.endpoint, serverKey: makeKeyPair().publicKey, connectTimeoutMs: 600 }), (err: unknown) => {
      assert.ok(err instanceof RemotePolicyRefusedError, String(err));
      assert.match(err.message, /^zmq:\/\/127\.0\.0\.1:\d+: the server refused the CURVE handshake: wrong server key, or the server expects another mechanism/);
      return true;
    });
    assert.ok(server.stats().refused > 0, "the server counted the refusal");
    assert.equal(server.stats().requests, 0, "and never saw a request from it");
  } finally {
    await server.close();
  }
});

test("a client without any key is refused by a CURVE server", async () => {
  await assert.rejects(RemotePolicy.connect({ url: open.endpoint, connectTimeoutMs: 600 }), (err: unknown) => {
    assert.ok(err instanceof RemotePolicyRefusedError, String(err));
    return true;
  });
});

test("with authorised keys, only those clients are admitted", async () => {
  const ok = await RemotePolicy.connect({ url: listed.endpoint, serverKey: serverKeys.publicKey, clientKeys: admitted, deadlineMs: 2000 });
  await ok.close();
  await assert.rejects(
    RemotePolicy.connect({ url: listed.endpoint, serverKey: serverKeys.publicKey, clientKeys: makeKeyPair(), connectTimeoutMs: 600 }),
    (err: unknown) => {
      assert.ok(err instanceof RemotePolicyRefusedError, String(err));
      assert.match(err.message, /: the server refused the CURVE handshake: this client's key is not authorised by the server/);
      return true;
    },
  );
  assert.ok(listed.stats().refused >= 1);
});

test("binding a non-loopback address without a key pair is refused, naming the fix", async () => {
  await assert.rejects(startServer("zmq://0.0.0.0:5999"), (err: unknown) => {
    assert.ok(err instanceof RemotePolicyConfigError);
    assert.equal(
      err.message,
      "zmq://0.0.0.0:5999: refusing to bind a non-loopback address without CURVE keys (observations and actions would cross the network unencrypted); pass --key SERVER.key_secret (make one with `omniloop keys`), or use 127.0.0.1",
    );
    return true;
  });
});
