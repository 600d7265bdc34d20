/** An error the user can fix: printed to stderr as one line without a stack, exit status 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command that ran and reported its outcome, ending with a status other than 0 (validate: a case missed). */
export class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit status ${status}`);
    this.name = 'ExitStatus';
  }
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether stderr is a terminal (progress draws a bar there, periodic lines elsewhere). */
  errIsTty?: boolean;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  errIsTty: Boolean(process.stderr.isTTY),
};

/** A file error in words: `no such file: x.yaml`, not `ENOENT`. */
export function fileError(path: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory, not a file',
    ENOTDIR: 'a part of the path is not a directory',
  };
  return new CliError(`${(code && words[code]) ?? `cannot read (${(err as Error).message})`}: ${path}`);
}
