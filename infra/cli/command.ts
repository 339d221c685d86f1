import type { Broker } from '../../shared/broker.js';
import type { CliIo, Command } from './args.js';
import type { Target } from './target.js';

/**
 * What a command runs with: the streams, and the broker on the chosen target (opened on first use). Its own
 * module so command files and the dispatcher in cli.ts do not import each other.
 */
export interface CliContext {
  io: CliIo;
  out(text: string): void;
  err(text: string): void;
  target(): Promise<Target>;
  broker(): Promise<Broker>;
}

export type CliCommand = Command<CliContext>;
