import type { PaymentApi } from 'ya-ts-client';
import type { Core } from '../kernel/core';
import { Invalid } from '../kernel/errors';
import { AllocationService } from './allocations';
import { DocumentService } from './documents';
import { PaymentEventLog } from './events';
import { Invoicing } from './invoicing';

/** Version of yagna's payment protocol Bourse's documents follow; golem-js demands `> 2`. */
export const PAYMENT_PROTOCOL_VERSION = 3;
const MAX_DECORATED_ALLOCATIONS = 20;

/**
 * The payment domain: a ledger of allocations, invoices and debit notes in yagna's Payment API shapes.
 * Bourse settles nothing on chain; accepting a document books it on an allocation and that is final.
 */
export class PaymentService {
  readonly allocations: AllocationService;
  readonly documents: DocumentService;
  readonly events: PaymentEventLog;
  readonly invoicing: Invoicing;

  constructor(core: Core) {
    this.allocations = new AllocationService(core);
    this.documents = new DocumentService(core);
    this.events = new PaymentEventLog(core);
    this.invoicing = new Invoicing(core);
  }

  /**
   * getDemandDecorations: what a Demand needs so that providers paid through the caller's allocations match it —
   * the payer's address per platform and the protocol version, with constraints asking the same of offers.
   */
  async demandDecorations(caller: string, allocationIds: string[]): Promise<PaymentApi.MarketDecorationDTO> {
    if (allocationIds.length === 0) throw new Invalid('Missing required parameter: allocationIds');
    if (allocationIds.length > MAX_DECORATED_ALLOCATIONS)
      throw new Invalid(`Invalid allocationIds: at most ${MAX_DECORATED_ALLOCATIONS}`);
    const allocations = await Promise.all(allocationIds.map((id) => this.allocations.own(caller, id)));
    const properties: { key: string; value: string }[] = [];
    const constraints: string[] = [];
    for (const platform of new Set(allocations.map((a) => a.paymentPlatform))) {
      const address = allocations.find((a) => a.paymentPlatform === platform)?.address ?? caller;
      properties.push({ key: `golem.com.payment.platform.${platform}.address`, value: address });
      constraints.push(`(golem.com.payment.platform.${platform}.address=*)`);
    }
    properties.push({ key: 'golem.com.payment.protocol.version', value: String(PAYMENT_PROTOCOL_VERSION) });
    constraints.push('(golem.com.payment.protocol.version>2)');
    return { properties, constraints };
  }
}
