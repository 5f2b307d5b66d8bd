// Runs fast-check properties as single tap assertions.
import fc from 'fast-check';
import type { TestBase } from 'tap';

/** Run a fast-check property as one tap assertion (on failure, fast-check's message has the shrunk counterexample). */
export function check(
  t: TestBase,
  name: string,
  property: fc.IRawProperty<unknown[]>,
  numRuns: number,
): void {
  try {
    fc.assert(property as fc.IRawProperty<unknown>, { numRuns });
    t.pass(`${name} (${numRuns} runs)`);
  } catch (e) {
    t.fail(`${name}: ${(e as Error).message}`);
  }
}
