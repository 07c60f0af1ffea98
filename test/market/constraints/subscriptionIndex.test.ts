import { SubscriptionIndex, compileSubscription } from '../../../src/market/constraints';

const offer = (id: string, subnet: string, constraints = `(golem.node.debug.subnet=${subnet})`) =>
  compileSubscription({
    id,
    properties: { golem: { node: { debug: { subnet } } }, 'golem.runtime.name': 'vm' },
    constraints,
  });

const demand = (subnet: string, constraints = `(&(golem.runtime.name=vm)(golem.node.debug.subnet=${subnet}))`) =>
  compileSubscription({ id: `demand-${subnet}`, properties: { 'golem.node.debug.subnet': subnet }, constraints });

const ids = (subscriptions: Array<{ id: string }>) => subscriptions.map((s) => s.id).sort();

describe('SubscriptionIndex', () => {
  function filled(): SubscriptionIndex {
    const index = new SubscriptionIndex();
    for (let i = 0; i < 50; i++) index.add(offer(`o${i}`, `net${i % 10}`));
    return index;
  }

  it('finds exactly the Yes matches', () => {
    const index = filled();
    expect(ids(index.matchAll(demand('net3')))).toEqual(['o13', 'o23', 'o3', 'o33', 'o43']);
    expect(index.matchAll(demand('nowhere'))).toEqual([]);
  });

  it('looks at far fewer candidates than a full scan when equalities select', () => {
    expect(filled().candidates(demand('net3'))).toHaveLength(5);
  });

  it('prunes on the new subscription’s own equalities when the indexed side has none', () => {
    const index = new SubscriptionIndex();
    for (let i = 0; i < 50; i++) index.add(offer(`o${i}`, `net${i % 10}`, '()'));
    expect(ids(index.candidates(demand('net3')))).toEqual(['o13', 'o23', 'o3', 'o33', 'o43']);
  });

  it('keeps subscriptions without equalities as candidates', () => {
    const index = filled();
    index.add(offer('open', 'elsewhere', '(golem.srv.comp.expiration>0)'));
    const open = compileSubscription({
      id: 'd',
      properties: { 'golem.srv.comp.expiration': 1 },
      constraints: '(golem.runtime.name=vm)',
    });
    expect(index.candidates(open).map((s) => s.id)).toContain('open');
    expect(index.matchAll(open).map((s) => s.id)).toEqual(['open']);
  });

  it('matches a Number property with any spelling of the same number', () => {
    const index = new SubscriptionIndex();
    index.add(compileSubscription({ id: 'n', properties: { cores: 4, caps: ['vpn', 'inet'] }, constraints: '()' }));
    const d = (constraints: string) => compileSubscription({ id: 'd', properties: {}, constraints });
    expect(ids(index.matchAll(d('(&(cores=4.0)(caps=inet))')))).toEqual(['n']);
    expect(ids(index.matchAll(d('(&(cores=+4e0)(caps=vpn))')))).toEqual(['n']);
    expect(index.matchAll(d('(cores=5)'))).toEqual([]);
  });

  it('excludes Undefined and No results', () => {
    const index = new SubscriptionIndex();
    index.add(compileSubscription({ id: 'undefined', properties: { a: 'x' }, constraints: '(missing=1)' }));
    index.add(compileSubscription({ id: 'no', properties: { a: 'x' }, constraints: '(b=2)' }));
    const d = compileSubscription({ id: 'd', properties: { b: 1 }, constraints: '(a=x)' });
    expect(index.matchAll(d)).toEqual([]);
  });

  it('removes and replaces by id, also in the lazily built property index', () => {
    const index = filled();
    expect(index.matchAll(demand('net3'))).toHaveLength(5); // builds the inverted index of the subnet
    expect(index.remove('o3')).toBe(true);
    expect(index.remove('o3')).toBe(false);
    index.add(offer('o13', 'net4'));
    expect(index.size).toBe(49);
    expect(index.has('o3')).toBe(false);
    expect(ids(index.matchAll(demand('net3')))).toEqual(['o23', 'o33', 'o43']);
    expect(ids(index.matchAll(demand('net4')))).toEqual(['o13', 'o14', 'o24', 'o34', 'o4', 'o44']);
  });

  it('stays exact when the inverted index may not take another name', () => {
    const index = new SubscriptionIndex(0);
    for (let i = 0; i < 20; i++) index.add(offer(`o${i}`, `net${i % 2}`, '()'));
    expect(index.candidates(demand('net1'))).toHaveLength(20);
    expect(index.matchAll(demand('net1'))).toHaveLength(10);
  });
});
