#!/usr/bin/env node
// The `corepod` command: the compiled CLI entry point (run `npm run build` first).
import '../dist/sidecar/cli/main.js';
