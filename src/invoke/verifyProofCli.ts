import fs from 'node:fs';
import { type DeliveryProofMessage, proofSigner } from './deliveryProof';

/**
 * `bourse verify-proof <file>`: checks a saved proof (the answer of GET /api/invoke/v1/proof) offline. Prints the
 * recovered signer and the fields; exits 1 when the signature does not recover to the proof's provider.
 */
export function verifyProofFile(file: string, out: NodeJS.WritableStream = process.stdout): boolean {
  const proof = JSON.parse(fs.readFileSync(file, 'utf8')) as { message?: DeliveryProofMessage; signature?: string };
  if (!proof.message || typeof proof.signature !== 'string') {
    out.write('not a delivery proof: message and signature are required\n');
    return false;
  }
  const signer = proofSigner(proof.message, proof.signature);
  const valid = signer !== undefined && signer === String(proof.message.provider).toLowerCase();
  out.write(`signer: ${signer ?? '(signature malformed)'}\n`);
  for (const [name, value] of Object.entries(proof.message)) out.write(`${name}: ${String(value)}\n`);
  out.write(valid ? 'valid: signed by the provider\n' : 'INVALID: not signed by the provider\n');
  return valid;
}
