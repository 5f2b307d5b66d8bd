#!/usr/bin/env node
// The `oxbow` command: runs the compiled CLI (build with `npx tsc -b cli`).
import '../dist/src/main.js';
