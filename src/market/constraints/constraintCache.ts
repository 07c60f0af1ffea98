/**
 * Compiled constraints shared by every subscription with the same constraint text: offers of one provider (and
 * demands of one client) usually repeat theirs, so an index of many offers holds few predicates. A bounded cache;
 * when full, the entry added first goes.
 */
import { setBounded } from '../../kernel/boundedMap';
import { compile } from './compile';
import { requiredEqualities } from './equalities';
import { flattenProperties } from './flatten';
import type { Matchable, SubscriptionSource } from './match';
import { parseConstraints } from './parser';
import { toTypedProperties } from './typedProperties';

type CompiledConstraint = Pick<Matchable, 'predicate' | 'requiredEqualities'>;

export class ConstraintCache {
  private readonly byText = new Map<string, CompiledConstraint>();

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.byText.size;
  }

  /** As `toMatchable(compileSubscription(source))`; @throws ConstraintParseError when the constraints do not parse. */
  matchable({ id, properties, constraints }: SubscriptionSource): Matchable {
    let compiled = this.byText.get(constraints);
    if (!compiled) {
      const constraint = parseConstraints(constraints);
      compiled = { predicate: compile(constraint), requiredEqualities: requiredEqualities(constraint) };
      setBounded(this.byText, constraints, compiled, this.maxEntries);
    }
    return { id, properties: toTypedProperties(flattenProperties(properties)), ...compiled };
  }
}
