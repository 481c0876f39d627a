import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { createAuditLog } from '../services/audit';
import { createIdentityService, LINK_CODE_HOURS } from '../services/identity';
import { validateFullName } from '../domain/patient';
import { createSequelize } from './database';
import { createDb } from './models';

/**
 * npm run admin:create -- --email you@clinic.org --name "Your Name"
 * (in the image: npm run admin:create:prod -- --email ... --name ...)
 *
 * The first admin of a clinic without the demo: the account, and a one-time code that links it to
 * the person's Slack or Teams (they send 'link <code>' to the bot). Run again for an existing admin,
 * it issues a fresh code. Whoever can run this on the server is trusted already; it is audited.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, name: { type: 'string' } } });
  const email = values.email?.trim();
  if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    console.error('usage: npm run admin:create -- --email you@clinic.org --name "Your Name"');
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const db = createDb(createSequelize({ url: config.databaseUrl, poolMax: 2, pgbouncer: config.databasePgbouncer }));
  const audit = createAuditLog(db);
  try {
    const existing = await db.models.User.findOne({ where: { email } });
    if (existing && existing.role !== 'admin') {
      console.error(`${email} belongs to a ${existing.role}; give the admin an email of their own.`);
      process.exit(2);
    }
    if (!existing) {
      if (!values.name) {
        console.error('a new admin needs --name "Their Name"');
        process.exit(2);
      }
      const displayName = validateFullName(values.name);
      await db.sequelize.transaction(async (transaction) => {
        const user = await db.models.User.create({ role: 'admin', email, displayName }, { transaction });
        await audit.record(null, { action: 'admin.create', outcome: 'allowed', subjectType: 'user', subjectId: user.id, details: { via: 'admin:create' } }, transaction);
      });
    } else if (!existing.active) {
      await existing.update({ active: true });
    }
    const { code, name } = await createIdentityService({ db, audit }).issueLinkCode(null, email);
    console.log(`${existing ? 'Admin' : 'Created the admin'} ${name} <${email}>.`);
    console.log(`Link code (one use, ${LINK_CODE_HOURS} hours): ${code}`);
    console.log(`They send "link ${code}" to the bot in a direct message on Slack or Teams.`);
  } finally {
    await db.sequelize.close();
  }
}

main().catch((err) => {
  console.error(`admin:create failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
