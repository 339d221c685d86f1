import { expect } from 'vitest';

/** The built-in prototypes a careless merge of hostile JSON (`__proto__`, `constructor.prototype`) would reach. */
const PROTOTYPES = { Object: Object.prototype, Array: Array.prototype } as const;

/** Every own property of each prototype, with its descriptor (value or accessors, and flags). */
export type PrototypeSnapshot = Record<keyof typeof PROTOTYPES, Map<string | symbol, PropertyDescriptor>>;

export function snapshotPrototypes(): PrototypeSnapshot {
  const snapshot = (target: object) =>
    new Map(Reflect.ownKeys(target).map((key) => [key, Object.getOwnPropertyDescriptor(target, key)!]));
  return { Object: snapshot(PROTOTYPES.Object), Array: snapshot(PROTOTYPES.Array) };
}

/** No property was added to, removed from or replaced on `Object.prototype` or `Array.prototype` since `before`. */
export function expectPrototypesUnchanged(before: PrototypeSnapshot): void {
  const now = snapshotPrototypes();
  for (const name of Object.keys(PROTOTYPES) as (keyof typeof PROTOTYPES)[]) {
    const keys = (map: Map<string | symbol, PropertyDescriptor>) => [...map.keys()].map(String).sort();
    expect(keys(now[name]), `${name}.prototype gained or lost a property`).toEqual(keys(before[name]));
    for (const [key, descriptor] of before[name]) {
      const current = now[name].get(key);
      const same =
        current !== undefined &&
        (['value', 'get', 'set', 'writable', 'enumerable', 'configurable'] as const).every((field) =>
          Object.is(current[field], descriptor[field]),
        );
      expect(same, `${name}.prototype.${String(key)} was replaced or redefined`).toBe(true);
    }
  }
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  expect(Object.getPrototypeOf([])).toBe(Array.prototype);
}
