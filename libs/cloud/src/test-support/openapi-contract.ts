import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Checks HTTP requests and responses against an OpenAPI 3.0 document with ajv: path and query parameters
 * (unknown query parameters included), JSON request bodies, response bodies and documented response headers.
 * Schemas are compiled by JSON pointer into the document, so its `$ref`s resolve as written.
 */

interface ParameterObject {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly schema?: Record<string, unknown>;
}
interface Reference {
  readonly $ref: string;
}
interface MediaObject {
  readonly schema?: unknown;
}
interface ResponseObject {
  readonly headers?: Record<string, Reference | { schema?: Record<string, unknown> }>;
  readonly content?: Record<string, MediaObject>;
}
interface OperationObject {
  readonly operationId?: string;
  readonly parameters?: (ParameterObject | Reference)[];
  readonly requestBody?: { readonly required?: boolean; readonly content?: Record<string, MediaObject> } | Reference;
  readonly responses?: Record<string, ResponseObject | Reference>;
}
type PathItem = Record<string, unknown> & { readonly parameters?: (ParameterObject | Reference)[] };
interface OpenApiDocument {
  readonly paths: Record<string, PathItem>;
}

export interface MatchedOperation {
  readonly operationId: string;
  readonly method: string;
  readonly template: string;
  readonly pathParams: Record<string, string>;
}

export interface HttpRequestShape {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType?: string;
  /** The parsed JSON body, or undefined when there is none. */
  readonly body: unknown;
}

const DOCUMENT_ID = 'openapi-document';

