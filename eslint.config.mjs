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
  {
    files: ['**/*.mjs', 'bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
