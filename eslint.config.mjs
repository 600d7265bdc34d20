// Lint configuration: typescript-eslint's recommended rules on every TypeScript file; with type
// information, its type-checked rules on the product's code (src/, tests aside) and the promise
// rules everywhere (a promise nobody awaits is an error nobody sees).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const TEST_RUNNER = {
  from: 'package',
  package: 'node:test',
  name: ['describe', 'it', 'test', 'before', 'after'],
};

/** What a layer of src/sim may import besides the core, the top-level data (scenario, kernel features) and its own folder. */
const SIM_STATE = [
  '!../host/ports',
  '!../host/thread',
  '!../host/runqueue',
  '!../host/host-event',
  '!../kvm/vcpu',
];
const SIM_PORTS = ['!../kvm/directed-yield', '!../sched/host-scheduler'];
const layer = (folder, forbidden, ignores = []) => ({
  files: [`src/sim/${folder}/**/*.ts`],
  ignores: ['**/*.test.ts', ...ignores],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: [...forbidden.map((f) => `../${f}/*`), ...SIM_STATE, ...SIM_PORTS],
            message:
              'a simulator layer reaches the others through src/sim/host/ports.ts (its Host), not by import',
          },
        ],
      },
    ],
  },
});
const simLayers = () => [
  layer('core', ['guest', 'kvm', 'sched', 'host']),
  layer('guest', ['kvm', 'sched', 'host']),
  layer('kvm', ['guest', 'sched', 'host']),
  layer('sched', ['guest', 'kvm', 'host']),
  // The host scheduler uses the scheduling classes below it; HostModel and the ports connect every layer.
  layer('host', ['guest', 'kvm'], ['src/sim/host/host-model.ts', 'src/sim/host/ports.ts']),
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.cache/**',
      'test-results/**',
      '.prod-build-*/**',
      'src/dashboard/vendor/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [TEST_RUNNER] }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    rules: {
      // Async methods that implement an asynchronous interface synchronously (the embedded bus
      // and store) are fine.
      '@typescript-eslint/require-await': 'off',
    },
  },
  // The simulator's layers meet only through src/sim/host/ports.ts (see its header): a layer imports
  // the core, the state, the ports and its own folder; HostModel alone connects them.
  ...simLayers(),
  {
    files: ['**/*.mjs', 'bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
