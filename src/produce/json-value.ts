import { ValidationError } from '../errors.js';
import { hasLoneSurrogate, invalid } from '../validate.js';

/** Deeper nesting than this is refused: PostgreSQL and JSON.parse would choke long before. */
const MAX_DEPTH = 200;

/** Where and why a value is not storable JSON; the path is built on the way back up. */
interface Problem {
  path: (string | number)[];
  expectation: string;
  value: unknown;
}

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
  const problem = findProblem(value, 0);
  if (problem !== undefined)
    throw invalid(pathOf(field, problem.path), problem.expectation, problem.value);
  const json = JSON.stringify(value);
  // Two bytes at most per UTF-16 unit, three for a lone unit of a pair: only count when close.
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxBytes) {
      throw new ValidationError(
        field,
        `Expected \`${field}\` to be at most ${maxBytes} bytes of JSON, got ${bytes} bytes`,
      );
    }
  }
  return json;
}

function pathOf(field: string, path: (string | number)[]): string {
  return path.reduce<string>(
    (at, key) => (typeof key === 'number' ? `${at}[${key}]` : `${at}.${key}`),
    field,
  );
}

/**
 * The first reason `value` is not storable JSON, or undefined. Allocates nothing on the happy
 * path: no path strings, no set of ancestors (a cycle shows up as too deep a nesting, and only
 * then is told apart).
 */
function findProblem(value: unknown, depth: number): Problem | undefined {
  switch (typeof value) {
    case 'boolean':
      return undefined;
    case 'string':
      return stringProblem(value);
    case 'number':
      return Number.isFinite(value)
        ? undefined
        : { path: [], expectation: 'a finite number', value };
    case 'object':
      return value === null ? undefined : containerProblem(value, depth);
    default:
      return { path: [], expectation: 'a JSON value', value };
  }
}

function stringProblem(value: string): Problem | undefined {
  if (value.includes('\u0000')) {
    return {
      path: [],
      expectation: 'a string without NUL (\\u0000) characters, which PostgreSQL refuses',
      value,
    };
  }
  if (hasLoneSurrogate(value)) {
    return {
      path: [],
      expectation: 'a well-formed UTF-16 string (it has a lone surrogate)',
      value,
    };
  }
  return undefined;
}

function containerProblem(value: object, depth: number): Problem | undefined {
  if (depth >= MAX_DEPTH) {
    const expectation = isCyclic(value)
      ? 'a JSON value without cycles'
      : `nested at most ${MAX_DEPTH} levels deep`;
    return { path: [], expectation, value };
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const problem =
        item === undefined
          ? { path: [], expectation: 'a JSON value (arrays cannot hold undefined)', value: item }
          : findProblem(item, depth + 1);
      if (problem !== undefined) {
        problem.path.unshift(index);
        return problem;
      }
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    return {
      path: [],
      expectation:
        'a JSON value such as a plain object (convert it first, e.g. date.toISOString())',
      value,
    };
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item: unknown = (value as Record<string, unknown>)[key];
    const problem =
      stringProblem(key) ?? (item === undefined ? undefined : findProblem(item, depth + 1));
    if (problem !== undefined) {
      problem.path.unshift(key);
      return problem;
    }
  }
  return undefined;
}

/** Whether `value` contains itself somewhere below (only asked once nesting is absurd). */
function isCyclic(value: object, ancestors = new Set<object>()): boolean {
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  for (const item of Object.values(value)) {
    if (item !== null && typeof item === 'object' && isCyclic(item, ancestors)) return true;
  }
  ancestors.delete(value);
  return false;
}
