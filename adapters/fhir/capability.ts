import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import type { Request, Response, Server } from 'restify';
import { ASSERTION_ALGORITHMS, FHIR_SCOPES, TOKEN_MINUTES } from '../../src/services/fhir-clients';
import { send, type FhirContext } from './http';

/** What the API offers, so clients (and FHIR libraries) can find the token address and the searches. */
export function capabilityStatement(base: string): CapabilityStatement {
  const read = (type: string, searchParam: Array<[string, string]> = []): CapabilityStatementRestResource => ({
    type: type as never,
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    searchParam: searchParam.map(([name, type]) => ({ name, type: type as never })),
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-28',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    software: { name: 'Clinic Concierge' },
    implementation: { description: 'Clinic Concierge scheduling', url: base },
    rest: [
      {
        mode: 'server',
        security: {
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: [{ url: 'token', valueUri: `${base}/token` }] }],
          description: `OAuth 2 client credentials, by client secret or by a signed JWT assertion (SMART Backend Services); tokens last ${TOKEN_MINUTES} minutes. Scopes: ${FHIR_SCOPES.join(' ')}.`,
        },
        resource: [
          read('Practitioner'),
          read('PractitionerRole', [['practitioner', 'reference'], ['specialty', 'token'], ['location', 'reference'], ['service', 'reference']]),
          read('Location', [['name', 'string']]),
          read('HealthcareService', [['name', 'string']]),
          read('Schedule', [['actor', 'reference'], ['specialty', 'token'], ['service-type', 'token']]),
          {
            type: 'Slot',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              { name: 'schedule', type: 'reference' },
              { name: 'schedule.actor', type: 'reference' },
              { name: 'start', type: 'date' },
              { name: 'status', type: 'token' },
              { name: 'service-type', type: 'token' },
            ],
          },
          {
            type: 'Appointment',
            interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }, { code: 'update' }, { code: 'patch' }],
            searchParam: [
              { name: 'patient', type: 'reference' },
              { name: 'practitioner', type: 'reference' },
              { name: 'actor', type: 'reference' },
              { name: 'date', type: 'date' },
              { name: 'status', type: 'token' },
            ],
            operation: [
              { name: 'find', definition: `${base}/OperationDefinition/appointment-find` },
              { name: 'hold', definition: `${base}/OperationDefinition/appointment-hold` },
              { name: 'book', definition: `${base}/OperationDefinition/appointment-book` },
            ],
          },
          read('Patient', [['identifier', 'token'], ['phone', 'token']]),
        ],
      },
    ],
  };
}

export function mountCapability(server: Server, fhir: FhirContext): void {
  server.get('/fhir/metadata', async (_req: Request, res: Response) => send(res, 200, capabilityStatement(fhir.base)));
  // SMART discovery: where to get a token and how a client may prove itself.
  server.get('/fhir/.well-known/smart-configuration', async (_req: Request, res: Response) => {
    res.send(200, {
      token_endpoint: `${fhir.base}/token`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
      scopes_supported: [...FHIR_SCOPES],
      capabilities: ['client-confidential-symmetric', 'client-confidential-asymmetric'],
    });
  });
}
