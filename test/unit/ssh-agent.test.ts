// berth's own SSH agent for `build.ssh: [id=KEYFILE]`: the keys ssh-keygen wrote (fixtures/ssh) read back to the
// exact public blobs of their .pub files, and the agent protocol over a real socket lists them and signs with
// them, each signature checked against the key's public half.
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { answer, readKeyFile, startKeyAgent } from '../../src/engine/ssh-agent.js';

const dir = path.resolve(import.meta.dirname, '../../fixtures/ssh');
const key = (f: string) => path.join(dir, f);
const pubBlob = (f: string) => Buffer.from(readFileSync(key(`${f}.pub`), 'utf8').split(' ')[1]!, 'base64');

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str = (b: Buffer | string) => {
  const x = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([u32(x.length), x]);
};
/** Reads SSH strings out of a buffer, in order. */
function strings(b: Buffer, at = 0): Buffer[] {
  const out: Buffer[] = [];
  while (at + 4 <= b.length) {
    const n = b.readUInt32BE(at);
    out.push(b.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

/** One request to the agent on its socket, the answer's type and body. */
async function ask(socket: string, type: number, body: Buffer = Buffer.alloc(0)): Promise<[number, Buffer]> {
  const s = connect(socket);
  s.write(Buffer.concat([u32(body.length + 1), Buffer.from([type]), body]));
  let got = Buffer.alloc(0);
  for await (const chunk of s) {
    got = Buffer.concat([got, chunk as Buffer]);
    if (got.length >= 4 && got.length >= 4 + got.readUInt32BE(0)) break;
  }
  s.destroy();
  return [got[4]!, got.subarray(5, 4 + got.readUInt32BE(0))];
}

const KEYS = ['id_ed25519', 'id_rsa', 'id_ecdsa256', 'id_ecdsa384', 'id_ecdsa521'];

describe('key files', () => {
  test.each(KEYS)(
    "%s (OpenSSH format): the public blob is the .pub file's, the comment is kept",
    async (f) => {
      const [k, ...more] = await readKeyFile(key(f));
      expect(more).toEqual([]);
      expect(k!.blob.equals(pubBlob(f))).toBe(true);
      expect(k!.comment).toBe(
        readFileSync(key(`${f}.pub`), 'utf8')
          .trim()
          .split(' ')[2],
      );
    },
  );

  test('PEM (PKCS#1) reads to the same key as the OpenSSH file', async () => {
    const [k] = await readKeyFile(key('id_rsa_pem'));
    expect(k!.blob.equals(pubBlob('id_rsa'))).toBe(true);
  });

  test('a passphrase-protected key, a missing file and a file that is no key are refused, naming the file', async () => {
    await expect(readKeyFile(key('id_locked'))).rejects.toThrow(/id_locked is protected by a passphrase/);
    await expect(readKeyFile(key('nope'))).rejects.toThrow(/nope: no such file/);
    await expect(readKeyFile(key('README.md'))).rejects.toThrow(
      /README\.md is not a private key berth can read/,
    );
  });
});

describe('the agent on its socket', () => {
  test('lists every key, signs with each (RSA with the hash asked for), and fails what it cannot do', async () => {
    const agent = await startKeyAgent(KEYS.map(key));
    try {
      const [type, body] = await ask(agent.socket, 11);
      expect(type).toBe(12);
      expect(body.readUInt32BE(0)).toBe(KEYS.length);
      const listed = strings(body, 4);
      expect(listed.filter((_, i) => i % 2 === 0).map((b) => b.toString('base64'))).toEqual(
        KEYS.map((f) => pubBlob(f).toString('base64')),
      );

      const data = Buffer.from('session id and user auth request, as ssh signs them');
      for (const [f, flags, alg, hash] of [
        ['id_ed25519', 0, 'ssh-ed25519', null],
        ['id_rsa', 4, 'rsa-sha2-512', 'sha512'],
        ['id_rsa', 2, 'rsa-sha2-256', 'sha256'],
        ['id_rsa', 0, 'ssh-rsa', 'sha1'],
        ['id_ecdsa256', 0, 'ecdsa-sha2-nistp256', 'sha256'],
        ['id_ecdsa384', 0, 'ecdsa-sha2-nistp384', 'sha384'],
        ['id_ecdsa521', 0, 'ecdsa-sha2-nistp521', 'sha512'],
      ] as const) {
        const [t, b] = await ask(agent.socket, 13, Buffer.concat([str(pubBlob(f)), str(data), u32(flags)]));
        expect(t, f).toBe(14);
        const [sig] = strings(b);
        const [name, raw] = strings(sig!);
        expect(name!.toString()).toBe(alg);
        // the public half (equal to the .pub file's, above) checks the signature, and only for this data
        const pub = createPublicKey((await readKeyFile(key(f)))[0]!.key);
        const checks = (signed: Buffer) => {
          if (!alg.startsWith('ecdsa')) return verify(hash, signed, pub, raw!);
          // r and s as mpints: back to fixed-width halves
          const [r, s] = strings(raw!);
          const size = Math.ceil(Number(alg.slice(-3)) / 8);
          const fixed = (x: Buffer) => Buffer.concat([Buffer.alloc(size), x]).subarray(-size);
          return verify(
            hash,
            signed,
            { key: pub, dsaEncoding: 'ieee-p1363' },
            Buffer.concat([fixed(r!), fixed(s!)]),
          );
        };
        expect(checks(data), `${f} ${alg}`).toBe(true);
        expect(checks(Buffer.from('something else')), `${f} ${alg}`).toBe(false);
      }

      // a key it does not hold, and requests it does not serve (add identity: 17): failure (5)
      const [t1] = await ask(agent.socket, 13, Buffer.concat([str(pubBlob('id_locked')), str(data), u32(0)]));
      expect(t1).toBe(5);
      const [t2] = await ask(agent.socket, 17, str('ssh-ed25519'));
      expect(t2).toBe(5);
    } finally {
      await agent.close();
    }
  });

  test('a malformed request gets a failure answer, not a crash', async () => {
    const keys = await readKeyFile(key('id_ed25519'));
    expect(answer(keys, Buffer.from([13, 0, 0, 0, 99]))[4]).toBe(5);
    expect(answer(keys, Buffer.from([]))[4]).toBe(5);
  });
});
