import type { Party } from '../support/identities';

export const INVOKE = '/api/invoke/v1';

export const auth = (p: Party): Record<string, string> => ({ Authorization: `Bearer ${p.token}` });

/** A service whose algorithm reads the arguments `a` and `b` and writes their sum to the output `sum`. */
export function sumService(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    servicedescription: { name: 'sum', description: 'adds two numbers' },
    inputs: [
      { argname: 'a', type: 'number', mandatory: true },
      { argname: 'b', type: 'number', mandatory: true },
      { argname: 'label', type: 'string', mandatory: false },
    ],
    outputs: [{ argname: 'sum', type: 'number' }],
    free: true,
    job: {
      runtime: 'python3',
      algorithm: [
        'import json',
        "args = json.load(open('/data/inputs/invoke.json'))['inputs']",
        "open('/data/outputs/sum', 'w').write(str(args['a'] + args['b']))",
      ].join('\n'),
      maxDuration: 60,
    },
    ...overrides,
  };
}
