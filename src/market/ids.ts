import { createHash, randomUUID } from 'node:crypto';
import { randomHex } from '../kernel/randomHex';
import { Invalid } from '../kernel/errors';

/**
 * Identifier formats of the Market API (subscriptions, proposals, agreements), generated and parsed here only.
 * A proposal is stored once under its 64-hex hash and shown as `R-<hex>` to the requestor, `P-<hex>` to the provider.
 */

export type Role = 'requestor' | 'provider';

function sha3(...parts: string[]): string {
  const hash = createHash('sha3-256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/** `<32 hex>-<64 hex>`: a random UUID (simple form) and a hash of what was subscribed, as yagna does. */
export function newSubscriptionId(fingerprint: string[]): string {
  return `${randomUUID().replace(/-/g, '')}-${sha3(...fingerprint)}`;
}

/** Validates a subscription id from a path; a malformed one is a 400 with yagna's wording. */
export function parseSubscriptionId(raw: string): string {
  const parts = raw.split('-');
  if (parts.length !== 2) throw new Invalid(`Path deserialize error: Subscription id [${raw}] has invalid format.`);
  if (!parts.every((p) => /^[0-9a-fA-F]*$/.test(p))) {
    throw new Invalid(`Path deserialize error: Subscription id [${raw}] contains non hexadecimal characters.`);
  }
  if (parts[0].length !== 32 || parts[1].length !== 64) {
    throw new Invalid(`Path deserialize error: Subscription id [${raw}] has invalid length. Should be |32|-|64|`);
  }
  return raw;
}

/**
 * The Initial proposal of a demand/offer pair. Derived, not random, so every instance that matches the pair
 * computes the same id and a duplicate creation is harmless. `generation` distinguishes renegotiations
 * of the same pair (e.g. the terminated agreement's id); the matcher uses generation '0'.
 */
export function initialProposalHex(demandId: string, offerId: string, generation: string): string {
  return sha3('initial', demandId, offerId, generation);
}

/** A counter-proposal's id: unique per call. */
export function counterProposalHex(prevHex: string): string {
  return sha3('counter', prevHex, randomUUID(), String(Date.now()));
}

const PREFIX: Record<Role, string> = { requestor: 'R', provider: 'P' };

export function renderProposalId(hex: string, viewer: Role): string {
  return `${PREFIX[viewer]}-${hex}`;
}

export interface ProposalRef {
  /** Whose rendering the id is: `R-` = requestor, `P-` = provider. */
  side: Role;
  hex: string;
}

/** Parses `R-<64 hex>` / `P-<64 hex>`; anything else is a 400 with yagna's wording. */
export function parseProposalId(raw: string): ProposalRef {
  const dash = raw.indexOf('-');
  if (dash < 0) throw new Invalid(`Path deserialize error: Id [${raw}] has invalid format.`);
  const owner = raw.slice(0, dash);
  const hex = raw.slice(dash + 1);
  if (owner !== 'R' && owner !== 'P') throw new Invalid(`Path deserialize error: Id [${raw}] has invalid owner type.`);
  if (!/^[0-9a-fA-F]*$/.test(hex))
    throw new Invalid(`Path deserialize error: Id [${raw}] contains non hexadecimal characters.`);
  if (hex.length !== 64)
    throw new Invalid(`Path deserialize error: Id [${raw}] hash has invalid length. Should be |64|`);
  return { side: owner === 'R' ? 'requestor' : 'provider', hex: hex.toLowerCase() };
}

/** The side a subscription negotiates for: a demand's owner is the requestor, an offer's the provider. */
export function roleOfKind(kind: 'demand' | 'offer'): Role {
  return kind === 'demand' ? 'requestor' : 'provider';
}

// ---- agreements ------------------------------------------------------------------------------------------------

const AGREEMENT_ID = /^[0-9a-fA-F]{64}$/;
const REQUESTOR_PROPOSAL_ID = /^R-([0-9a-fA-F]{64})$/;
const ANY_PROPOSAL_ID = /^[RP]-[0-9a-fA-F]{64}$/;

/** A new agreement id: 64 random hex digits, the same for both parties. */
export function newAgreementId(): string {
  return randomHex(32);
}

/** An agreement id in its stored form (64 lower-case hex), or undefined when `raw` is not one in any case. */
export function normaliseAgreementId(raw: string): string | undefined {
  return AGREEMENT_ID.test(raw) ? raw.toLowerCase() : undefined;
}

/** Validates an agreement id from a path (64 hex, the same for both parties); normalised to lower case. */
export function parseAgreementId(raw: string): string {
  const id = normaliseAgreementId(raw);
  if (id === undefined) throw new Invalid(`Invalid Agreement id. Id [${raw}] has invalid format.`);
  return id;
}

/**
 * The proposal a createAgreement body names: the hex of a requestor-side id `R-<hex>`; undefined for a well-formed
 * provider-side id `P-<hex>` (which the requestor cannot promote). Anything else is a 400 with yagna's wording.
 */
export function parseAgreementProposalId(raw: string): string | undefined {
  if (!ANY_PROPOSAL_ID.test(raw)) throw new Invalid(`Invalid Agreement id. Id [${raw}] has invalid format.`);
  return REQUESTOR_PROPOSAL_ID.exec(raw)?.[1].toLowerCase();
}

/** How a party sees an agreement id in messages: yagna prints its per-node form `R-`/`P-`; 'party' = plain. */
export function agreementLabel(hex: string, role: Role | 'party'): string {
  return role === 'party' ? hex : renderProposalId(hex, role);
}
