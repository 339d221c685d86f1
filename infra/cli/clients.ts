import { idSchema } from '../../shared/appliances/schemas.js';
import { clientSchema } from '../../shared/auth/clients.js';
import { SCOPES } from '../../shared/auth/principal.js';
import { NotFoundError } from '../../shared/errors.js';
import { requireRegistered } from './appliances.js';
import { CliError, flag, JSON_OPTION, list, positionalArgs, printRows, UsageError } from './args.js';
import type { CliCommand } from './command.js';

const create: CliCommand = {
  name: 'clients create',
  summary: 'create an API client and print its new API key once',
  args: ['<id>'],
  target: true,
  options: {
    scopes: {
      type: 'string',
      multiple: true,
      value: '<list>',
      description: `comma-separated: ${SCOPES.join(', ')} (required)`,
    },
    appliances: {
      type: 'string',
      multiple: true,
      value: '<list>',
      description: "comma-separated appliance ids, or '*' for all (required)",
    },
    replace: {
      type: 'boolean',
      description: 'replace an existing client: new scopes and a NEW key (rotation)',
    },
    json: { type: 'boolean', description: 'print {id, scopes, appliances, apiKey} as JSON' },
  },
  details: `The key goes to stdout alone (KEY=$(npm run -s cli -- clients create …) works) and is never shown again: only an
HMAC of it is stored. Lost keys are replaced with --replace.`,
  async run(context, args) {
    const [id] = positionalArgs(args, this, 2) as [string];
    const scopes = list(args.values, 'scopes');
    const appliances = list(args.values, 'appliances');
    if (!scopes?.length) throw new UsageError(`--scopes is required (${SCOPES.join(', ')})`);
    if (!appliances?.length) throw new UsageError("--appliances is required (appliance ids, or '*' for all)");
    const definition = clientSchema.parse({
      id,
      scopes: [...new Set(scopes)],
      appliances: [...new Set(appliances)],
    });
    const broker = await context.broker();
    await requireRegistered(
      broker,
      definition.appliances.filter((a) => a !== '*'),
      '--appliances',
    );
    const existing = (await broker.clients.list()).some((client) => client.id === id);
    if (existing && !flag(args.values, 'replace')) {
      throw new CliError(
        `client "${id}" already exists; pass --replace to give it a new key, or revoke it first`,
      );
    }
    const { apiKey } = await broker.clients.create(definition);
    if (flag(args.values, 'json')) {
      context.out(JSON.stringify({ ...definition, apiKey }, null, 2));
    } else {
      context.out(apiKey);
      context.err(
        `${existing ? 'replaced' : 'created'} client ${id} (scopes ${definition.scopes.join(',')}; appliances ${definition.appliances.join(',')}). ` +
          'The API key above is shown only this once: store it now.',
      );
    }
    return 0;
  },
};

const listCommand: CliCommand = {
  name: 'clients list',
  summary: 'list API clients (never their keys)',
  target: true,
  options: JSON_OPTION,
  async run(context, args) {
    positionalArgs(args, this, 2);
    printRows(context, await (await context.broker()).clients.list(), {
      json: flag(args.values, 'json'),
      empty: 'no clients',
      header: ['ID', 'SCOPES', 'APPLIANCES', 'CREATED'],
      row: (c) => [c.id, c.scopes.join(','), c.appliances.join(','), c.createdAt],
    });
    return 0;
  },
};

const revoke: CliCommand = {
  name: 'clients revoke',
  summary: 'delete a client and its key',
  args: ['<id>'],
  target: true,
  options: {},
  details: `New requests with the key fail at once; in AWS, API Gateway may keep serving an authorization it
cached for that key for up to 5 minutes.`,
  async run(context, args) {
    const [id] = positionalArgs(args, this, 2) as [string];
    idSchema.parse(id);
    const broker = await context.broker();
    try {
      await broker.clients.revoke(id);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new CliError(`client "${id}" was not found (see clients list)`);
      throw error;
    }
    context.out(`revoked client ${id}`);
    return 0;
  },
};

export const clientCommands: CliCommand[] = [create, listCommand, revoke];
