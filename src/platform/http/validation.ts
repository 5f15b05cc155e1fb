import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { checkRequestShape } from '../../registry/validation/index.js';
import type { ErrorDetail } from '../errors.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Marks a body schema whose validation is the registry's own server.json request-shape check. */
export const SERVER_JSON_BODY = 'x-wharf-server-json';

/** A validation failure already expressed as huma-style error details. */
export class ShapeError extends Error {
  constructor(readonly details: ErrorDetail[]) {
    super('validation failed');
  }
}

const makeAjv = (coerce: boolean) => {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
};

// Query strings and path parameters arrive as text and need coercion; JSON bodies must not be coerced.
const coercing = makeAjv(true);
const strict = makeAjv(false);

export const validatorCompiler: FastifySchemaCompiler<Record<string, unknown>> = ({ schema, httpPart }) => {
  if (httpPart === 'body' && (schema as Record<string, unknown>)[SERVER_JSON_BODY]) {
    return (data: unknown) => {
      const result = checkRequestShape(data);
      return result.ok ? { value: result.value } : { error: new ShapeError(result.errors) };
    };
  }
  const ajv = httpPart === 'body' ? strict : coercing;
  return ajv.compile(schema) as ValidateFunction;
};

export type { ErrorObject };
