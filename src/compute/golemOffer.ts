/**
 * The Offer properties golem-js's default Demand needs to match a Bourse runner, besides what the runner states
 * about its environment and price: the subnet (golem-js demands `golem.node.debug.subnet=public` unless told
 * otherwise), CPU threads, a node name, a payee address on each payment platform it accepts, the payment protocol
 * version (demand decorations ask for `> 2`) and the offer's expiration (unix ms).
 */

export interface GolemOfferOptions {
  /** `golem.node.debug.subnet` (BOURSE_RUNNER_SUBNET, default `public`). */
  subnet: string;
  /** `golem.node.id.name` (BOURSE_RUNNER_NAME, default `bourse-runner-<first 8 hex of the address>`). */
  name?: string;
  /** Payment platforms the runner accepts (BOURSE_RUNNER_PAYMENT_PLATFORMS, comma-separated). */
  paymentPlatforms: string[];
  /** How long after `nowMs` the offer is stated to expire (golem.srv.comp.expiration). */
  expirationSeconds: number;
}

/** golem-js's default network (holesky, tGLM) and mainnet default (polygon, GLM). */
export const DEFAULT_RUNNER_PAYMENT_PLATFORMS = ['erc20-holesky-tglm', 'erc20-polygon-glm'];
export const PAYMENT_PROTOCOL_VERSION = 3;
const OFFER_EXPIRATION_SECONDS = 3600;
const PLATFORM = /^[a-z0-9]+-[a-z0-9]+-[a-z0-9]+$/;

/** The options from the runner's environment variables; throws naming the variable when one is malformed. */
export function golemOfferOptions(env: Record<string, string | undefined>): GolemOfferOptions {
  const subnet = env.BOURSE_RUNNER_SUBNET?.trim() || 'public';
  const platforms = (env.BOURSE_RUNNER_PAYMENT_PLATFORMS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const bad = platforms.find((p) => !PLATFORM.test(p));
  if (bad !== undefined) {
    throw new Error(
      `Invalid configuration: BOURSE_RUNNER_PAYMENT_PLATFORMS has "${bad}", expected driver-network-token`,
    );
  }
  return {
    subnet,
    name: env.BOURSE_RUNNER_NAME?.trim() || undefined,
    paymentPlatforms: platforms.length > 0 ? platforms : DEFAULT_RUNNER_PAYMENT_PLATFORMS,
    expirationSeconds: OFFER_EXPIRATION_SECONDS,
  };
}

/** The golem-js compatibility properties of a runner's offer: a pure function of its identity and options. */
export function golemOfferProperties(
  runner: { address: string; cores: number },
  options: GolemOfferOptions,
  nowMs: number,
): Record<string, unknown> {
  const address = runner.address.toLowerCase();
  const properties: Record<string, unknown> = {
    'golem.node.debug.subnet': options.subnet,
    'golem.node.id.name': options.name ?? `bourse-runner-${address.slice(2, 10)}`,
    'golem.inf.cpu.threads': runner.cores,
    'golem.com.payment.protocol.version': PAYMENT_PROTOCOL_VERSION,
    'golem.srv.comp.expiration': nowMs + options.expirationSeconds * 1000,
  };
  for (const platform of options.paymentPlatforms) {
    properties[`golem.com.payment.platform.${platform}.address`] = address;
  }
  return properties;
}
