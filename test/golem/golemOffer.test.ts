import {
  DEFAULT_RUNNER_PAYMENT_PLATFORMS,
  golemOfferOptions,
  golemOfferProperties,
} from '../../src/compute/golemOffer';

const ADDRESS = '0xAbCdEf0123456789abcdef0123456789ABCDEF01';

describe('golem-js offer properties of a runner', () => {
  it('states subnet, threads, name, a payee address per platform, protocol version and expiration', () => {
    const properties = golemOfferProperties({ address: ADDRESS, cores: 4 }, golemOfferOptions({}), 1_000);
    const lower = ADDRESS.toLowerCase();
    expect(properties).toEqual({
      'golem.node.debug.subnet': 'public',
      'golem.node.id.name': 'bourse-runner-abcdef01',
      'golem.inf.cpu.threads': 4,
      'golem.com.payment.protocol.version': 3,
      'golem.srv.comp.expiration': 1_000 + 3600_000,
      ...Object.fromEntries(
        DEFAULT_RUNNER_PAYMENT_PLATFORMS.map((p) => [`golem.com.payment.platform.${p}.address`, lower]),
      ),
    });
  });

  it('takes subnet, name and platforms from the environment and refuses a malformed platform', () => {
    const options = golemOfferOptions({
      BOURSE_RUNNER_SUBNET: 'lab',
      BOURSE_RUNNER_NAME: 'rack-7',
      BOURSE_RUNNER_PAYMENT_PLATFORMS: 'erc20-sepolia-tglm',
    });
    const properties = golemOfferProperties({ address: ADDRESS, cores: 1 }, options, 0);
    expect(properties['golem.node.debug.subnet']).toBe('lab');
    expect(properties['golem.node.id.name']).toBe('rack-7');
    expect(Object.keys(properties).filter((k) => k.startsWith('golem.com.payment.platform.'))).toEqual([
      'golem.com.payment.platform.erc20-sepolia-tglm.address',
    ]);
    expect(() => golemOfferOptions({ BOURSE_RUNNER_PAYMENT_PLATFORMS: 'polygon' })).toThrow(
      /BOURSE_RUNNER_PAYMENT_PLATFORMS/,
    );
  });
});
