// Look DIDs up in issuer registries with the Digital Credentials Consortium's own client
// (@digitalcredentials/issuer-registry-client, pinned): the independent reader of the "dcc-legacy" format.
// Usage: node registry.mjs CONFIG.json DID [DID …]
//        CONFIG.json is a knownDIDRegistries list: [{"name": …, "url": …, "type": "dcc-legacy"}]
// Prints one JSON line {loaded: [{name, loaded}], entries: {DID: {name, url, location, registries} | null}}.
import {readFileSync} from 'node:fs';
import {RegistryClient} from '@digitalcredentials/issuer-registry-client';

const [configFile, ...dids] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configFile, 'utf8'));
const client = new RegistryClient();
const loaded = await client.load({config});
const entries = {};
for(const did of dids) {
  const entry = client.didEntry(did);
  entries[did] = entry ? {
    name: entry.name, url: entry.url ?? null, location: entry.location ?? null,
    registries: [...(entry.inRegistries ?? [])].map(r => r.name).sort()
  } : null;
}
console.log(JSON.stringify({loaded: loaded.map(r => ({name: r.name, loaded: r.loaded})), entries}));
