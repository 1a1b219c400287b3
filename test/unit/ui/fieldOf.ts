// The field a config validator names: runs `f`, expects a ConfigError and returns its
// details.field (undefined when `f` does not throw).
import { expect } from 'vitest';
import { ConfigError } from '../../../src/core/errors';

export const fieldOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).details?.field as string;
  }
  return undefined;
};
