export * from './client.js';
export * from './device-types.js';
export * from './launch-url.js';
export * from './validate.js';
