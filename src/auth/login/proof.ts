import { ECDH, createECDH, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * The official DNS/HTTP domain proof: a record `v=MCPv1; k=<algorithm>; p=<base64 public key>` published by the
 * domain, and a signature over the exact bytes of an RFC 3339 timestamp. Ed25519 keys are the raw 32 bytes;
 * ECDSA P-384 keys are the 49-byte compressed point and signatures the 96-byte `r||s` over SHA-384.
 */
export type ProofAlgorithm = 'ed25519' | 'ecdsap384';
export const PROOF_ALGORITHMS: readonly ProofAlgorithm[] = ['ed25519', 'ecdsap384'];

/** Same expression as the official registry, so the same records are (and are not) recognised. */
export const PROOF_RECORD = /v=MCPv1;\s*k=([^;]+);\s*p=([A-Za-z0-9+/=]+)/;

export interface ProofKey {
  algorithm: ProofAlgorithm;
  /** The key bytes as published (raw Ed25519 or compressed P-384). */
  raw: Buffer;
  key: KeyObject;
}

/** A signature that is well-formed but made with another key; only these earn the stale-key hint. */
export class SignatureMismatch extends Error {}

const P384_SIGNATURE_BYTES = 96;
const P384_COORDINATE_BYTES = 48;

/** Go's base64.StdEncoding.DecodeString: padded standard alphabet only. */
function decodeStdBase64(text: string): Buffer {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new Error(`illegal base64 data at input byte ${Math.min(text.length, text.search(/=|$/))}`);
  }
  return Buffer.from(text, 'base64');
}

export function parseProofKey(algorithm: string, publicKey: string): ProofKey {
  let raw: Buffer;
  try {
    raw = decodeStdBase64(publicKey);
  } catch (error) {
    throw new Error(`failed to decode public key: ${(error as Error).message}`, { cause: error });
  }
  if (algorithm === 'ed25519') {
    if (raw.length !== 32) throw new Error('invalid Ed25519 public key size');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    return { algorithm, raw, key };
  }
  if (algorithm === 'ecdsap384') {
    if (raw.length !== 49) throw new Error('invalid ECDSA P-384 public key size');
    if (raw[0] !== 0x02 && raw[0] !== 0x03) {
      throw new Error('invalid ECDSA P-384 public key format (must be compressed, with a leading 0x02 or 0x03 byte)');
    }
    let point: Buffer;
    try {
      point = ECDH.convertKey(raw, 'secp384r1', undefined, undefined, 'uncompressed') as Buffer;
    } catch {
      throw new Error('failed to decompress ECDSA P-384 public key');
    }
    const x = point.subarray(1, 1 + P384_COORDINATE_BYTES).toString('base64url');
    const y = point.subarray(1 + P384_COORDINATE_BYTES).toString('base64url');
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-384', x, y }, format: 'jwk' });
    return { algorithm, raw, key };
  }
  throw new Error(`unsupported public key algorithm: ${algorithm}`);
}

/** Every `v=MCPv1` record in the inputs (the first one per input string), each parsed or with its parse error. */
export function parseProofRecords(inputs: readonly string[]): Array<{ key: ProofKey } | { error: Error }> {
  const found: Array<{ key: ProofKey } | { error: Error }> = [];
  for (const input of inputs) {
    const match = PROOF_RECORD.exec(input);
    if (!match) continue;
    try {
      found.push({ key: parseProofKey(match[1] as string, match[2] as string) });
    } catch (error) {
      found.push({ error: error as Error });
    }
  }
  return found;
}

/** `<algorithm>:<first 8 base64 characters of the key>`, the official short key identifier. */
export function fingerprint(key: ProofKey): string {
  return `${key.algorithm}:${key.raw.toString('base64').slice(0, 8)}`;
}

export function verifyProofSignature(key: ProofKey, message: Buffer, signature: Buffer): void {
  if (key.algorithm === 'ed25519') {
    if (signature.length !== 64) throw new Error('invalid signature size for Ed25519');
    if (!verify(null, message, key.key, signature)) throw new SignatureMismatch('Ed25519: signature does not match');
    return;
  }
  if (signature.length !== P384_SIGNATURE_BYTES) throw new Error('invalid signature size for ECDSA P-384');
  if (!verify('sha384', message, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature)) {
    throw new SignatureMismatch('ECDSA P-384: signature does not match public key');
  }
}

