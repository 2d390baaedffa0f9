// Verify a credential with the Digital Bazaar reference libraries, offline.
// Usage: node verify.mjs [CREDENTIAL.json|-] [--dids DIDS.json] [--now ISO]
//        node verify.mjs --loop N CREDENTIAL.json [--dids DIDS.json]   (benchmark: prints {verify_per_s})
// Prints one JSON line {verified, errors}; exit code 0 when verified, 1 otherwise.
import * as vc from '@digitalbazaar/vc';
import {errorsOf, makeDocumentLoader, readJson, verifySuite} from './lib.mjs';

const args = process.argv.slice(2);
const option = name => {
  const i = args.indexOf(name);
  if(i < 0) {
    return undefined;
  }
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const didsFile = option('--dids');
const now = option('--now');
const loop = option('--loop');
const file = args[0] || '-';
const dids = didsFile ? readJson(didsFile) : {};
const documentLoader = makeDocumentLoader(Array.isArray(dids) ?
  Object.fromEntries(dids.map(d => [d.id, d])) : dids);
const credential = readJson(file);

async function verifyOnce() {
  return vc.verifyCredential({credential, suite: verifySuite(), documentLoader, ...(now ? {now} : {})});
}

if(loop) {
  const n = Number(loop);
  const first = await verifyOnce();
  if(!first.verified) {
    console.log(JSON.stringify({verified: false, errors: errorsOf(first)}));
    process.exit(1);
  }
  const start = process.hrtime.bigint();
  for(let i = 0; i < n; i++) {
    await verifyOnce();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({verified: true, n, seconds, verify_per_s: n / seconds}));
} else {
  try {
    const result = await verifyOnce();
    console.log(JSON.stringify({verified: result.verified, errors: errorsOf(result)}));
    process.exit(result.verified ? 0 : 1);
  } catch(e) {
    console.log(JSON.stringify({verified: false, errors: [e.message]}));
    process.exit(1);
  }
}
