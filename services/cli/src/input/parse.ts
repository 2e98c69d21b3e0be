import { InvalidArgumentError } from 'commander';

/** Option parsers: a bad value is a usage error (exit 4) naming the option's expectation. */
export const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
};

export const seconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
};

export const scoreValue = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 10) {
    throw new InvalidArgumentError('must be a score from 0 to 10');
  }
  return n;
};

export const repository = (value: string): string => {
  if (!/^[\w.-]+\/[\w.-]+$/.test(value)) throw new InvalidArgumentError('must be owner/name');
  return value;
};

export const uuid = (value: string): string => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new InvalidArgumentError('must be a run id (a UUID)');
  }
  return value;
};
