// Issue (sign) a credential with the Digital Bazaar reference libraries, offline.
// Usage: node issue.mjs CREDENTIAL.json KEY.json [--loop N] [--date ISO]
//   KEY.json: {"secretKeyMultibase", "publicKeyMultibase", "verificationMethod"}
// Without --loop prints the signed credential; with --loop N signs N times, then verifies the result N times
// and prints one JSON line {issue_per_s, verify_per_s} (the benchmark's Node reference).
import * as vc from '@digitalbazaar/vc';
import {errorsOf, makeDocumentLoader, readJson, signSuite, verifySuite} from './lib.mjs';

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
const loop = option('--loop');
const date = option('--date') || '2025-03-01T10:00:00Z';
const [credentialFile, keyFile] = args;
const credential = readJson(credentialFile);
const key = readJson(keyFile);
const documentLoader = makeDocumentLoader();

const suite = await signSuite({...key, date});  // one key import, reused like a long-running issuer would

async function issueOnce() {
  return vc.issue({credential: structuredClone(credential), suite, documentLoader});
}

if(!loop) {
  console.log(JSON.stringify(await issueOnce(), null, 2));
} else {
  const n = Number(loop);
  let signed = await issueOnce();
  const cpuSeconds = since => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1e6;
  };
  let start = process.hrtime.bigint();
  let cpu = process.cpuUsage();
  for(let i = 0; i < n; i++) {
    signed = await issueOnce();
  }
  const issueSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const issueCpu = cpuSeconds(cpu);
  const verifier = verifySuite();
  const check = await vc.verifyCredential({credential: signed, suite: verifier, documentLoader});
  if(!check.verified) {
    console.log(JSON.stringify({error: 'self-check failed', errors: errorsOf(check)}));
    process.exit(1);
  }
  start = process.hrtime.bigint();
  cpu = process.cpuUsage();
  for(let i = 0; i < n; i++) {
    await vc.verifyCredential({credential: signed, suite: verifier, documentLoader});
  }
  const verifySeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const verifyCpu = cpuSeconds(cpu);
  console.log(JSON.stringify({n, issue_per_s: n / issueSeconds, verify_per_s: n / verifySeconds,
    issue_per_cpu_s: n / issueCpu, verify_per_cpu_s: n / verifyCpu, proofValue: signed.proof.proofValue}));
}
