import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createAppContext } from './context';
import { loadConfig } from '../src/config';
import { createDialogs } from './dialogs';
import { createLogger } from '../src/logging';
import { renderPlain } from '../dialogs/support/format';
import { createInboundPipeline } from '../adapters/shared/inbound';
import { createSenderRateLimiter } from '../adapters/shared/rate-limit';

/**
 * npm run chat -- --as patient:+15551234567     (a patient, as if texting; an unknown number registers)
 * npm run chat -- --as doctor:anika.patel@demo.clinic
 * npm run chat -- --as admin:admin@demo.clinic
 *
 * The real dialog engine on the real services, without any platform account. Lines typed on
 * standard input are messages; 'quit' or Ctrl-D ends the chat (the conversation stays in Redis).
 */
function parseAs(argv: string[]): { role: string; id: string } {
  const i = argv.indexOf('--as');
  const value = i >= 0 ? argv[i + 1] : undefined;
  const m = value ? /^(patient|doctor|admin):(.+)$/.exec(value) : null;
  if (!m) {
    console.error('usage: npm run chat -- --as patient:+15551234567 | doctor:<email> | admin:<email>');
    process.exit(2);
  }
  return { role: m[1], id: m[2] };
}

async function main(): Promise<void> {
  const who = parseAs(process.argv.slice(2));
  const config = loadConfig();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const ctx = await createAppContext(config, logger);
  // The same road as every channel's messages (the console has no signature to check).
  const pipeline = createInboundPipeline({
    redis: ctx.redis,
    redisPrefix: config.redisPrefix,
    limiter: createSenderRateLimiter(ctx.redis, config.redisPrefix, config.rateLimitPerMinute),
    identity: ctx.services.identity,
    engine: createDialogs(ctx, logger),
  });
  const interactive = process.stdin.isTTY;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: interactive });
  const senderId = who.role === 'patient' ? who.id : who.id.toLowerCase();
  console.log(`Chatting with ${config.clinicName} as ${who.role} ${who.id}. Type 'quit' to leave.\n`);

  const prompt = () => interactive && rl.prompt();
  rl.setPrompt('you> ');
  prompt();
  for await (const line of rl) {
    if (/^(quit|\.exit)$/i.test(line.trim())) break;
    if (!interactive) console.log(`you> ${line}`);
    const outcome = await pipeline.receive({ channel: 'console', conversation: 'direct', senderId, text: line });
    const { replies, told } = outcome.kind === 'answered' ? outcome.result : { replies: 'replies' in outcome ? outcome.replies : [], told: [] };
    for (const reply of replies) {
      console.log(`bot> ${renderPlain(reply).replace(/\n/g, '\n     ')}`);
      for (const file of reply.files ?? []) {
        const where = path.join(os.tmpdir(), file.name);
        fs.writeFileSync(where, file.data);
        console.log(`     [file saved: ${where}]`);
      }
    }
    if (told?.length) await ctx.services.appointments.markPatientTold(told);
    console.log('');
    prompt();
  }
  rl.close();
  await ctx.close();
}

main().catch((err) => {
  console.error(`chat could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
