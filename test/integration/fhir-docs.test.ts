import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { QueryTypes } from 'sequelize';
import { seedDemoClinic } from '../../src/db/seed';
import { createHarness, type Harness } from '../support/harness';
import { freePort, startApp, type HttpApp } from '../support/http-app';

/**
 * docs/fhir.md's examples, run as written: every ```sh block, in order, in one bash, against the
 * demo clinic on a running server, with only BASE (and the database the server CLI uses) set.
 * A broken example fails here, not in an integrator's terminal.
 */
const ROOT = path.join(__dirname, '../..');
let h: Harness;
let app: HttpApp;
let output: string[];

beforeAll(async () => {
  // The examples ask for slots from today: the clinic's clock is the real one.
  h = await createHarness('fhir_docs', { now: new Date().toISOString() });
  await seedDemoClinic(h.db);
  const port = await freePort();
  app = await startApp(h, { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }, { port });
  const doc = fs.readFileSync(path.join(ROOT, 'docs/fhir.md'), 'utf8');
  const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const script = ['set -euo pipefail', ...blocks.flatMap((b, i) => [`echo '::block ${i}'`, b])].join('\n');
  const { stdout } = await promisify(execFile)('bash', ['-c', script], {
    cwd: ROOT,
    env: { ...process.env, BASE: `http://127.0.0.1:${port}/fhir`, DATABASE_URL: h.url, NODE_ENV: 'development', LOG_LEVEL: 'silent' },
    timeout: 90_000,
  });
  if (process.env.SHOW_DOC_OUTPUT) process.stdout.write(stdout);
  output = stdout.split(/^::block \d+\n/m).slice(1);
}, 120_000);
afterAll(async () => {
  await app.close();
  await h.close();
});

it('runs every example on the page, in order, without an error', () => {
  expect(output.length).toBeGreaterThanOrEqual(8);
  expect(output[0]).toMatch(/^client cc-/);
});

it('shows the directory, slots with a next page, and the patient found by phone', () => {
  const all = output.join('');
  expect(all).toContain('Appointment');
  expect(all).toMatch(/"doctor":"Anika Patel"/);
  expect(all).toContain('Downtown Clinic: 12 Main St, Springfield');
  expect(all).toMatch(/\/fhir\/Slot\?.*start=gt/);
});

it('books, is refused the same time with 409, finds and cancels it, then holds and books through $find', async () => {
  const all = output.join('');
  expect(all).toMatch(/booked Appointment\/[0-9a-f-]{36}/);
  expect(all).toContain('HTTP 409');
  expect(all).toMatch(/^cancelled$/m);
  expect(all).toMatch(/^booked \d{4}-\d{2}-\d{2}T/m);
  const rows = await h.db.sequelize.query<{ status: string; channel: string }>(
    `SELECT a.status, a.channel FROM appointments a JOIN patients p ON p.id = a.patient_id WHERE p.phone_e164 = '+15551234567' ORDER BY a.status`,
    { type: QueryTypes.SELECT },
  );
  expect(rows).toEqual([
    { status: 'booked', channel: 'fhir' },
    { status: 'cancelled', channel: 'fhir' },
  ]);
});
