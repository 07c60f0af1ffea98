// Lint: typescript-eslint recommended over the whole tree; formatting is prettier's job. Lines stay within 120
// characters except string literals (wire messages are matched verbatim by clients and tests).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'data/**', 'node_modules/**', 'coverage/**', 'src/types/schemas.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        module: 'writable',
        require: 'readonly',
      },
    },
    rules: {
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Domains export services; only src/http and the composition roots know HTTP.
    files: ['src/{kernel,store,events,auth,market,compute,payment,activity}/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['koa', '@koa/*', '**/http', '**/http/*'], paths: ['koa', '@koa/router', '@koa/bodyparser'] },
      ],
    },
  },
  { files: ['**/*.js', '**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
