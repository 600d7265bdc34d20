/** Nest provider tokens of what the HTTP layer is given that has no class of its own. */
export const ADVISOR_RUNTIME = Symbol('ADVISOR_RUNTIME');
export const TIME_SERIES_STORE = Symbol('TIME_SERIES_STORE');
