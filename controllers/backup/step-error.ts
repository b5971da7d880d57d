/** Step names the part of a run that failed, as `lastRun.step` shows it. */
export type Step = "database" | "credentials" | "dump" | "write" | "upload" | "verify" | "retention" | "restore" | "timeout" | "interrupted";

/** StepError is a run's failure with the step it failed in; its message is the underlying error's text. */
export class StepError extends Error {
  readonly step: Step;

  constructor(step: Step, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StepError";
    this.step = step;
  }
}

/** atStep runs `work` and labels any failure with `step` (a StepError already labelled keeps its own). */
export async function atStep<T>(step: Step, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asStepError(step, error);
  }
}

/** asStepError labels an error with a step, keeping the step of one already labelled. */
export function asStepError(step: Step, error: unknown): StepError {
  if (error instanceof StepError) return error;
  const message = error instanceof Error ? describeError(error) : String(error);
  return new StepError(step, message, { cause: error });
}

/** describeError is an error's message with its code (ENOSPC, ECONNREFUSED, InvalidAccessKeyId), which often says more. */
function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code ?? (error as { Code?: unknown }).Code;
  const name = error.name && error.name !== "Error" ? error.name : undefined;
  const tag = typeof code === "string" ? code : name;
  const message = error.message || (error as AggregateError).errors?.map((e: Error) => e.message).join("; ") || String(error);
  return tag && !message.includes(tag) ? `${tag}: ${message}` : message;
}
