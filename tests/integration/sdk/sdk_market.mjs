// Drive the real iExec SDK (npm iexec@9.0.1) against the local chain and the local marketplace.
//
// Usage: node sdk_market.mjs '<json>' where json = {rpc, hub, gateway, key}; then one JSON
// command per stdin line ({action, ...}), one JSON answer per stdout line ({ok, result} or
// {ok: false, error}). Loading the SDK takes seconds, so one process serves a whole test.
// The SDK is ESM-only and ESM ignores NODE_PATH, so it is imported by file URL from the first
// NODE_PATH entry (.cache/npm/node_modules).
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = (process.env.NODE_PATH || '').split(':')[0];
if (!modules) {
  console.error('NODE_PATH must point at the folder holding node_modules/iexec');
  process.exit(2);
}
const sdk = await import(
  pathToFileURL(join(modules, 'iexec', 'dist', 'esm', 'lib', 'index.js')).href
);
const { IExec, utils } = sdk;

const conf = JSON.parse(process.argv[2]);
const iexec = new IExec(
  { ethProvider: utils.getSignerFromPrivateKey(conf.rpc, conf.key) },
  { hubAddress: conf.hub, iexecGatewayURL: conf.gateway },
);

let args = {};
const actions = {
  async orderbook() {
    const book = await iexec.orderbook.fetchWorkerpoolOrderbook({
      workerpool: args.workerpool,
      category: args.category,
      ...(args.requester ? { requester: args.requester } : {}),
    });
    return { count: book.count, orders: book.orders.map((o) => o.orderHash) };
  },
  async fetchOrder() {
    const rec = await iexec.orderbook.fetchWorkerpoolorder(args.orderHash);
    return { orderHash: rec.orderHash, status: rec.status, remaining: rec.remaining };
  },
  async publish() {
    const order = await iexec.order.createWorkerpoolorder({
      workerpool: args.workerpool,
      workerpoolprice: String(args.price),
      volume: String(args.volume),
      category: String(args.category),
    });
    const signed = await iexec.order.signWorkerpoolorder(order);
    const orderHash = await iexec.order.publishWorkerpoolorder(signed);
    return { orderHash, order: signed };
  },
  async unpublish() {
    const unpublished = await iexec.order.unpublishWorkerpoolorder(args.orderHash);
    return { unpublished };
  },
  async unpublishAll() {
    const unpublished = await iexec.order.unpublishAllWorkerpoolorders(args.workerpool);
    return { unpublished };
  },
  async cancel() {
    const rec = await iexec.orderbook.fetchWorkerpoolorder(args.orderHash);
    const { txHash } = await iexec.order.cancelWorkerpoolorder(rec.order);
    return { txHash };
  },
};

const answer = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
answer({ ok: true, result: 'ready' });
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  try {
    args = JSON.parse(line);
    answer({ ok: true, result: await actions[args.action]() });
  } catch (err) {
    answer({ ok: false, error: err && err.message ? err.message : String(err) });
  }
}
