// Workflows the worker registers: the generic sweep and its training child.
export { sweep } from './sweep.js';
export { training } from './training.js';