/** Tries every key; the official messages: a structural failure as is, else the fingerprints of all keys tried. */
export function verifyWithAnyKey(keys: readonly ProofKey[], message: Buffer, signature: Buffer): void {
  let last: Error | undefined;
  let allMismatch = true;
  for (const key of keys) {
    try {
      verifyProofSignature(key, message, signature);
      return;
    } catch (error) {
      last = error as Error;
      if (!(error instanceof SignatureMismatch)) allMismatch = false;
    }
  }
  if (!allMismatch && last) throw last;
  const prints = keys.map(fingerprint);
  if (keys.length === 1) {
    throw new Error(
      `signature verification failed (tried published key ${prints[0]}); ` +
        'if this is not the key you are signing with, the published record may be stale',
    );
  }
  throw new Error(
    `signature verification failed against all ${keys.length} published keys (tried: ${prints.join(', ')}); ` +
      'if you recently rotated keys, remove any stale records from the apex domain',
  );
}

// ---- Client side (CLI): key files, records, signing ----

/** The private half of a proof key, as the CLI keeps it. */
export interface ProofSigner {
  algorithm: ProofAlgorithm;
  privateKey: KeyObject;
  /** The public key bytes exactly as published in the record. */
  publicRaw: Buffer;
}

export function publicRawOf(algorithm: ProofAlgorithm, publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (algorithm === 'ed25519') return Buffer.from(jwk.x as string, 'base64url');
  const x = Buffer.from(jwk.x as string, 'base64url');
  const y = Buffer.from(jwk.y as string, 'base64url');
  const prefix = (y[y.length - 1] as number) % 2 === 0 ? 0x02 : 0x03;
  return Buffer.concat([Buffer.from([prefix]), x]);
}

export function generateProofSigner(algorithm: ProofAlgorithm): ProofSigner {
  const { privateKey, publicKey } =
    algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-384' });
  return { algorithm, privateKey, publicRaw: publicRawOf(algorithm, publicKey) };
}

/**
 * Reads a private key file: PKCS#8 PEM (what `wharf keygen` writes; the algorithm follows from the key), or the
 * official CLI's hex form (a 32-byte Ed25519 seed or a 48-byte P-384 scalar, told apart by length).
 */
export function signerFromKeyText(text: string, algorithm?: ProofAlgorithm): ProofSigner {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    const privateKey = createPrivateKey(trimmed);
    const detected = detectAlgorithm(privateKey);
    if (algorithm && algorithm !== detected) {
      throw new Error(`the key file holds an ${detected} key, not ${algorithm}`);
    }
    return { algorithm: detected, privateKey, publicRaw: publicRawOf(detected, createPublicKey(privateKey)) };
  }
  if (!/^[0-9a-fA-F]+$/.test(trimmed)) {
    throw new Error('the key file is neither a PEM private key nor a hex-encoded key');
  }
  const bytes = Buffer.from(trimmed, 'hex');
  const chosen = algorithm ?? (bytes.length === 32 ? 'ed25519' : bytes.length === 48 ? 'ecdsap384' : undefined);
  if (chosen === 'ed25519' && bytes.length === 32) {
    // PKCS#8 wrapper for a raw Ed25519 seed (RFC 8410).
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), bytes]);
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    return { algorithm: chosen, privateKey, publicRaw: publicRawOf(chosen, createPublicKey(privateKey)) };
  }
  if (chosen === 'ecdsap384' && bytes.length === 48) {
    const pair = createECDH('secp384r1');
    pair.setPrivateKey(bytes);
    const point = pair.getPublicKey();
    const jwk = {
      kty: 'EC',
      crv: 'P-384',
      d: bytes.toString('base64url'),
      x: point.subarray(1, 49).toString('base64url'),
      y: point.subarray(49).toString('base64url'),
    };
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    return { algorithm: chosen, privateKey, publicRaw: publicRawOf(chosen, createPublicKey(privateKey)) };
  }
  throw new Error(
    `a hex key must be 64 hex characters (Ed25519 seed) or 96 (P-384 private scalar); got ${trimmed.length}`,
  );
}

function detectAlgorithm(key: KeyObject): ProofAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') return 'ecdsap384';
  throw new Error(
    `unsupported key type ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ''}: use an Ed25519 or ECDSA P-384 key`,
  );
}

export function proofRecord(signer: Pick<ProofSigner, 'algorithm' | 'publicRaw'>): string {
  return `v=MCPv1; k=${signer.algorithm}; p=${signer.publicRaw.toString('base64')}`;
}

/** Hex signature over the timestamp bytes, in the official format for the algorithm. */
export function signTimestamp(signer: ProofSigner, timestamp: string): string {
  const message = Buffer.from(timestamp, 'utf8');
  const signature =
    signer.algorithm === 'ed25519'
      ? sign(null, message, signer.privateKey)
      : sign('sha384', message, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  return signature.toString('hex');
}

/** `time.Now().UTC().Format(time.RFC3339)`: second precision, `Z`. */
export function rfc3339Now(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function privateKeyPem(signer: ProofSigner): string {
  return signer.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
}
