// Every test covers the engine and tools; the generated parsers are not ours to cover.
export default () => ['src/**/*.ts', 'cli/**/*.ts'];
