// Written on every berth-created object (label dev.berth.version); keep in step with package.json.
export const VERSION = '0.1.0';
