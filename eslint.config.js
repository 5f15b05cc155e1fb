import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/.cache/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/http/**', 'fastify'], message: 'stores and services must not depend on HTTP' }] },
      ],
    },
  },
  {
    // The HTTP edge, wiring and tests may use fastify; domain services and stores may not.
    files: [
      'src/**/http.ts',
      'src/**/routes.ts',
      'src/**/routes/**',
      'src/platform/http/**',
      'src/app.ts',
      'src/main.ts',
      'test/**',
      'bench/**',
      'src/cli/**',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The SDK ships to clients: it may import server code for types only, never at runtime.
    files: ['src/sdk/**'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./',
              allowTypeImports: true,
              message: 'the SDK may use server code for types only (import type)',
            },
            {
              regex: '^(?!node:|\\.{1,2}/)',
              allowTypeImports: true,
              message: 'the SDK has no runtime dependencies beyond Node built-ins',
            },
          ],
        },
      ],
    },
  },
);
