// abstract-level ships its test suite as plain CommonJS without types (ESM imports it by file: no directory imports).
declare module 'abstract-level/test/index.js' {
  import type test from 'tape';

  interface SuiteOptions {
    test: typeof test;
    factory(options?: Record<string, unknown>): unknown;
  }
  function suite(options: SuiteOptions): void;
  export default suite;
}
