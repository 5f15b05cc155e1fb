import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fingerprint,
  generateProofSigner,
  parseProofKey,
  parseProofRecords,
  proofRecord,
  rfc3339Now,
  signTimestamp,
  signerFromKeyText,
  verifyWithAnyKey,
} from '../../../src/auth/login/proof.js';
import type { ProofSigner } from '../../../src/auth/login/proof.js';

const verifies = (signer: ProofSigner) => {
  const timestamp = rfc3339Now();
  const [parsed] = parseProofRecords([proofRecord(signer)]);
  if (!parsed || !('key' in parsed)) throw new Error('record did not parse');
  verifyWithAnyKey([parsed.key], Buffer.from(timestamp), Buffer.from(signTimestamp(signer, timestamp), 'hex'));
};

describe('domain proof keys', () => {
  it('signs and verifies with generated Ed25519 and P-384 keys, through PEM files too', () => {
    for (const algorithm of ['ed25519', 'ecdsap384'] as const) {
      const signer = generateProofSigner(algorithm);
      expect(signer.publicRaw.length).toBe(algorithm === 'ed25519' ? 32 : 49);
      verifies(signer);
      const pem = signer.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      const reloaded = signerFromKeyText(pem);
      expect(reloaded.algorithm).toBe(algorithm);
      expect(proofRecord(reloaded)).toBe(proofRecord(signer));
    }
  });

  it('reads the official CLI hex keys: a 32-byte Ed25519 seed and a 48-byte P-384 scalar', () => {
    const ed = signerFromKeyText(randomBytes(32).toString('hex'));
    expect(ed.algorithm).toBe('ed25519');
    verifies(ed);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const scalar = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
    const p384 = signerFromKeyText(`${scalar.toString('hex')}\n`);
    expect(p384.algorithm).toBe('ecdsap384');
    verifies(p384);
    expect(() => signerFromKeyText('abcd')).toThrow('a hex key must be 64 hex characters');
    expect(() => signerFromKeyText(randomBytes(32).toString('hex'), 'ecdsap384')).toThrow();
  });

  it('refuses malformed keys with the official messages', () => {
    expect(() => parseProofKey('ed25519', 'not base64!')).toThrow('failed to decode public key');
    expect(() => parseProofKey('rsa', 'AAAA')).toThrow('unsupported public key algorithm: rsa');
    expect(() => parseProofKey('ecdsap384', Buffer.alloc(49, 4).toString('base64'))).toThrow(
      'invalid ECDSA P-384 public key format (must be compressed, with a leading 0x02 or 0x03 byte)',
    );
    const offCurve = Buffer.concat([Buffer.from([2]), Buffer.alloc(48, 0xff)]).toString('base64');
    expect(() => parseProofKey('ecdsap384', offCurve)).toThrow('failed to decompress ECDSA P-384 public key');
  });

  it('uses only the first record per string and fingerprints by the first 8 base64 characters', () => {
    const a = generateProofSigner('ed25519');
    const b = generateProofSigner('ed25519');
    const parsed = parseProofRecords([`${proofRecord(a)} ${proofRecord(b)}`, 'v=spf1 -all']);
    expect(parsed).toHaveLength(1);
    const key = (parsed[0] as { key: Parameters<typeof fingerprint>[0] }).key;
    expect(fingerprint(key)).toBe(`ed25519:${a.publicRaw.toString('base64').slice(0, 8)}`);
  });

  it('reports a wrong-size signature as such rather than as a stale key', () => {
    const signer = generateProofSigner('ecdsap384');
    const key = parseProofKey('ecdsap384', signer.publicRaw.toString('base64'));
    expect(() => verifyWithAnyKey([key], Buffer.from('x'), Buffer.alloc(95))).toThrow(
      'invalid signature size for ECDSA P-384',
    );
  });
});
