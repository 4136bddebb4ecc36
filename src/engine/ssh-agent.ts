// A minimal SSH agent for `build.ssh: [id=/path/to/key]`: as `docker buildx build --ssh id=KEYFILE` does, the
// key files are served by an agent of berth's own on a private socket, which the BuildKit session forwards
// like any other agent. It only lists its keys and signs with them (the two requests a `git clone` or `ssh`
// inside `RUN --mount=type=ssh` makes); it never adds, removes or exports a key.
//
// Key files: OpenSSH's own format (`-----BEGIN OPENSSH PRIVATE KEY-----`, what ssh-keygen writes) and PEM
// (PKCS#1, PKCS#8, SEC1), for Ed25519, RSA and ECDSA P-256/384/521. A passphrase-protected key is refused with
// a message: berth does not prompt in the middle of a build; load it into an agent (`ssh-add`) instead.
import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One key the agent holds: the private key, its public blob (what `ssh-add -L` shows, base64) and a comment. */
export interface AgentKey {
  key: KeyObject;
  blob: Buffer;
  comment: string;
}

// --- SSH wire format ------------------------------------------------------------------------------------

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const sshString = (b: Buffer | string) => {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([u32(buf.length), buf]);
};
/** An mpint from big-endian unsigned bytes: no leading zeros, one zero byte when the top bit is set. */
const mpint = (unsigned: Buffer) => {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  let b = unsigned.subarray(i);
  if (b.length > 0 && b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
};

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean {
    return this.at >= this.buf.length;
  }
  uint32(): number {
    if (this.at + 4 > this.buf.length) throw new Error('truncated');
    const n = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return n;
  }
  bytes(): Buffer {
    const n = this.uint32();
    if (this.at + n > this.buf.length) throw new Error('truncated');
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  text(): string {
    return this.bytes().toString('utf8');
  }
}

const b64u = (b: Buffer) => b.toString('base64url');
/** An mpint's magnitude (SSH mpints of keys are never negative). */
const unsigned = (b: Buffer) => (b.length > 1 && b[0] === 0 ? b.subarray(1) : b);
const toBig = (b: Buffer) => BigInt(`0x${b.toString('hex') || '0'}`);
const fromBig = (n: bigint) => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
};

/** ECDSA curves by their SSH name, with their JWK and OpenSSL names and the hash SSH signs with. */
const CURVES: Record<string, { ssh: string; jwk: string; openssl: string; hash: string; size: number }> = {
  nistp256: { ssh: 'nistp256', jwk: 'P-256', openssl: 'prime256v1', hash: 'sha256', size: 32 },
  nistp384: { ssh: 'nistp384', jwk: 'P-384', openssl: 'secp384r1', hash: 'sha384', size: 48 },
  nistp521: { ssh: 'nistp521', jwk: 'P-521', openssl: 'secp521r1', hash: 'sha512', size: 66 },
};
const curveByJwk = (crv: string) => Object.values(CURVES).find((c) => c.jwk === crv);
const curveOf = (key: KeyObject) =>
  Object.values(CURVES).find((c) => c.openssl === key.asymmetricKeyDetails?.namedCurve);

// --- key files --------------------------------------------------------------------------------------------

/** The private keys of an OpenSSH-format key file (`openssh-key-v1`). */
function parseOpenSsh(text: string, file: string): Array<{ key: KeyObject; comment: string }> {
  const body = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  const raw = Buffer.from(body, 'base64');
  const magic = 'openssh-key-v1\0';
  if (raw.subarray(0, magic.length).toString('latin1') !== magic)
    throw new Error(`${file}: not an OpenSSH key`);
  const r = new Reader(raw.subarray(magic.length));
  const cipher = r.text();
  r.text(); // kdf name
  r.bytes(); // kdf options
  if (cipher !== 'none') throw new Error(`${file} is protected by a passphrase`);
  const count = r.uint32();
  for (let i = 0; i < count; i++) r.bytes(); // public keys, derived again from the private ones
  const priv = new Reader(r.bytes());
  const check = priv.uint32();
  if (priv.uint32() !== check) throw new Error(`${file}: the key's check bytes differ (corrupt file?)`);
  const out: Array<{ key: KeyObject; comment: string }> = [];
  for (let i = 0; i < count; i++) {
    const type = priv.text();
    let jwk: Record<string, string>;
    if (type === 'ssh-ed25519') {
      const pub = priv.bytes();
      const secret = priv.bytes(); // 32-byte seed, then the public key again
      jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(pub), d: b64u(secret.subarray(0, 32)) };
    } else if (type === 'ssh-rsa') {
      const [n, e, d, iqmp, p, q] = Array.from({ length: 6 }, () => unsigned(priv.bytes()));
      const dBig = toBig(d!);
      jwk = {
        kty: 'RSA',
        n: b64u(n!),
        e: b64u(e!),
        d: b64u(d!),
        p: b64u(p!),
        q: b64u(q!),
        dp: b64u(fromBig(dBig % (toBig(p!) - 1n))),
        dq: b64u(fromBig(dBig % (toBig(q!) - 1n))),
        qi: b64u(iqmp!),
      };
    } else if (type.startsWith('ecdsa-sha2-')) {
      const curve = CURVES[priv.text()];
      if (!curve) throw new Error(`${file}: unsupported ECDSA curve in ${type}`);
      const point = priv.bytes(); // 0x04 || x || y
      const d = unsigned(priv.bytes());
      const pad = (b: Buffer) => Buffer.concat([Buffer.alloc(Math.max(0, curve.size - b.length)), b]);
      jwk = {
        kty: 'EC',
        crv: curve.jwk,
        x: b64u(point.subarray(1, 1 + curve.size)),
        y: b64u(point.subarray(1 + curve.size)),
        d: b64u(pad(d)),
      };
    } else {
      throw new Error(`${file}: keys of type ${type} are not supported (use ed25519, rsa or ecdsa)`);
    }
    out.push({ key: createPrivateKey({ key: jwk, format: 'jwk' }), comment: priv.text() });
  }
  return out;
}

