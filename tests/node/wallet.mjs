// An independent OpenID4VCI 1.0 wallet: @openid4vc/openid4vci (OpenWallet Foundation, pinned) runs the
// pre-authorized code flow against a credential offer, with a fresh holder key.
// Usage: node wallet.mjs OFFER_URI --config ID[,ID…] [--key ed25519|p256] [--bind did:key|did:jwk|jwk]
//        [--insecure]   (allow http:// issuers: tests on loopback)
// Prints one JSON line {holder, credentials: {configId: credential}} (exit 0), or {error, description} (exit 1).
import {createHash, generateKeyPairSync, randomBytes, sign} from 'node:crypto';
import {Openid4vciClient, setGlobalConfig} from '@openid4vc/openid4vci';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if(i < 0) {
    return fallback;
  }
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const insecure = args.includes('--insecure');
if(insecure) {
  args.splice(args.indexOf('--insecure'), 1);
}
const configs = option('--config', '').split(',').filter(Boolean);
const keyType = option('--key', 'ed25519');
const binding = option('--bind', keyType === 'ed25519' ? 'did:key' : 'did:jwk');
const offerUri = args[0];
setGlobalConfig({allowInsecureUrls: insecure});

const b64url = data => Buffer.from(data).toString('base64url');
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58(bytes) {
  let num = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while(num > 0n) {
    out = ALPHABET[Number(num % 58n)] + out;
    num /= 58n;
  }
  for(const byte of bytes) {
    if(byte !== 0) {
      break;
    }
    out = '1' + out;
  }
  return out;
}

const {privateKey, publicKey} = keyType === 'ed25519' ?
  generateKeyPairSync('ed25519') : generateKeyPairSync('ec', {namedCurve: 'P-256'});
const jwk = publicKey.export({format: 'jwk'});
const alg = keyType === 'ed25519' ? 'EdDSA' : 'ES256';
let holder;
let signer;
if(binding === 'did:key') {
  if(keyType !== 'ed25519') {
    throw new Error('this wallet makes did:key for Ed25519 keys only');
  }
  const multibase = 'z' + base58(Buffer.concat([Buffer.from([0xed, 0x01]), Buffer.from(jwk.x, 'base64url')]));
  holder = `did:key:${multibase}`;
  signer = {method: 'did', didUrl: `${holder}#${multibase}`, alg};
} else if(binding === 'did:jwk') {
  holder = `did:jwk:${b64url(JSON.stringify(jwk))}`;
  signer = {method: 'did', didUrl: `${holder}#0`, alg};
} else {
  const sorted = Object.fromEntries(Object.keys(jwk).sort().map(k => [k, jwk[k]]));
  holder = `did:jwk:${b64url(JSON.stringify(sorted))}`;  // RFC 7638 member order: what the issuer binds to
  signer = {method: 'jwk', publicJwk: jwk, alg};
}

const callbacks = {
  fetch,
  hash: (data, algorithm) => new Uint8Array(createHash(algorithm.replace('-', '').toLowerCase()).update(data)
    .digest()),
  generateRandom: n => new Uint8Array(randomBytes(n)),
  clientAuthentication: clientAuthenticationAnonymous(),
  signJwt: async (jwtSigner, {header, payload}) => {
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = keyType === 'ed25519' ? sign(null, Buffer.from(input), privateKey) :
      sign('sha256', Buffer.from(input), {key: privateKey, dsaEncoding: 'ieee-p1363'});
    return {jwt: `${input}.${b64url(signature)}`, signerJwk: jwk};
  }
};

try {
  const client = new Openid4vciClient({callbacks});
  const credentialOffer = await client.resolveCredentialOffer(offerUri);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata});
  const credentials = {};
  for(const credentialConfigurationId of (configs.length ? configs :
    credentialOffer.credential_configuration_ids)) {
    const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
    const {jwt} = await client.createCredentialRequestJwtProof({
      issuerMetadata, credentialConfigurationId, signer, nonce, issuedAt: new Date()});
    const response = await client.retrieveCredentials({
      issuerMetadata, accessToken: accessTokenResponse.access_token, credentialConfigurationId,
      proofs: {jwt: [jwt]}});
    credentials[credentialConfigurationId] = response.credentialResponse.credentials[0].credential;
  }
  console.log(JSON.stringify({holder, version: issuerMetadata.originalDraftVersion, credentials}));
} catch(error) {
  const body = error.errorResponse || error.response?.body || null;
  console.log(JSON.stringify({error: error.constructor.name, description: String(error.message), body}));
  process.exit(1);
}
