import { ValidationError } from '../errors.js';
import { hasLoneSurrogate, invalid } from '../validate.js';

/** Deeper nesting than this is refused: PostgreSQL and JSON.parse would choke long before. */
const MAX_DEPTH = 200;

/**
 * Serializes a payload or result to JSON text, refusing up front what JSON would silently change
 * (a Date turned into a string, a function dropped, NaN turned into null) or what PostgreSQL's
 * jsonb would reject (a NUL character, a lone surrogate), so the handler receives exactly the
 * value that was sent. Object properties that are `undefined` are left out, as JSON does.
 *
 * @throws ValidationError naming the path of the first bad value, e.g. `payload.user.createdAt`.
 */
export function serializeJson(field: string, value: unknown, maxBytes: number): string {
  if (value === undefined) {
    throw invalid(
      field,
      'a JSON value (null, a boolean, number, string, array or plain object)',
      value,
    );
  }
  checkJsonValue(field, value, new Set(), 0);
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) {
    throw new ValidationError(
      field,
      `Expected \`${field}\` to be at most ${maxBytes} bytes of JSON, got ${bytes} bytes`,
    );
  }
  return json;
}

function checkJsonValue(path: string, value: unknown, ancestors: Set<object>, depth: number): void {
  switch (typeof value) {
    case 'boolean':
      return;
    case 'string':
      checkString(path, value);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, 'a finite number', value);
      return;
    case 'object':
      if (value !== null) checkContainer(path, value, ancestors, depth);
      return;
    default:
      throw invalid(path, 'a JSON value', value);
  }
}

function checkString(path: string, value: string): void {
  if (value.includes('\u0000')) {
    throw invalid(
      path,
      'a string without NUL (\\u0000) characters, which PostgreSQL refuses',
      value,
    );
  }
  if (hasLoneSurrogate(value)) {
    throw invalid(path, 'a well-formed UTF-16 string (it has a lone surrogate)', value);
  }
}

function checkContainer(path: string, value: object, ancestors: Set<object>, depth: number): void {
  if (depth >= MAX_DEPTH) throw invalid(path, `nested at most ${MAX_DEPTH} levels deep`, value);
  if (ancestors.has(value)) throw invalid(path, 'a JSON value without cycles', value);
  ancestors.add(value);
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const itemPath = `${path}[${index}]`;
      if (item === undefined)
        throw invalid(itemPath, 'a JSON value (arrays cannot hold undefined)', item);
      checkJsonValue(itemPath, item, ancestors, depth + 1);
    });
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(
        path,
        'a JSON value such as a plain object (convert it first, e.g. date.toISOString())',
        value,
      );
    }
    for (const [key, item] of Object.entries(value)) {
      const itemPath = `${path}.${key}`;
      checkString(itemPath, key);
      if (item !== undefined) checkJsonValue(itemPath, item, ancestors, depth + 1);
    }
  }
  ancestors.delete(value);
}
