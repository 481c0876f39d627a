/**
 * A real FHIR client library, fhir-kit-client, used the way an EHR integrator would use it against
 * the running server: discover the token address, get a token, search slots (following the next
 * page), book, find the booking, book the same time again, send nonsense, cancel, and run $find.
 * It prints what it saw as one JSON object; test/integration/fhir-conformance.test.ts checks it.
 * fhir-kit-client 2 is ESM only, so this runs as its own process (tsx), as a client would.
 */
import { Client } from 'fhir-kit-client';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const base = env('FHIR_BASE');
const client = new Client({ baseUrl: base });
const seen: Record<string, unknown> = {};
/** What a refused request came back as: status and the OperationOutcome's first issue code. */
const refusal = async (work: () => Promise<unknown>) => {
  try {
    await work();
    return { status: 200 };
  } catch (err) {
    const e = err as { response?: { status: number; data: { resourceType?: string; issue?: Array<{ code: string }> } } };
    return { status: e.response?.status ?? 0, resourceType: e.response?.data?.resourceType, code: e.response?.data?.issue?.[0]?.code };
  }
};

async function main(): Promise<void> {
  const auth = (await client.smartAuthMetadata()) as { tokenUrl?: URL | string };
  seen.tokenUrl = String(auth.tokenUrl);
  const tokenRes = await fetch(String(auth.tokenUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${env('CLIENT_ID')}:${env('CLIENT_SECRET')}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/Slot.read system/Appointment.read system/Appointment.write' }),
  });
  const token = (await tokenRes.json()) as { access_token: string; scope: string };
  seen.scope = token.scope;
  client.bearerToken = token.access_token;

  const capability = (await client.capabilityStatement()) as unknown as { fhirVersion: string };
  seen.fhirVersion = capability.fhirVersion;

  const day = env('DAY');
  type Bundle = { entry?: Array<{ resource: { id: string; start: string; status: string; participant: Array<{ actor: { reference: string } }> } }>; link?: Array<{ relation: string }> };
  const page1 = (await client.search({ resourceType: 'Slot', searchParams: { 'schedule.actor': `Practitioner/${env('DOCTOR')}`, start: [`ge${day}`, `le${day}`], status: 'free', _count: 2 } })) as Bundle;
  const page2 = (await client.nextPage({ bundle: page1 as never })) as Bundle;
  seen.slotPages = [page1.entry?.map((e) => e.resource.start), page2.entry?.map((e) => e.resource.start)];
  const first = page1.entry![0].resource;

  const booking = {
    resourceType: 'Appointment',
    status: 'booked',
    start: first.start,
    participant: [{ actor: { reference: `Practitioner/${env('DOCTOR')}` }, status: 'accepted' }, { actor: { reference: `Patient/${env('PATIENT')}` }, status: 'accepted' }],
  };
  const created = (await client.create({ resourceType: 'Appointment', body: booking as never })) as unknown as { id: string; status: string; start: string };
  seen.created = { status: created.status, start: created.start };

  const found = (await client.search({ resourceType: 'Appointment', searchParams: { patient: `Patient/${env('PATIENT')}`, date: day } })) as Bundle;
  seen.foundIds = found.entry?.map((e) => e.resource.id);
  seen.createdId = created.id;

  seen.taken = await refusal(() =>
    client.create({ resourceType: 'Appointment', body: { ...booking, participant: [booking.participant[0], { actor: { reference: `Patient/${env('OTHER_PATIENT')}` } }] } as never }),
  );
  seen.nonsense = await refusal(() => client.create({ resourceType: 'Appointment', body: { resourceType: 'Appointment', start: 'next tuesday-ish', participant: [] } as never }));
  seen.badSearch = await refusal(() => client.search({ resourceType: 'Slot', searchParams: { 'schedule.actor': `Practitioner/${env('DOCTOR')}`, start: 'soonish' } }));

  const cancelled = (await client.patch({ resourceType: 'Appointment', id: created.id, jsonPatch: [{ op: 'replace', path: '/status', value: 'cancelled' }] })) as unknown as { status: string };
  seen.cancelled = cancelled.status;
  const read = (await client.read({ resourceType: 'Appointment', id: created.id })) as unknown as { status: string };
  seen.readAfterCancel = read.status;

  const proposed = (await client.operation({ resourceType: 'Appointment', name: '$find', method: 'GET', input: { start: day, end: day, practitioner: `Practitioner/${env('DOCTOR')}` } })) as Bundle;
  seen.findFirst = proposed.entry?.[0]?.resource;
  process.stdout.write(JSON.stringify(seen));
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
