/**
 * The dashboard API client: typed reads, and mutations carrying the CSRF token of the session.
 * A refusal of the server (`{ error: { code, message } }`) or a network failure becomes an
 * {@link ApiFailure}, shown by `ErrorAlert`.
 */
import type { ApiError } from '../api-types.js';
import { apiUrl, type Query } from './paths.js';

/** A failed API call, with the server's stable error code ('network' when nothing answered). */
export class ApiFailure extends Error {
  readonly code: string;
  /** The HTTP status; 0 when nothing answered. */
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'ApiFailure';
    this.code = code;
    this.status = status;
  }
}

let csrfToken = '';

/** Remembers the token of `GET /session`, sent back on every mutation. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

function isApiError(body: unknown): body is ApiError {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const { error } = body as { error: unknown };
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}

async function request<T>(url: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, credentials: 'same-origin' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiFailure('network', 'The dashboard server did not answer.', 0);
  }
  const text = await response.text();
  let body: unknown = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    if (isApiError(body)) {
      throw new ApiFailure(String(body.error.code), String(body.error.message), response.status);
    }
    throw new ApiFailure('http', `The server answered ${response.status}.`, response.status);
  }
  return body as T;
}

/** `GET <base>/api<path>`. */
export function get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
  return request<T>(apiUrl(path, query), {
    headers: { accept: 'application/json' },
    ...(signal ? { signal } : {}),
  });
}

/** A mutation: `POST`, `PATCH` or `DELETE` with a JSON body and the CSRF header. */
export function send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
  return request<T>(apiUrl(path), {
    method,
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-pgpulse-csrf': csrfToken,
    },
    body: JSON.stringify(body ?? {}),
  });
}

/** A message for a person, from whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof ApiFailure) return `${error.message} (${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
