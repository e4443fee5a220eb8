#!/usr/bin/env node
// `sweep` as installed by npm (package.json "bin"): runs the TypeScript CLI through tsx's
// ESM loader, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
