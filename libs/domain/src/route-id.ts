/** Ids are signed 32-bit INT columns. */
export const MAX_ID = 2_147_483_647;

/**
 * The one reading of an id in a route: a decimal positive integer without leading zeros that fits the column;
 * anything else is undefined (the receiver answers 400 `invalid_id`, the dashboard 404), never a lookup.
 */
export function parseRouteId(value: unknown): number | undefined {
  const text = typeof value === 'string' ? value : '';
  const id = /^[1-9]\d{0,9}$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(id) && id <= MAX_ID ? id : undefined;
}
