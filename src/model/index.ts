/** The pure core: types, schemas, ids, order keys, applyDelta, merge and the delta codec. */
export * from './types.js';
export * from './ids.js';
export * from './order-key.js';
export * from './schema.js';
export * from './apply.js';
export * from './merge.js';
export * from './codec.js';
export * from './op-kinds.js';
export * from './open-calls.js';
export * from './links.js';
export * from './op-size.js';
