// The validating child as a V8 startup snapshot (build-runtime bundles this file and snapshots it
// with the runtime's own node): zod, the built schema and the YAML reader are in the heap the child
// starts from instead of being loaded and built at every pod start and reload.
// `node --snapshot-blob validate.blob validate --json -f FILE` is `corepod validate --json -f FILE`.
import v8 from 'node:v8';
import { main } from './cli/validate-command.js';
// What the command imports when it runs, evaluated now, into the snapshot.
import './config-loader.js';
import './config-yaml.js';

v8.startupSnapshot.setDeserializeMainFunction(() => {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
});
