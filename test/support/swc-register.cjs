// `node --require ./test/support/swc-register.cjs file.ts`: runs TypeScript in a child process of a test as
// Vitest does (SWC with decorator metadata, which Nest's injection needs and tsx's esbuild does not emit) and
// resolves `@visage/<lib>` to libs/<lib>/src, as vitest.config.ts does.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload (`node --require`), before any loader exists */
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { resolve } = require('node:path');
const { transformSync } = require('@swc/core');

const root = resolve(__dirname, '../..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveVisageLibs(request, ...rest) {
  const lib = /^@visage\/([^/]+)$/.exec(request);
  return resolveFilename.call(this, lib ? resolve(root, 'libs', lib[1], 'src') : request, ...rest);
};

Module._extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
