// Drive the real iExec SDK (npm iexec@9.0.1) against the local chain and the local marketplace.
//
// Usage: node sdk_market.mjs '<json>' where json = {rpc, hub, gateway, key, action, ...}.
// The SDK is ESM-only and ESM ignores NODE_PATH, so it is imported by file URL from the first
// NODE_PATH entry (.cache/npm/node_modules). Prints one JSON line on stdout; exits 1 with the
// error message on stderr.
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

const args = JSON.parse(process.argv[2]);
const iexec = new IExec(
  { ethProvider: utils.getSignerFromPrivateKey(args.rpc, args.key) },
  { hubAddress: args.hub, iexecGatewayURL: args.gateway },
);

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

try {
  const result = await actions[args.action]();
  process.stdout.write(JSON.stringify(result) + '\n');
} catch (err) {
  console.error(err && err.message ? err.message : String(err));
  process.exit(1);
}
