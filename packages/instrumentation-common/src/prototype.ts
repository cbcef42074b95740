/**
 * The object in `target`'s prototype chain (including `target` itself) that defines `name`, or undefined.
 * Patching there, rather than on an instance, keeps checks such as openai 7's
 * `this.fetchWithTimeout === OpenAI.prototype.fetchWithTimeout` true.
 */
export function findMethodOwner(target: unknown, name: PropertyKey): object | undefined {
  let current: unknown = target;
  while (typeof current === "object" && current !== null) {
    if (Object.prototype.hasOwnProperty.call(current, name)) {
      const value = (current as Record<PropertyKey, unknown>)[name];
      return typeof value === "function" ? current : undefined;
    }
    current = Object.getPrototypeOf(current);
  }
  return undefined;
}
