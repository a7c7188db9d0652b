/**
 * How names and values from a `.map` file are written into generated TypeScript. Every string that
 * came from a `.map` file passes through JSON.stringify here; plain identifiers are checked first.
 */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** A value literal. Numbers that JSON cannot write (NaN, Infinity) cannot come from a `.map` file. */
export function literal(value: string | number | boolean | null): string {
  return JSON.stringify(value);
}

/**
 * An object-literal key. `__proto__` must be computed: written plainly or quoted, an object literal
 * would set the prototype instead of making a property.
 */
export function propertyKey(name: string): string {
  if (name === "__proto__") return `[${JSON.stringify(name)}]`;
  return isIdentifier(name) ? name : JSON.stringify(name);
}

/** An interface property name. */
export function propertyName(name: string): string {
  return isIdentifier(name) ? name : JSON.stringify(name);
}

/** A property read: `.name` or `["-1"]`. */
export function accessor(name: string): string {
  return isIdentifier(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** Text for a JSDoc comment: JSON-escaped (no line breaks), and unable to close the comment. */
export function docText(text: string): string {
  return JSON.stringify(text).slice(1, -1).replace(/\*\//g, "*\\/").replace(/\\"/g, '"');
}
