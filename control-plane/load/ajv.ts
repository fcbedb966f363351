/**
 * ajv is CommonJS; under NodeNext its default export types as the module object. This is the one
 * place that unwraps it, so the rest of the code gets a typed constructor.
 */
import * as ajv2020 from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';

type Ajv2020Ctor = typeof ajv2020.Ajv2020;
type Options = ConstructorParameters<Ajv2020Ctor>[0];

export type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

const Ctor: Ajv2020Ctor = (ajv2020 as unknown as { default: Ajv2020Ctor }).default ?? ajv2020.Ajv2020;
const addFormats = (ajvFormats as unknown as { default: (a: InstanceType<Ajv2020Ctor>) => void }).default;

export function createAjv(options: Options): InstanceType<Ajv2020Ctor> {
  const ajv = new Ctor(options);
  addFormats(ajv);
  return ajv;
}
