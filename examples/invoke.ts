/**
 * `npm run example:invoke` — the invoke face (OEP-6) with plain fetch, against a running `npm start` (or `bourse dev`)
 * whose runner serves the provider key in BOURSE_RUNNER_PRIVATE_KEY: register a service as the provider, invoke it as
 * a consumer, follow its status, fetch its result and its proof of delivery, and verify the proof offline.
 *
 *   BOURSE_API_URL=http://127.0.0.1:7465 BOURSE_RUNNER_PRIVATE_KEY=0x… npm run example:invoke
 */
import fs from 'node:fs';
import path from 'node:path';
import { verifyTypedData, Wallet } from 'ethers';
import { mintToken } from '../src/auth/client';

type Say = (line: string) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any; // the example reads the documented answers without declaring their types

export interface InvokeExampleOutcome {
  jobId: string;
  outputs: Record<string, unknown>;
  signer: string;
}

// --- invoke example (the README's "Invoke" section shows this block) ---
export async function invokeExample(
  url: string,
  provider: Wallet,
  consumer: Wallet,
  say: Say,
): Promise<InvokeExampleOutcome> {
  const api = `${url}/api/invoke/v1`;
  const tokenOf = (wallet: Wallet) => mintToken({ url, wallet, expiresInSeconds: 3600 });
  const call = async (token: string, path: string, init: RequestInit = {}): Promise<Json> => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const res = await fetch(`${api}${path}`, { ...init, headers });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${await res.text()}`);
    return res.json();
  };

  // The provider registers a free service: its algorithm writes a + b to the declared output `sum`.
  const providerToken = await tokenOf(provider);
  const service = await call(providerToken, '/services', {
    method: 'POST',
    body: JSON.stringify({
      servicedescription: { name: 'sum', description: 'adds a and b' },
      inputs: [
        { argname: 'a', type: 'number', mandatory: true },
        { argname: 'b', type: 'number', mandatory: true },
      ],
      outputs: [{ argname: 'sum', type: 'number' }],
      free: true,
      job: {
        runtime: 'node',
        maxDuration: 60,
        algorithm: `const fs = require('fs');
const { a, b } = JSON.parse(fs.readFileSync(process.env.INPUTS + '/invoke.json', 'utf8')).inputs;
fs.writeFileSync(process.env.OUTPUTS + '/sum', String(a + b));`,
      },
    }),
  });
  say(`registered ${service.serviceId} (version ${service.version})`);

  // The consumer invokes it, then long-polls the status until the job has ended.
  const consumerToken = await tokenOf(consumer);
  const { jobId } = await call(consumerToken, `/${service.serviceId}`, {
    method: 'POST',
    body: JSON.stringify({ inputs: { a: 2, b: 40 } }),
  });
  let status = 'Started';
  while (status === 'Started' || status === 'Inprogress') {
    status = (await call(consumerToken, `/${jobId}/status?timeout=20`)).status;
    say(`job ${jobId}: ${status}`);
  }
  const { outputs } = await call(consumerToken, `/${jobId}/result`);
  say(`outputs: ${JSON.stringify(outputs)}`);

  // The proof is signed by the provider's runner just after the job ends: ask until it is there.
  let proof: Json;
  for (let tries = 0; !proof; tries++) {
    proof = await call(consumerToken, `/proof?job-id=${jobId}`).catch((err) =>
      tries < 50 ? undefined : Promise.reject(err),
    );
    if (!proof) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const signer = verifyTypedData(proof.domain, proof.types, proof.message, proof.signature).toLowerCase();
  say(`proof signed by ${signer}: ${signer === service.provider ? 'the provider' : 'NOT the provider'}`);
  return { jobId, outputs, signer };
}
// --- end of the invoke example ---

if (require.main === module) {
  const url = process.env.BOURSE_API_URL ?? 'http://127.0.0.1:7465';
  // The provider registering the service must be the one the running runner serves: `npm start` keeps its key in
  // ./data/runner-key.
  const devKey = path.join(process.env.BOURSE_DATA_DIR ?? 'data', 'runner-key');
  const key =
    process.env.BOURSE_RUNNER_PRIVATE_KEY ?? (fs.existsSync(devKey) ? fs.readFileSync(devKey, 'utf8').trim() : '');
  if (!key) throw new Error(`set BOURSE_RUNNER_PRIVATE_KEY to the key the running runner serves (no ${devKey})`);
  invokeExample(url, new Wallet(key), Wallet.createRandom() as unknown as Wallet, (line) => console.log(line)).catch(
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
