import { ValidationError, uuidv7, type Delta, type MessageInput, type Role } from '../../index.js';
import { asOptions, choiceOpt, intOpt, jsonOpt, threadIdArg } from '../args.js';
import type { Command } from '../command.js';
import { usageLine } from '../views.js';

const ROLES = ['user', 'assistant', 'system'] as const satisfies readonly Role[];

/** `skein append`: appends one message to a thread. */
export const appendCommand: Command = {
  name: 'append',
  summary: 'append a message to a thread',
  usage: 'skein append ID --role user|assistant|system [--content TEXT] [--usage JSON] [--tool-calls JSON] [--tool-results JSON] [--expected-version N]',
  details: [
    '--role R               user, assistant or system',
    '--content TEXT         the message text; read from stdin when absent and stdin is piped',
    '--usage JSON           resourceUsage, e.g. {"model":"m","inputTokens":10,"outputTokens":5,"costUSD":0.001}',
    '--tool-calls JSON      [{"id","name","input"}]',
    '--tool-results JSON    [{"toolCallId","output","isError"?}]',
    '--expected-version N   refuse (VERSION_CONFLICT) unless the thread is at version N',
  ],
  options: {
    role: { type: 'string' },
    content: { type: 'string' },
    usage: { type: 'string' },
    'tool-calls': { type: 'string' },
    'tool-results': { type: 'string' },
    'expected-version': { type: 'string' },
  },
  async run(args, ctx) {
    const id = threadIdArg(args);
    const role = choiceOpt(args.values, 'role', ROLES);
    if (role === undefined) throw new ValidationError('--role', `is required (one of ${ROLES.join(', ')})`);
    const usage = jsonOpt(args.values, 'usage');
    const toolCalls = jsonOpt(args.values, 'tool-calls');
    const toolResults = jsonOpt(args.values, 'tool-results');
    const expectedVersion = intOpt(args.values, 'expected-version');
    const content = await ctx.text(args.values, 'content', { allowEmpty: toolCalls !== undefined || toolResults !== undefined });
    // Shapes are left to the library's schema, which names the offending field.
    const message = {
      id: uuidv7(),
      content,
      ...(usage !== undefined && { resourceUsage: usage }),
      ...(toolCalls !== undefined && { toolCalls }),
      ...(toolResults !== undefined && { toolResults }),
    } as MessageInput;
    const store = await ctx.openStore();
    const delta = { type: `${role}:message`, message } as Delta;
    const written = await asOptions(store.append(id, delta, expectedVersion === undefined ? {} : { expectedVersion }), {
      'delta.message.resourceUsage': '--usage',
      'delta.message.toolCalls': '--tool-calls',
      'delta.message.toolResults': '--tool-results',
      'delta.message.content': '--content',
    });
    // The answer carries the op written (its message completed), not the thread: O(1) at any length.
    const op = written.ops[0];
    const added = op && 'message' in op ? op.message : undefined;
    if (ctx.json) ctx.printJson({ id, v: written.v, message: added });
    else ctx.print(`${id} v${written.v}  [${role}] ${added?.id ?? ''}${added?.resourceUsage ? `  ${usageLine(added.resourceUsage)}` : ''}`);
  },
};
