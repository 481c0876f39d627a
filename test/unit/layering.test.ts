import fs from 'node:fs';
import path from 'node:path';

/**
 * The house rules of the layout, read from the sources themselves: wiring lives in app/ and is the
 * only place that knows every layer; src/ (domain, services, data, reminders) never reaches up into
 * the dialogs or the channel adapters; the domain rules import nothing but their own kind and small
 * pure libraries (no ORM, no Redis, no channel SDK).
 */
const ROOT = path.join(__dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (/\.ts$/.test(entry.name)) out.push(rel);
  }
  return out;
}

/** Every module a file imports, resolved to a path from the root for relative ones. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const found = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? m[4],
  );
  return found.map((spec) => (spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec));
}

const under = (spec: string, dir: string) => spec === dir || spec.startsWith(`${dir}${path.sep}`);

test('src/ never imports the dialogs, the adapters or the wiring', () => {
  const breaches = sources('src').flatMap((file) => importsOf(file).filter((spec) => ['dialogs', 'adapters', 'app'].some((d) => under(spec, d))).map((spec) => `${file} -> ${spec}`));
  expect(breaches).toEqual([]);
});

test('the dialogs and the adapters never import the wiring', () => {
  const breaches = [...sources('dialogs'), ...sources('adapters')].flatMap((file) => importsOf(file).filter((spec) => under(spec, 'app')).map((spec) => `${file} -> ${spec}`));
  expect(breaches).toEqual([]);
});

test('the domain rules import only each other and pure libraries', () => {
  const allowed = new Set(['luxon', 'zod', 'libphonenumber-js', 'node:crypto']);
  const breaches = sources('src/domain').flatMap((file) =>
    importsOf(file)
      .filter((spec) => (spec.startsWith('src') ? !under(spec, path.join('src', 'domain')) : !allowed.has(spec)))
      .map((spec) => `${file} -> ${spec}`),
  );
  expect(breaches).toEqual([]);
});

test('no SQL outside the data layer: none in the adapters, the dialogs or the reminder workers', () => {
  const files = [...sources('adapters'), ...sources('dialogs'), ...sources(path.join('src', 'reminders'))];
  const breaches = files.filter((file) => /\.sequelize\.(query|transaction)\(|QueryTypes|\bSELECT\s+[\w*]|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
  expect(breaches).toEqual([]);
});

test('every permission check in the services goes through permit (check, audit a refusal, act)', () => {
  const handWritten = sources(path.join('src', 'services')).filter((file) => /try \{\s*require(Admin|ActForPatient|ReadPatient|ManageDoctor|AppointmentAccess|RecordOutcome)\(/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
  expect(handWritten).toEqual([]);
  const users = sources(path.join('src', 'services')).filter((file) => /\bpermit\(/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
  expect(users.length).toBeGreaterThanOrEqual(9);
});

test('every table has a model', () => {
  const tables = new Set(
    sources('migrations').flatMap((file) => [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)/g)].map((m) => m[1])),
  );
  const models = new Set([...fs.readFileSync(path.join(ROOT, 'src', 'db', 'models.ts'), 'utf8').matchAll(/tableName: '([a-z_]+)'/g)].map((m) => m[1]));
  expect([...tables].filter((t) => !models.has(t)).sort()).toEqual([]);
  expect(tables.size).toBeGreaterThan(10);
});

test('the check finds a breach when there is one', () => {
  // Guard against a rule that can never fail: a file of ours that does import upward is seen.
  expect(importsOf(path.join('app', 'receivers.ts')).some((spec) => under(spec, 'adapters'))).toBe(true);
  expect(importsOf(path.join('app', 'context.ts')).some((spec) => under(spec, path.join('src', 'services')))).toBe(true);
});