/** The agent's view of a private key: its public blob, as OpenSSH encodes it. */
function publicBlob(key: KeyObject): Buffer {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const bytes = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519')
    return Buffer.concat([sshString('ssh-ed25519'), sshString(bytes(jwk.x))]);
  if (jwk.kty === 'RSA')
    return Buffer.concat([sshString('ssh-rsa'), mpint(bytes(jwk.e)), mpint(bytes(jwk.n))]);
  const curve = jwk.kty === 'EC' ? curveByJwk(jwk.crv ?? '') : undefined;
  if (curve) {
    const point = Buffer.concat([Buffer.from([4]), bytes(jwk.x), bytes(jwk.y)]);
    return Buffer.concat([sshString(`ecdsa-sha2-${curve.ssh}`), sshString(curve.ssh), sshString(point)]);
  }
  throw new Error(`keys of type ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''} are not supported`);
}

/** Reads one key file (OpenSSH or PEM). Errors say which file and why, for the build's message. */
export async function readKeyFile(file: string): Promise<AgentKey[]> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  let keys: Array<{ key: KeyObject; comment: string }>;
  if (text.includes('BEGIN OPENSSH PRIVATE KEY')) keys = parseOpenSsh(text, file);
  else if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    throw new Error(`${file} is protected by a passphrase`);
  else {
    try {
      keys = [{ key: createPrivateKey(text), comment: file }];
    } catch {
      throw new Error(`${file} is not a private key berth can read (OpenSSH or PEM)`);
    }
  }
  return keys.map((k) => ({ ...k, blob: publicBlob(k.key) }));
}

// --- the agent protocol -----------------------------------------------------------------------------------

const FAILURE = 5;
const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;
const SIGN_REQUEST = 13;
const SIGN_RESPONSE = 14;
const RSA_SHA2_256 = 2;
const RSA_SHA2_512 = 4;

const frame = (type: number, body: Buffer = Buffer.alloc(0)) =>
  Buffer.concat([u32(body.length + 1), Buffer.from([type]), body]);

/** The signature blob for `data`, as OpenSSH expects it back from an agent. */
function signature(k: AgentKey, data: Buffer, flags: number): Buffer {
  const type = k.key.asymmetricKeyType;
  if (type === 'ed25519')
    return Buffer.concat([sshString('ssh-ed25519'), sshString(sign(null, data, k.key))]);
  if (type === 'rsa') {
    const [alg, hash] =
      flags & RSA_SHA2_512
        ? ['rsa-sha2-512', 'sha512']
        : flags & RSA_SHA2_256
          ? ['rsa-sha2-256', 'sha256']
          : ['ssh-rsa', 'sha1'];
    return Buffer.concat([sshString(alg!), sshString(sign(hash!, data, k.key))]);
  }
  const curve = curveOf(k.key);
  if (type === 'ec' && curve) {
    const rs = sign(curve.hash, data, { key: k.key, dsaEncoding: 'ieee-p1363' });
    const half = rs.length / 2;
    const inner = Buffer.concat([mpint(rs.subarray(0, half)), mpint(rs.subarray(half))]);
    return Buffer.concat([sshString(`ecdsa-sha2-${curve.ssh}`), sshString(inner)]);
  }
  throw new Error(`cannot sign with a ${type} key`);
}

/** The agent's answer to one request (a frame without its length prefix: type byte, then body). */
export function answer(keys: readonly AgentKey[], request: Buffer): Buffer {
  try {
    const type = request[0];
    const r = new Reader(request.subarray(1));
    if (type === REQUEST_IDENTITIES) {
      const parts = keys.flatMap((k) => [sshString(k.blob), sshString(k.comment)]);
      return frame(IDENTITIES_ANSWER, Buffer.concat([u32(keys.length), ...parts]));
    }
    if (type === SIGN_REQUEST) {
      const blob = r.bytes();
      const data = r.bytes();
      const flags = r.done ? 0 : r.uint32();
      const k = keys.find((x) => x.blob.equals(blob));
      if (!k) return frame(FAILURE);
      return frame(SIGN_RESPONSE, sshString(signature(k, data, flags)));
    }
  } catch {
    /* a malformed request: a failure answer, as ssh-agent gives */
  }
  return frame(FAILURE);
}

function serve(keys: readonly AgentKey[], socket: Socket): void {
  let pending = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 4) {
      const n = pending.readUInt32BE(0);
      // an agent request is small; a huge length is garbage, not something to buffer
      if (n > 256 * 1024) {
        socket.destroy();
        return;
      }
      if (pending.length < 4 + n) break;
      socket.write(answer(keys, pending.subarray(4, 4 + n)));
      pending = pending.subarray(4 + n);
    }
  });
  socket.on('error', () => {});
}

export interface KeyAgent {
  socket: string;
  close(): Promise<void>;
}

/** Serves the keys of `files` on a fresh socket in a private (0700) temporary folder, until `close()`. */
export async function startKeyAgent(files: readonly string[]): Promise<KeyAgent> {
  const keys = (await Promise.all(files.map(readKeyFile))).flat();
  const dir = await mkdtemp(join(tmpdir(), 'berth-ssh-'));
  const socket = join(dir, 'agent.sock');
  const server: Server = createServer((s) => serve(keys, s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  // never what keeps berth running: a build that failed half-way must not hang on a forgotten agent
  server.unref();
  return {
    socket,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
