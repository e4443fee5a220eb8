// Entry of the child process in which one node runs (forked by engine/child-process.ts).
import { serveChild } from './engine/child-process.js';
import { loadRunner } from './registry.js';

serveChild(loadRunner);
