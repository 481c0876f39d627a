import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import type { Actor } from '../domain/actor';
import { DomainError } from '../domain/errors';
import { createAuditLog } from '../services/audit';
import { createFhirClientsService } from '../services/fhir-clients';
import { createSequelize } from './database';
import { createDb } from './models';

/**
 * npm run fhir:client -- add --admin you@clinic.org --name "Acme EHR" --scopes "system/*.read system/Appointment.write" [--jwks https://...]
 * npm run fhir:client -- list --admin you@clinic.org
 * npm run fhir:client -- revoke --admin you@clinic.org --id cc-...
 *
 * The same as /clinic fhir-clients in Slack or Teams, for whoever sets up an integration on the
 * server: it acts as the admin named (who must exist and be active), and is audited under them.
 */
const USAGE = 'usage: npm run fhir:client -- add|list|revoke --admin <admin email> [--name "EHR name" --scopes "system/*.read ..." [--jwks https://...]] [--id cc-...]';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { admin: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'string' }, jwks: { type: 'string' }, id: { type: 'string' } },
  });
  const command = positionals[0];
  if (!['add', 'list', 'revoke'].includes(command ?? '') || !values.admin) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const db = createDb(createSequelize({ url: config.databaseUrl, poolMax: 2, pgbouncer: config.databasePgbouncer }));
  const audit = createAuditLog(db);
  const clients = createFhirClientsService({ db, audit, now: Date.now });
  try {
    const user = await db.models.User.findOne({ where: { email: values.admin.trim(), role: 'admin', active: true } });
    if (!user) {
      console.error(`${values.admin} is not an active admin (npm run admin:create makes one).`);
      process.exit(2);
    }
    const actor: Actor = { userId: user.id, role: 'admin', channel: 'console', name: user.displayName };
    if (command === 'add') {
      if (!values.name || !values.scopes) {
        console.error(USAGE);
        process.exit(2);
      }
      const c = await clients.register(actor, values.name, values.scopes.split(/[\s,]+/), { jwksUrl: values.jwks ?? null });
      console.log(`client_id ${c.clientId}`);
      if (c.secret) console.log(`client_secret ${c.secret}   (shown once: give it to the integrator privately)`);
      else console.log(`no secret: the client signs JWT assertions with the keys at ${values.jwks}`);
      console.log(`scopes ${c.scopes.join(' ')}`);
    } else if (command === 'list') {
      for (const c of await clients.list(actor)) console.log(`${c.clientId} ${c.name}${c.revoked ? ' (revoked)' : ''}${c.jwksUrl ? ' (signed JWT)' : ''}: ${c.scopes.join(' ')}`);
    } else {
      if (!values.id) {
        console.error(USAGE);
        process.exit(2);
      }
      await clients.revoke(actor, values.id);
      console.log(`${values.id} is revoked; its tokens no longer work.`);
    }
  } catch (err) {
    if (err instanceof DomainError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  } finally {
    await db.sequelize.close();
  }
}

main().catch((err) => {
  console.error(`fhir:client failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
