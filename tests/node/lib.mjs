// Shared by verify.mjs and issue.mjs: an offline document loader over LEADS's bundled contexts
// (issuer/data/contexts/index.json), did:key resolved locally, did:web from a JSON map of DID documents.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const here = dirname(fileURLToPath(import.meta.url));
export const CONTEXTS_DIR = process.env.LEADS_CONTEXTS_DIR ||
  join(here, '..', '..', 'issuer', 'data', 'contexts');

const index = JSON.parse(readFileSync(join(CONTEXTS_DIR, 'index.json'), 'utf8'));
const contexts = new Map();
for(const [url, file] of Object.entries(index)) {
  contexts.set(url, JSON.parse(readFileSync(join(CONTEXTS_DIR, file), 'utf8')));
}

export function didKeyDocument(did) {
  const fingerprint = did.slice('did:key:'.length);
  const vm = `${did}#${fingerprint}`;
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [{id: vm, type: 'Multikey', controller: did, publicKeyMultibase: fingerprint}],
    authentication: [vm], assertionMethod: [vm], capabilityDelegation: [vm], capabilityInvocation: [vm]
  };
}

export function makeDocumentLoader(didDocuments = {}) {
  return async function documentLoader(url) {
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: contexts.get(url), tag: 'static'};
    }
    if(url.startsWith('did:')) {
      const [did, fragment] = url.split('#');
      let doc = didDocuments[did];
      if(!doc && did.startsWith('did:key:')) {
        doc = didKeyDocument(did);
      }
      if(!doc) {
        throw new Error(`DID ${did} is not resolvable offline (not did:key, not in the DID document map)`);
      }
      if(!fragment) {
        return {contextUrl: null, documentUrl: url, document: doc};
      }
      const vm = (doc.verificationMethod || []).find(m => m.id === url || m.id === `#${fragment}`);
      if(!vm) {
        throw new Error(`${did} has no verification method #${fragment}`);
      }
      const document = {'@context': 'https://w3id.org/security/multikey/v1', ...vm, id: url};
      return {contextUrl: null, documentUrl: url, document};
    }
    throw new Error(`Refusing to load ${url}: not a bundled context (no network)`);
  };
}

export function verifySuite() {
  return new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
}

export async function signSuite({secretKeyMultibase, publicKeyMultibase, verificationMethod, date}) {
  const controller = verificationMethod.split('#')[0];
  const key = await Ed25519Multikey.from({
    id: verificationMethod, controller, type: 'Multikey', publicKeyMultibase, secretKeyMultibase
  });
  return new DataIntegrityProof({signer: key.signer(), date, cryptosuite: eddsaRdfc2022CryptoSuite});
}

export function readJson(path) {
  return JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8'));
}

export function errorsOf(result) {
  const errors = [];
  const walk = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(walk);
      return;
    }
    errors.push(e.message || String(e));
    if(e.errors) {
      walk(e.errors);
    }
  };
  walk(result.error);
  for(const r of result.results || []) {
    if(!r.verified) {
      walk(r.error);
    }
  }
  return [...new Set(errors)];
}
