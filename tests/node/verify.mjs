// Verify a credential with the Digital Bazaar reference libraries, offline.
// Usage: node verify.mjs [CREDENTIAL.json|-] [--dids DIDS.json] [--lists LISTS.json] [--now ISO]
//        LISTS.json maps statusListCredential URLs to their (signed) BitstringStatusListCredential: with it,
//        every credentialStatus entry is checked (the list's proof, then the bit); without it, @digitalbazaar/vc
//        refuses credentials that carry a credentialStatus.
//        node verify.mjs --loop N CREDENTIAL.json [--dids DIDS.json]   (benchmark: prints {verify_per_s})
// Prints one JSON line {verified, errors}; exit code 0 when verified, 1 otherwise.
import {gunzipSync} from 'node:zlib';
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
const listsFile = option('--lists');
const now = option('--now');
const loop = option('--loop');
const file = args[0] || '-';
const dids = didsFile ? readJson(didsFile) : {};
const documentLoader = makeDocumentLoader(Array.isArray(dids) ?
  Object.fromEntries(dids.map(d => [d.id, d])) : dids);
const credential = readJson(file);
const lists = listsFile ? readJson(listsFile) : null;

async function checkStatus({credential}) {
  for(const entry of [].concat(credential.credentialStatus || [])) {
    const list = lists[entry.statusListCredential];
    if(!list) {
      return {verified: false, error: new Error(`no status list ${entry.statusListCredential}`)};
    }
    const listResult = await vc.verifyCredential({credential: list, suite: verifySuite(), documentLoader});
    if(!listResult.verified) {
      return {verified: false, error: new Error('status list credential does not verify')};
    }
    const bits = gunzipSync(Buffer.from(list.credentialSubject.encodedList.slice(1), 'base64url'));
    if(bits.length * 8 < 131072) {
      return {verified: false, error: new Error('status list too short')};
    }
    const index = Number(entry.statusListIndex);
    if((bits[index >> 3] >> (7 - (index & 7))) & 1) {
      return {verified: false, error: new Error(`credential status: ${entry.statusPurpose} is set`)};
    }
  }
  return {verified: true};
}

async function verifyOnce() {
  return vc.verifyCredential({credential, suite: verifySuite(), documentLoader, ...(now ? {now} : {}),
    ...(lists ? {checkStatus} : {})});
}

function errorsWithStatus(result) {
  const errors = errorsOf(result);
  if(result.statusResult && !result.statusResult.verified && result.statusResult.error) {
    errors.push(result.statusResult.error.message);
  }
  return errors;
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
    console.log(JSON.stringify({verified: result.verified, errors: errorsWithStatus(result)}));
    process.exit(result.verified ? 0 : 1);
  } catch(e) {
    console.log(JSON.stringify({verified: false, errors: [e.message]}));
    process.exit(1);
  }
}
