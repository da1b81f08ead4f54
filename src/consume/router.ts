import type { JobHandler } from '../execute/executor.js';
import { NonRetryableError } from '../kernel/job-errors.js';
import type { ClaimedJob } from '../kernel/types.js';
import { invalid } from '../kernel/validate.js';
import {
  type AnyJobDefinition,
  isJobDefinition,
  type JobDefinition,
  validatePayload,
} from '../produce/define-job.js';

/** A handler that routes each job to its definition by name, and each job's timeout. */
export interface Routes {
  readonly handler: JobHandler;
  readonly timeoutFor: (job: ClaimedJob) => number | null;
}

/**
 * Routes the jobs of one queue to the definitions given, by job name. A job whose name no
 * definition has, or whose payload fails its definition's schema, goes to dead at once with a
 * reason that says so: retrying cannot fix it, and the worker goes on with the other jobs.
 *
 * @throws ConfigurationError for an empty list, a duplicate name or a definition without handler.
 */
export function routeDefinitions(
  queue: string,
  definitions: readonly AnyJobDefinition[],
  defaultTimeoutMs: number | null,
): Routes {
  if (!Array.isArray(definitions) || definitions.length === 0) {
    throw invalid(
      'definitions',
      'a non-empty array of job definitions',
      definitions,
      'configuration',
    );
  }
  const byName = new Map<string, JobDefinition>();
  definitions.forEach((definition, index) => {
    if (!isJobDefinition(definition)) {
      throw invalid(
        `definitions[${index}]`,
        'a job definition (defineJob)',
        definition,
        'configuration',
      );
    }
    if (definition.handler === undefined) {
      throw invalid(`definitions[${index}].handler`, 'a function', undefined, 'configuration');
    }
    if (byName.has(definition.name)) {
      throw invalid(
        `definitions[${index}].name`,
        'unique in the list',
        definition.name,
        'configuration',
      );
    }
    byName.set(definition.name, definition);
  });
  const known = [...byName.keys()].map((name) => JSON.stringify(name)).join(', ');
  return {
    handler: async (job) => {
      const definition = byName.get(job.name);
      if (definition?.handler === undefined) {
        throw new NonRetryableError(
          `No handler for job type ${JSON.stringify(job.name)} in this worker of queue ${queue} (it handles ${known})`,
        );
      }
      let payload: unknown;
      try {
        payload = await validatePayload(definition, job.payload);
      } catch (error) {
        throw new NonRetryableError(
          `The payload of job ${job.id} does not match its schema: ${(error as Error).message}`,
          { cause: error },
        );
      }
      return definition.handler({ ...job, payload });
    },
    timeoutFor: (job) => byName.get(job.name)?.timeoutMs ?? defaultTimeoutMs,
  };
}
