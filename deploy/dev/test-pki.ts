import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  caFile: string;
  /** Per name: its certificate (CN=name, for 127.0.0.1) and unencrypted PKCS#8 key, signed by the CA. */
  certs: Record<string, { certFile: string; keyFile: string }>;
}

/** A throwaway CA and certificates (openssl), valid two days, for TLS tests on 127.0.0.1. */
export function makeTestPki(dir: string, names: string[]): TestPki {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=spinwise-test-ca',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const certs: TestPki['certs'] = {};
  for (const name of names) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      'san.ext',
    );
    certs[name] = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  }
  return { caFile: join(dir, 'ca.crt'), certs };
}
