import { fromUnits, toUnits } from '../../src/payment/amounts';
import { finalInvoiceId, linearPrice } from '../../src/payment/invoicing';

describe('invoice amounts', () => {
  const offer = (coeffs: unknown[]) => ({
    'golem.com.pricing.model.linear.coeffs': coeffs,
    'golem.com.usage.vector': ['golem.usage.duration_sec', 'golem.usage.cpu_sec'],
  });

  it('price = coefficient × counter for each usage counter, plus the start price', () => {
    expect(linearPrice(offer([0.01, 0.5, 2]), { durationSeconds: 100, cpuSeconds: 4 })).toBeCloseTo(5);
    expect(linearPrice(offer([0, 0, 0]), { durationSeconds: 1e6, cpuSeconds: 1e6 })).toBe(0);
    expect(linearPrice({}, { durationSeconds: 10, cpuSeconds: 1 })).toBe(0);
    expect(linearPrice(offer([-1, 'x', 1]), { durationSeconds: 10, cpuSeconds: 1 })).toBe(1);
    // Nested properties (as some clients send them) read the same.
    const nested = { golem: { com: { pricing: { model: { linear: { coeffs: [1, 0, 0] } } } } } };
    const withVector = { ...nested, 'golem.com.usage.vector': ['golem.usage.duration_sec'] };
    expect(linearPrice(withVector, { durationSeconds: 3, cpuSeconds: 0 })).toBe(3);
  });

  it('amount text round-trips through ledger units', () => {
    for (const text of ['0', '1', '1.5', '0.000000001', '123456.789']) expect(fromUnits(toUnits(text, 'a'))).toBe(text);
    expect(() => toUnits('1e3', 'amount')).toThrow(/Invalid amount/);
    expect(() => toUnits('-1', 'amount')).toThrow(/Invalid amount/);
  });

  it('one final invoice id per agreement', () => {
    expect(finalInvoiceId('a'.repeat(64))).toBe(finalInvoiceId('a'.repeat(64)));
    expect(finalInvoiceId('a'.repeat(64))).not.toBe(finalInvoiceId('b'.repeat(64)));
    expect(finalInvoiceId('a'.repeat(64))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
