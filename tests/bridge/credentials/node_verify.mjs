// Verify a LEADS credential with @digitalbazaar/vc, including its Bitstring status entries.
// Run with cwd = tests/node (the pinned Digital Bazaar libraries) as: node --input-type=module -e "$(cat this)"
// Environment: CREDENTIAL (file), DIDS (file: {did: document}), LISTS (file: {statusListCredential URL: list VC}).
// Prints one JSON line {verified, errors}; exit 0 when verified.
import {readFileSync} from 'node:fs';
import {gunzipSync} from 'node:zlib';
import * as vc from '@digitalbazaar/vc';
import {errorsOf, makeDocumentLoader, verifySuite} from './lib.mjs';

const read = name => JSON.parse(readFileSync(process.env[name], 'utf8'));
const credential = read('CREDENTIAL');
const lists = read('LISTS');
const documentLoader = makeDocumentLoader(read('DIDS'));

async function checkStatus({credential}) {
  const entries = [].concat(credential.credentialStatus || []);
  for(const entry of entries) {
    const list = lists[entry.statusListCredential];
    if(!list) {
      return {verified: false, error: new Error(`no status list ${entry.statusListCredential}`)};
    }
    const listResult = await vc.verifyCredential({credential: list, suite: verifySuite(), documentLoader});
    if(!listResult.verified) {
      return {verified: false, error: new Error('status list credential does not verify')};
    }
    const encoded = list.credentialSubject.encodedList;
    const bits = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
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

try {
  const result = await vc.verifyCredential({credential, suite: verifySuite(), documentLoader, checkStatus});
  const errors = errorsOf(result);
  if(result.statusResult && !result.statusResult.verified && result.statusResult.error) {
    errors.push(result.statusResult.error.message);
  }
  console.log(JSON.stringify({verified: result.verified, errors}));
  process.exit(result.verified ? 0 : 1);
} catch(e) {
  console.log(JSON.stringify({verified: false, errors: [e.message]}));
  process.exit(1);
}
