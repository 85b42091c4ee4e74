/**
 * Runs `work` over the items with at most `limit` in progress at once; results keep the items' order.
 * Once the limit's `signal` is aborted (Ctrl-C), no new item starts: the items under way finish, and only the results
 * of the items started are returned, still in order.
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number | {limit: number; signal?: AbortSignal},
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const {limit: width, signal} = typeof limit === 'number' ? {limit, signal: undefined} : limit
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++
      results[index] = await work(items[index], index)
    }
  }
  await Promise.all(Array.from({length: Math.min(Math.max(1, width), items.length)}, worker))
  return next < items.length ? results.slice(0, next) : results
}
