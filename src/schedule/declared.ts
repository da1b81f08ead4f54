import type { AnyJobDefinition } from '../produce/define-job.js';
import type { ScheduleOptions } from './schedule-spec.js';
import type { Schedules } from './schedules.js';

/** The definitions among `definitions` that declare a schedule. */
export function scheduledDefinitions(definitions: readonly AnyJobDefinition[]): AnyJobDefinition[] {
  return definitions.filter((definition) => definition.schedule !== undefined);
}

/**
 * Installs the schedules declared with job definitions, on `queue` (as `schedules.set()` would:
 * idempotent, so every worker process may do it at start). Returns the names installed.
 */
export async function installDeclared(
  schedules: Schedules,
  queue: string,
  definitions: readonly AnyJobDefinition[],
): Promise<string[]> {
  const names: string[] = [];
  for (const definition of scheduledDefinitions(definitions)) {
    const { name, payload, options, ...timing } = definition.schedule ?? {};
    const scheduleName = name ?? definition.name;
    const input: Omit<ScheduleOptions, 'job'> & { job: AnyJobDefinition } = {
      ...timing,
      queue,
      job: definition,
      payload,
      ...(options === undefined ? {} : { options }),
    };
    await schedules.set(scheduleName, input);
    names.push(scheduleName);
  }
  return names;
}
