#!/usr/bin/env node
// The `console-launch-broker` bin: loads the TypeScript CLI through tsx (a devDependency, present after `npm ci`).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
