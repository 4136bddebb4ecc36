// The log feed's entry points: `followLogs` reads, `streamSink` prints; the UI brings its own sink.

export { type FollowOptions, followLogs, type LogSink } from './follow.js';
export { type Colour, colourMap, type FormatOptions, LineFormatter, PALETTE, prefixLabel } from './format.js';
export { streamSink } from './sink.js';
export { engineTime } from './time.js';
export type { LogLine, LogTarget } from './types.js';
