import { keccak256, toUtf8Bytes, verifyMessage, verifyTypedData } from 'ethers';

/**
 * The delivery proof as EIP-712 typed data: what a provider's runner signs as an invocation ends and anyone can check
 * offline with `ethers.verifyTypedData`. Light on purpose (ethers only): the `verify-proof` CLI loads nothing else.
 */
export const PROOF_DOMAIN = { name: 'Bourse', version: '1' } as const;

export const PROOF_TYPES = {
  DeliveryProof: [
    { name: 'jobId', type: 'string' },
    { name: 'serviceId', type: 'string' },
    { name: 'serviceVersion', type: 'uint256' },
    { name: 'agreementId', type: 'string' },
    { name: 'consumer', type: 'address' },
    { name: 'provider', type: 'address' },
    { name: 'inputsHash', type: 'bytes32' },
    { name: 'outputsHash', type: 'bytes32' },
    { name: 'status', type: 'string' },
    { name: 'startedAt', type: 'uint256' },
    { name: 'finishedAt', type: 'uint256' },
  ],
};

export interface DeliveryProofMessage {
  jobId: string;
  serviceId: string;
  serviceVersion: number;
  agreementId: string;
  consumer: string;
  provider: string;
  inputsHash: string;
  outputsHash: string;
  status: string;
  /** Epoch seconds; 0 when the job never started. */
  startedAt: number;
  finishedAt: number;
}

export interface SignedDeliveryProof {
  domain: typeof PROOF_DOMAIN;
  types: typeof PROOF_TYPES;
  primaryType: 'DeliveryProof';
  message: DeliveryProofMessage;
  signature: string;
  signer: string;
}

/** RFC 8785 (JCS) canonical JSON of a value parsed from JSON: keys sorted by UTF-16 code units, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** keccak256 of the canonical JSON of the invoke payload body. */
export function inputsHash(payload: unknown): string {
  return keccak256(toUtf8Bytes(canonicalJson(payload)));
}

/** keccak256 of the canonical JSON of the result files as `[[name, sha256hex], …]` sorted by name. */
export function outputsHash(files: Array<{ name: string; sha256: string }>): string {
  const pairs = files.map((f) => [f.name, f.sha256]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keccak256(toUtf8Bytes(canonicalJson(pairs)));
}

/** The address that signed `message` (lower case), or undefined when the signature is malformed. */
export function proofSigner(message: DeliveryProofMessage, signature: string): string | undefined {
  try {
    return verifyTypedData(PROOF_DOMAIN, PROOF_TYPES, message, signature).toLowerCase();
  } catch {
    return undefined;
  }
}

/** The address that signed `text` with EIP-191 (lower case), or undefined when the signature is malformed. */
export function messageSigner(text: string, signature: string): string | undefined {
  try {
    return verifyMessage(text, signature).toLowerCase();
  } catch {
    return undefined;
  }
}
