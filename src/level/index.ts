// logkv/level: the Level ecosystem's interface (abstract-level 3) over a LogStore.
export { LogLevel, type LogLevelOptions, type LogLevelWriteOptions } from './log-level.js';
export { LevelError } from './level-error.js';
