import { ValidationError } from './errors.js';
import { invalid, isStorableText } from './validate.js';

/**
 * Deepest nesting of arrays and objects accepted in a payload or result: `[[1]]` is 2 levels.
 * Far below what overflows a stack anywhere the value goes: JSON.stringify on Node 20 throws
 * RangeError past about 4,000 levels (fewer when called deep in a stack), PostgreSQL's jsonb
 * past about 10,000 (`max_stack_depth` 2MB), and readers in other languages stop sooner (Ruby's
 * JSON parser at 100 by default, Rust's serde_json at 128, Python's json near 1,000).
 */
export const MAX_JSON_DEPTH = 100;

/** Why a value is not storable JSON. */
type Problem =
  /** A bad value (or object key) at `path` below the field. */
  | { kind: 'value'; path: (string | number)[]; expectation: string; value: unknown }
  | { kind: 'depth' }
  /** Certainly larger than the limit, known before serializing. */
  | { kind: 'size' };

/**
 * Serializes a payload or result to JSON text, refusing up front what JSON would silently change
 * (a Date turned into a string, a function dropped, NaN turned into null, an object's toJSON
 * called) or what PostgreSQL would reject or alter (a NUL character or a lone surrogate, in a
 * string or an object key), so the handler receives exactly the value that was sent. Object
 * properties that are `undefined` are left out, as JSON does.
 *
 * @throws ValidationError naming the path of the first bad value, e.g. `payload.user.createdAt`;
 *   naming the field for nesting deeper than {@link MAX_JSON_DEPTH} or more than `maxBytes`.
 */
export function serializeJson(field: string, value: unknown, maxBytes: number): string {
  if (value === undefined) {
    throw invalid(
      field,
      'a JSON value (null, a boolean, number, string, array or plain object)',
      value,
    );
  }
  const problem = findProblem(value, maxBytes);
  if (problem !== undefined) {
    if (problem.kind === 'value') {
      throw invalid(pathOf(field, problem.path), problem.expectation, problem.value);
    }
    if (problem.kind === 'depth') {
      throw new ValidationError(
        field,
        `Expected \`${field}\` to be nested at most ${MAX_JSON_DEPTH} levels deep ` +
          '(arrays and objects), got deeper nesting',
      );
    }
    throw tooLarge(field, maxBytes, `more than ${maxBytes}`);
  }
  const json = JSON.stringify(value);
  // Two bytes at most per UTF-16 unit, three for a lone unit of a pair: only count when close.
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxBytes) throw tooLarge(field, maxBytes, String(bytes));
  }
  return json;
}

