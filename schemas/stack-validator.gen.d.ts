// Types for the generated standalone validator (schemas/generate.ts).
import type { ValidateFunction } from 'ajv';
export declare const validate: ValidateFunction;
export default validate;
