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

test('the check finds a breach when there is one', () => {
  // Guard against a rule that can never fail: a file of ours that does import upward is seen.
  expect(importsOf(path.join('app', 'receivers.ts')).some((spec) => under(spec, 'adapters'))).toBe(true);
  expect(importsOf(path.join('app', 'context.ts')).some((spec) => under(spec, path.join('src', 'services')))).toBe(true);
});