function pointer(...segments: string[]): string {
  return `#/${segments.map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function isReference(value: unknown): value is Reference {
  return typeof value === 'object' && value !== null && typeof (value as Reference).$ref === 'string';
}

/** Query and path values arrive as text; the document types them. */
function coerce(value: string, schema: Record<string, unknown> | undefined): unknown {
  const type = schema?.type;
  if (type === 'integer' || type === 'number')
    return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

export class OpenApiContract {
  private readonly ajv: Ajv;
  private readonly document: OpenApiDocument;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: { template: string; pattern: RegExp; names: string[]; literalSegments: number }[];

  constructor(documentPath: string) {
    this.document = parse(readFileSync(documentPath, 'utf8')) as OpenApiDocument;
    // `unicodeRegExp: false`: some of the document's patterns are not valid under the `u` flag. Not strict: the
    // document's own keywords (example, discriminator without oneOf, x-*) are annotations here.
    this.ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, validateSchema: false, logger: false });
    addFormats(this.ajv);
    this.ajv.addSchema(this.document, DOCUMENT_ID);
    this.routes = Object.keys(this.document.paths)
      .map((template) => {
        const names: string[] = [];
        const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_whole, name: string) => {
          names.push(name);
          return '([^/]+)';
        });
        return {
          template,
          pattern: new RegExp(`^${source}/?$`),
          names,
          literalSegments: template.split('/').filter((segment) => !segment.startsWith('{')).length,
        };
      })
      // `/v2/droplets/actions` before `/v2/droplets/{droplet_id}`.
      .sort((a, b) => b.literalSegments - a.literalSegments);
  }

  match(method: string, path: string): MatchedOperation | undefined {
    const lower = method.toLowerCase();
    for (const route of this.routes) {
      const found = route.pattern.exec(path);
      const operation = found
        ? (this.document.paths[route.template]?.[lower] as OperationObject | undefined)
        : undefined;
      if (!found || !operation?.operationId) continue;
      const pathParams = Object.fromEntries(
        route.names.map((name, index) => [name, decodeURIComponent(found[index + 1] ?? '')]),
      );
      return { operationId: operation.operationId, method: lower, template: route.template, pathParams };
    }
    return undefined;
  }

  /** What is wrong with the request, by the document; empty when nothing is. */
  checkRequest(operation: MatchedOperation, request: HttpRequestShape): string[] {
    const problems: string[] = [];
    const op = this.operation(operation);
    const pathItem = this.document.paths[operation.template] ?? {};
    const parameters = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].map((parameter) =>
      this.resolve<ParameterObject>(parameter),
    );
    for (const parameter of parameters) {
      if (parameter.in !== 'path' && parameter.in !== 'query') continue;
      const raw =
        parameter.in === 'path'
          ? operation.pathParams[parameter.name]
          : (request.query.get(parameter.name) ?? undefined);
      if (raw === undefined) {
        if (parameter.required) problems.push(`${parameter.in} parameter ${parameter.name} is required`);
        continue;
      }
      const ref = this.parameterSchemaRef(operation, parameter);
      if (ref)
        problems.push(
          ...this.validate(
            ref,
            // The type may be behind a $ref (Cloudflare's `per_page`): coerced by the type it names.
            coerce(raw, parameter.schema && this.resolve<Record<string, unknown>>(parameter.schema)),
            `${parameter.in} parameter ${parameter.name}`,
          ),
        );
    }
    const known = new Set(
      parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name),
    );
    for (const name of request.query.keys())
      if (!known.has(name)) problems.push(`query parameter ${name} is not in the document`);

    const body =
      op.requestBody === undefined
        ? undefined
        : this.resolve<{ required?: boolean; content?: Record<string, MediaObject> }>(op.requestBody);
    if (request.body !== undefined) {
      const json = body?.content?.['application/json'];
      if (!json?.schema) problems.push('a body was sent, but the document takes none');
      else if (!request.contentType?.startsWith('application/json'))
        problems.push(`the body is sent as ${request.contentType ?? 'no content type'}, not application/json`);
      else problems.push(...this.validate(this.requestBodyRef(operation), request.body, 'request body'));
    } else if (body?.required) {
      problems.push('the request body is required');
    }
    return problems;
  }

  /** What is wrong with the response, by the document; empty when nothing is. */
  checkResponse(operation: MatchedOperation, status: number, headers: Record<string, string>, body: unknown): string[] {
    const responses = this.operation(operation).responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((candidate) => candidate in responses);
    if (key === undefined) return [`status ${status} is not documented`];
    const response = this.resolve<ResponseObject>(responses[key]);
    const problems: string[] = [];
    const base = this.responsePointer(operation, key);
    const json = response.content?.['application/json'];
    if (json?.schema) {
      if (body === undefined) problems.push(`a ${status} answer needs a JSON body`);
      else problems.push(...this.validate(`${base}/content/application~1json/schema`, body, `${status} body`));
    } else if (body !== undefined) {
      problems.push(`a ${status} answer has no body in the document`);
    }
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = headers[name.toLowerCase()];
      const schema = this.resolve<{ schema?: Record<string, unknown> }>(header).schema;
      if (value === undefined || !schema) continue;
      const ref = isReference(header)
        ? `${DOCUMENT_ID}${header.$ref}/schema`
        : `${base}/headers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}/schema`;
      problems.push(...this.validate(ref, coerce(value, schema), `header ${name}`));
    }
    return problems;
  }

  /** What is wrong with the value, by one of the document's named schemas (`components.schemas[name]`). */
  checkComponent(name: string, value: unknown): string[] {
    return this.validate(
      `${DOCUMENT_ID}#/components/schemas/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      value,
      name,
    );
  }

  private operation(operation: MatchedOperation): OperationObject {
    return this.document.paths[operation.template]?.[operation.method] as OperationObject;
  }

  private resolve<T>(value: T | Reference): T {
    if (!isReference(value)) return value;
    const segments = value.$ref
      .replace(/^#\//, '')
      .split('/')
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: unknown = this.document;
    for (const segment of segments) node = (node as Record<string, unknown>)[segment];
    return this.resolve(node as T | Reference);
  }

  private parameterSchemaRef(operation: MatchedOperation, parameter: ParameterObject): string | undefined {
    const pathItem = this.document.paths[operation.template] ?? {};
    const lists: [string[], (ParameterObject | Reference)[]][] = [
      [['paths', operation.template, operation.method, 'parameters'], this.operation(operation).parameters ?? []],
      [['paths', operation.template, 'parameters'], pathItem.parameters ?? []],
    ];
    for (const [location, list] of lists) {
      const index = list.findIndex((entry) => {
        const resolved = this.resolve<ParameterObject>(entry);
        return resolved.name === parameter.name && resolved.in === parameter.in;
      });
      if (index < 0) continue;
      const entry = list[index];
      return isReference(entry)
        ? `${DOCUMENT_ID}${entry.$ref}/schema`
        : `${DOCUMENT_ID}${pointer(...location, String(index), 'schema')}`;
    }
    return undefined;
  }

  private requestBodyRef(operation: MatchedOperation): string {
    const requestBody = this.operation(operation).requestBody;
    const base = isReference(requestBody)
      ? `${DOCUMENT_ID}${requestBody.$ref}`
      : `${DOCUMENT_ID}${pointer('paths', operation.template, operation.method, 'requestBody')}`;
    return `${base}/content/application~1json/schema`;
  }

  private responsePointer(operation: MatchedOperation, key: string): string {
    const response = this.operation(operation).responses?.[key];
    return isReference(response)
      ? `${DOCUMENT_ID}${response.$ref}`
      : `${DOCUMENT_ID}${pointer('paths', operation.template, operation.method, 'responses', key)}`;
  }

  private validate(ref: string, value: unknown, what: string): string[] {
    let validator = this.validators.get(ref);
    if (!validator) {
      validator = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validator);
    }
    if (validator(value)) return [];
    return (validator.errors ?? []).map(
      (error) => `${what}${error.instancePath} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params)}`,
    );
  }
}
