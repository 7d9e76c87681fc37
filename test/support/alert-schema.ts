// Validates alerts and incidents against docs/alert.schema.json and
// docs/incident.schema.json (the published contracts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { REPO } from './env.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
const load = (file: string): object => JSON.parse(readFileSync(join(REPO, 'docs', file), 'utf8')) as object;
const validate = ajv.compile(load('alert.schema.json'));
const validateIncident = ajv.compile(load('incident.schema.json'));

export function assertValidAlert(alert: unknown): void {
  if (!validate(alert)) {
    throw new Error(`alert does not match docs/alert.schema.json: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(alert).slice(0, 600)}`);
  }
}

export function assertValidIncident(incident: unknown): void {
  if (!validateIncident(incident)) {
    throw new Error(`incident does not match docs/incident.schema.json: ${ajv.errorsText(validateIncident.errors)}\n${JSON.stringify(incident).slice(0, 600)}`);
  }
}
