import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/** SHA-256 of a UTF-8 string, hex. Used to key link tokens: a table dump yields no usable link. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** HMAC-SHA-256 with a server-side pepper, hex. Used for API keys so a table dump cannot be brute-forced offline. */
export function hmacHex(pepper: Buffer, value: string): string {
  return createHmac('sha256', pepper).update(value, 'utf8').digest('hex');
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `bytes` random bytes as base64url: 16 bytes is 128 bits, 22 characters. */
export function randomToken(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/** A 32-byte key for one purpose, derived from a secret with HKDF-SHA-256, so one secret never serves two uses. */
export function deriveKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `console-launch-broker ${purpose}`, 32));
}

/** A sealing key and its id; the id is derived from the key, so key documents need no id field. */
export interface SealingKey {
  id: string;
  key: Buffer;
}

/** The key that seals now, and the keys of earlier rotations still accepted for reading. */
export interface Keyring {
  current: SealingKey;
  previous: readonly SealingKey[];
}

/** A short public name of a key (a hash prefix: it tells keys apart and reveals nothing usable). */
export function sealingKey(key: Buffer): SealingKey {
  return { id: createHash('sha256').update('key-id:').update(key).digest('base64url').slice(0, 8), key };
}

/** The value was sealed with a key this keyring does not hold (rotated elsewhere, or retired). */
export class UnknownSealingKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`sealed with key ${keyId}, which this keyring does not hold`);
    this.name = 'UnknownSealingKeyError';
  }
}

/** Seals with the keyring's current key; the result `v2.<keyId>.<iv>.<tag>.<ciphertext>` names the key. */
export function sealWith(ring: Keyring, plaintext: string, context: string): string {
  return `v2.${ring.current.id}.${seal(ring.current.key, plaintext, context).slice('v1.'.length)}`;
}

/**
 * Opens what `sealWith` (or, before key ids, `seal`) produced with any key of the ring, and says whether it
 * was the current one (else the caller reseals at its next write). A `v1` value names no key: each is tried.
 */
export function unsealWith(
  ring: Keyring,
  sealed: string,
  context: string,
): { plaintext: string; current: boolean } {
  const keys = [ring.current, ...ring.previous];
  if (sealed.startsWith('v1.')) {
    for (const candidate of keys) {
      try {
        return { plaintext: unseal(candidate.key, sealed, context), current: candidate === ring.current };
      } catch {
        // The next key, if any.
      }
    }
    throw new Error('sealed value opens with no key of the keyring');
  }
  const [version, keyId, ...rest] = sealed.split('.');
  if (version !== 'v2' || !keyId) throw new Error('sealed value has an unknown format');
  const key = keys.find((candidate) => candidate.id === keyId);
  if (!key) throw new UnknownSealingKeyError(keyId);
  return { plaintext: unseal(key.key, ['v1', ...rest].join('.'), context), current: key === ring.current };
}

/** Encrypts with AES-256-GCM; the result is `v1.<iv>.<tag>.<ciphertext>` in base64url. `context` is bound as AAD. */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Decrypts what `seal` produced with the same key and context; throws if anything was tampered with. */
export function unseal(key: Buffer, sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined)
    throw new Error('sealed value has an unknown format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
