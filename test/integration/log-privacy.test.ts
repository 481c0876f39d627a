/**
 * Error messages are written by libraries, and libraries quote what they were given: PostgreSQL the
 * value it could not read, JSON.parse the text it choked on. Whatever the service logs under `err`
 * must keep the kind of failure and lose the patient's data. These are real errors from the real
 * database and parser, logged through the service's own logger.
 */
import type { Logger } from '../../src/logging';
import { createLogger, errorForLog, scrubText } from '../../src/logging';
import { createTestDatabase, type TestDatabase } from '../support/test-db';

let t: TestDatabase;
let lines: string[];
let logger: Logger;

beforeAll(async () => {
  t = await createTestDatabase('log_privacy');
});
afterAll(async () => {
  await t.drop();
});
beforeEach(() => {
  lines = [];
  // The clock is digits too: '555' or '1966' must not be found in a timestamp.
  logger = createLogger('info', { write: (line: string) => void lines.push(line.replace(/"time":\d+/, '"time":0')) });
});

async function failureOf(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

test("PostgreSQL's quoted value (an impossible date of birth) is not logged; the kind of failure is", async () => {
  const err = await failureOf(() => t.db.sequelize.query('SELECT $1::date', { bind: ['1966-02-30'] }));
  // The real message quotes the value; that is what this guards against.
  expect(String((err as Error).message)).toContain('1966-02-30');
  logger.error({ err }, 'dialog turn failed');
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toContain('1966-02-30');
  expect(JSON.parse(lines[0]).err).toMatchObject({ name: 'SequelizeDatabaseError', message: expect.stringContaining('date/time field value out of range') });
});

test("PostgreSQL's quoted text (a name where a number belongs) is not logged", async () => {
  const err = await failureOf(() => t.db.sequelize.query('SELECT $1::int', { bind: ['Priscilla Quartermaine'] }));
  expect(String((err as Error).message)).toContain('Priscilla');
  logger.error({ err }, 'sms webhook failed');
  expect(lines[0]).not.toContain('Priscilla');
  expect(lines[0]).toContain('invalid input syntax for type integer');
});

test("JSON.parse's snippet of a malformed body (a phone number in it) is not logged", async () => {
  const err = await failureOf(() => JSON.parse('{"From": +15552017788}'));
  expect(String((err as Error).message)).toContain('555');
  logger.warn({ err }, 'bad body');
  expect(lines[0]).not.toMatch(/555|2017/);
  expect(JSON.parse(lines[0]).err.name).toBe('SyntaxError');
});

test('an error logged on its own does not become the line\'s message', async () => {
  const err = await failureOf(() => t.db.sequelize.query('SELECT $1::date', { bind: ['07/08/1966x'] }));
  logger.error(err as Error);
  expect(lines[0]).not.toContain('1966');
  expect(JSON.parse(lines[0])).toMatchObject({ msg: 'error', err: { name: 'SequelizeDatabaseError' } });
});

test('unquoted phone numbers, emails and dates in a message are taken out; server addresses and codes are kept', () => {
  expect(scrubText('no patient +1 (555) 201-7788 or jane.doe@example.org born 07/08/1966')).toBe('no patient [number] or [email] born [date]');
  expect(scrubText('connect ECONNREFUSED 127.0.0.1:6379')).toBe('connect ECONNREFUSED 127.0.0.1:6379');
  expect(errorForLog(Object.assign(new Error('Twilio said no'), { code: 21610 }))).toEqual({ name: 'Error', code: '21610', message: 'Twilio said no' });
  expect(errorForLog('just a string with 5552017788')).toEqual({ message: 'just a string with [number]' });
  expect(scrubText('x'.repeat(5000)).length).toBeLessThanOrEqual(301);
});
