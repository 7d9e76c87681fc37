// Validates alerts against docs/alert.schema.json (the published contract).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { REPO } from './env.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
const schema = JSON.parse(readFileSync(join(REPO, 'docs', 'alert.schema.json'), 'utf8')) as object;
const validate = ajv.compile(schema);

export function assertValidAlert(alert: unknown): void {
  if (!validate(alert)) {
    throw new Error(`alert does not match docs/alert.schema.json: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(alert).slice(0, 600)}`);
  }
}