function tooLarge(field: string, maxBytes: number, got: string): ValidationError {
  return new ValidationError(
    field,
    `Expected \`${field}\` to be at most ${maxBytes} bytes of JSON, got ${got} bytes`,
  );
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `payload.user.tags[2]`; a key that is not an identifier is quoted: `payload["a.b"]`. */
function pathOf(field: string, path: (string | number)[]): string {
  return path.reduce<string>((at, key) => {
    if (typeof key === 'number') return `${at}[${key}]`;
    return IDENTIFIER.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
  }, field);
}

/**
 * The first reason, in document order, that `root` is not storable JSON, or undefined.
 *
 * Walks with an explicit stack, so no nesting overflows the call stack, and allocates little on
 * the happy path: a frame per container (its keys and the position of the next item), no path
 * strings (the path is read off the frames only on failure), no set of seen objects (a cycle
 * shows up as nesting past the limit, and only then is told apart). Counts on the way a lower
 * bound of the JSON's size in UTF-8 bytes, so that a value certainly too large (say a tree that
 * repeats one object a billion times) is refused before JSON.stringify spends time and memory on
 * it: every value takes at least a byte, and a string at least a byte per UTF-16 unit.
 */
function findProblem(root: unknown, maxBytes: number): Problem | undefined {
  const containers: object[] = [];
  /** Per frame: the object's keys, or null for an array. */
  const keyLists: (string[] | null)[] = [];
  /** Per frame: the position of the next item; the item under scrutiny is the one before. */
  const positions: number[] = [];
  let budget = maxBytes;
  let item: unknown = root;
  for (;;) {
    switch (typeof item) {
      case 'string':
        if (!isStorableText(item)) return at(keyLists, positions, textExpectation(item), item);
        budget -= item.length + 2;
        break;
      case 'number':
        if (!Number.isFinite(item)) return at(keyLists, positions, 'a finite number', item);
        budget -= 1;
        break;
      case 'boolean':
        budget -= 4;
        break;
      case 'object': {
        if (item === null) {
          budget -= 4;
          break;
        }
        const expectation = containerExpectation(item);
        if (expectation !== undefined) return at(keyLists, positions, expectation, item);
        if (containers.length >= MAX_JSON_DEPTH) {
          return cycleProblem(containers, keyLists, positions, item) ?? { kind: 'depth' };
        }
        containers.push(item);
        keyLists.push(Array.isArray(item) ? null : Object.keys(item));
        positions.push(0);
        budget -= 1; // its brackets, less the comma counted for each item
        break;
      }
      default:
        return at(keyLists, positions, 'a JSON value', item);
    }
    if (budget < 0) return { kind: 'size' };

    // On to the next item: the next one of the innermost container that has one left.
    let found = false;
    while (!found && containers.length > 0) {
      const top = containers.length - 1;
      const container = containers[top] as Record<string, unknown>;
      const keys = keyLists[top] as string[] | null;
      let position = positions[top] as number;
      if (keys === null) {
        const array = container as unknown as unknown[];
        if (position < array.length) {
          positions[top] = position + 1;
          const value = array[position];
          if (value === undefined) {
            return at(keyLists, positions, 'a JSON value (arrays cannot hold undefined)', value);
          }
          budget -= 1; // a comma
          item = value;
          found = true;
        }
      } else {
        while (position < keys.length) {
          const key = keys[position] as string;
          position++;
          const value = container[key];
          if (value === undefined) continue; // left out, as JSON does
          positions[top] = position;
          if (!isStorableText(key)) return at(keyLists, positions, textExpectation(key), key);
          budget -= key.length + 4; // quotes, colon and a comma
          item = value;
          found = true;
          break;
        }
      }
      if (!found) {
        containers.pop();
        keyLists.pop();
        positions.pop();
      }
    }
    if (!found) return undefined;
  }
}

/** A bad value at the item the frames point at (the root when there are none). */
function at(
  keyLists: readonly (string[] | null)[],
  positions: readonly number[],
  expectation: string,
  value: unknown,
  depth = keyLists.length,
): Problem {
  const path: (string | number)[] = [];
  for (let i = 0; i < depth; i++) {
    const index = (positions[i] as number) - 1;
    const keys = keyLists[i];
    path.push(keys === null || keys === undefined ? index : (keys[index] as string));
  }
  return { kind: 'value', path, expectation, value };
}

function textExpectation(text: string): string {
  return text.includes('\u0000')
    ? 'a string without NUL (\\u0000) characters, which PostgreSQL cannot store'
    : 'a well-formed UTF-16 string (it has a lone surrogate, which PostgreSQL cannot store)';
}

/** Why an array or object is not JSON as it is, or undefined. */
function containerExpectation(value: object): string | undefined {
  if (!Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return 'a JSON value such as a plain object (convert it first, e.g. date.toISOString())';
    }
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return 'a JSON value without a toJSON method (store what it returns: call it first)';
  }
  return undefined;
}

/**
 * When the nesting limit is hit at `item`: whether the chain of containers from the root to it
 * loops, and if so where the first reference back to an ancestor is. A cycle longer than the
 * limit is reported as too deep a nesting, which it also is.
 */
function cycleProblem(
  containers: readonly object[],
  keyLists: readonly (string[] | null)[],
  positions: readonly number[],
  item: object,
): Problem | undefined {
  const chain = [...containers, item];
  for (let i = 1; i < chain.length; i++) {
    if (chain.indexOf(chain[i] as object) < i) {
      return at(keyLists, positions, 'a JSON value without cycles', chain[i], i);
    }
  }
  return undefined;
}
