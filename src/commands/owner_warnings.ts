/**
 * Where "this file lost its owner" messages of the atomic writer go (see
 * `WriteFileAtomicOptions.onOwnerLost`).
 *
 * @module
 */

/**
 * A sink for "the file lost its owner" messages: each distinct one is logged as a warning and
 * reported once (a rechecked write may write the file several times).
 */
export function ownerWarnings(
  logger: { warn(message: string): void },
  warnings: string[],
): (message: string) => void {
  const seen = new Set<string>();
  return (message) => {
    if (seen.has(message)) return;
    seen.add(message);
    logger.warn(message);
    warnings.push(message);
  };
}
