/**
 * Rendezvous (highest-random-weight) hashing: a subscription belongs to the member whose weight for it is highest.
 * Removing a member moves only that member's subscriptions (each to its runner-up) and adding one takes only what the
 * newcomer wins, so a membership change moves about 1/n of the shard, and two instances with the same view always
 * agree on every owner.
 */

/** FNV-1a over the UTF-16 code units (ids and member names are ASCII). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** MurmurHash3's finaliser: FNV alone mixes its last characters poorly, and ids differ mostly there. */
function mix(hash: number): number {
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** A view of the members with each name's hash computed once (ownership is asked for every stream entry). */
export class Rendezvous {
  private readonly hashes: number[];

  constructor(readonly members: readonly string[]) {
    this.hashes = members.map((member) => mix(fnv1a(member)));
  }

  /** The member that owns `id`, undefined when there are no members. */
  ownerOf(id: string): string | undefined {
    const key = mix(fnv1a(id));
    let best: string | undefined;
    let bestWeight = -1;
    for (let i = 0; i < this.members.length; i++) {
      const weight = mix(this.hashes[i] ^ key);
      // Ties (rare) go to the smaller name, so every instance decides them alike.
      if (weight > bestWeight || (weight === bestWeight && best !== undefined && this.members[i] < best)) {
        [best, bestWeight] = [this.members[i], weight];
      }
    }
    return best;
  }

  has(member: string): boolean {
    return this.members.includes(member);
  }
}
