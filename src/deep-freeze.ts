/**
 * Freezes a value all the way down, so one loaded object can be handed to
 * every reader without a copy (the config, the operator catalog, the file
 * store's steps and agent records).
 *
 * @module
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
