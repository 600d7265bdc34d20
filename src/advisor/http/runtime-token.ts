/** Nest provider token of the AdvisorRuntime the controllers read from. */
export const ADVISOR_RUNTIME = Symbol('ADVISOR_RUNTIME');
