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
);
