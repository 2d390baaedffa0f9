// Sign a Verifiable Presentation with the Digital Bazaar reference libraries (@digitalbazaar/vc), offline:
// the holder's proof (eddsa-rdfc-2022, proofPurpose authentication) over a verifier's challenge and domain.
// Usage: node present.mjs CREDENTIAL.json KEY.json --challenge C --domain D
//   KEY.json: {"secretKeyMultibase", "publicKeyMultibase", "verificationMethod"} (the holder's did:key)
// Prints the signed presentation.
import * as vc from '@digitalbazaar/vc';
import {makeDocumentLoader, readJson, signSuite} from './lib.mjs';

const args = process.argv.slice(2);
const option = name => {
  const i = args.indexOf(name);
  const value = i < 0 ? undefined : args[i + 1];
  if(i >= 0) {
    args.splice(i, 2);
  }
  return value;
};
const challenge = option('--challenge');
const domain = option('--domain');
const [credentialFile, keyFile] = args;
const key = readJson(keyFile);
const holder = key.verificationMethod.split('#')[0];
const presentation = vc.createPresentation({verifiableCredential: [readJson(credentialFile)], holder});
const suite = await signSuite({...key, date: new Date().toISOString()});
const signed = await vc.signPresentation({
  presentation, suite, challenge, domain, documentLoader: makeDocumentLoader()});
console.log(JSON.stringify(signed));
