import { parse } from "node-cron";

/** HORIZON_DAYS bounds the search for a schedule's next time (a `0 0 29 2 *` schedule is rare, not never). */
const HORIZON_DAYS = 366 * 4;

type Fields = ReturnType<typeof parse>;

function has(list: ReadonlyArray<number | string>, value: number): boolean {
  return list.some((v) => Number(v) === value);
}

/**
 * nextAfter is the first time strictly after `after` that the cron expression names (local time, as node-cron
 * fires), or undefined if none within four years. It is how a run missed while berthd was down is found: the
 * schedule's next time after the last run is already past.
 */
export function nextAfter(expression: string, after: Date): Date | undefined {
  const fields: Fields = parse(expression);
  const seconds = [...fields.second].map(Number).sort((a, b) => a - b);
  const minute = new Date(after.getTime());
  minute.setSeconds(0, 0);
  const end = after.getTime() + HORIZON_DAYS * 86_400_000;
  while (minute.getTime() <= end) {
    const dayMatches = has(fields.month, minute.getMonth() + 1) && has(fields.dayOfMonth, minute.getDate()) && has(fields.dayOfWeek, minute.getDay());
    if (!dayMatches) {
      minute.setHours(24, 0, 0, 0);
      continue;
    }
    if (!has(fields.hour, minute.getHours())) {
      minute.setHours(minute.getHours() + 1, 0, 0, 0);
      continue;
    }
    if (has(fields.minute, minute.getMinutes())) {
      for (const s of seconds) {
        const at = minute.getTime() + s * 1000;
        if (at > after.getTime()) return new Date(at);
      }
    }
    minute.setMinutes(minute.getMinutes() + 1, 0, 0);
  }
  return undefined;
}

/** Timing is what a Backup's schedule says now: whether a run is due, when the next is, and whether it is stale. */
export interface Timing {
  /** due is the scheduled time a run is owed for (already past), if any. */
  due?: Date;
  /** next is the next scheduled time from now. */
  next?: Date;
  /** stale says the last success is older than the schedule allows: a scheduled run should have succeeded since. */
  stale: boolean;
  /** staleAt is when the Backup turns stale if no run succeeds before. */
  staleAt?: Date;
}

/**
 * timing reads a schedule against the runs: a run is due when the schedule's next time after the last run's
 * start (or the Backup's creation) has passed; the Backup is stale when the schedule's next time after the
 * last success (or creation), plus the run's timeout, has passed.
 */
export function timing(expression: string | undefined, facts: { created: Date; lastRunAt?: Date; lastSuccessAt?: Date; timeoutSeconds: number; now: Date }): Timing {
  if (!expression) return { stale: false };
  const dueAt = nextAfter(expression, facts.lastRunAt ?? facts.created);
  const next = nextAfter(expression, facts.now);
  const owed = nextAfter(expression, facts.lastSuccessAt ?? facts.created);
  const staleAt = owed ? new Date(owed.getTime() + facts.timeoutSeconds * 1000) : undefined;
  return {
    ...(dueAt && dueAt.getTime() <= facts.now.getTime() ? { due: dueAt } : {}),
    ...(next ? { next } : {}),
    stale: staleAt !== undefined && staleAt.getTime() <= facts.now.getTime(),
    ...(staleAt ? { staleAt } : {}),
  };
}
