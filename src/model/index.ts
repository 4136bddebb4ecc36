// berth's own words for what it creates and sees; imports nothing outside this folder.
export * from './labels.js';
export * from './names.js';
export * from './observed.js';
