// `make crds`: prints crds/corepod.yaml, generated from the zod schema.
import { corePodCrdYaml } from './crd-from-schema.js';

process.stdout.write(corePodCrdYaml());
