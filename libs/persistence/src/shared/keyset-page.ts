/**
 * A keyset page from rows read with one more than `limit`: the first `limit` rows, and the cursor after the last of
 * them when the extra row shows there is more (null on the last page).
 */
export function keysetPage<T>(rows: readonly T[], limit: number, cursorAfter: (last: T) => string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorAfter(last) : null };
}
