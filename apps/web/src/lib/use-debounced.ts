import { useEffect, useState } from 'react';

/**
 * `value` once it has stopped changing for `ms` (what a preview asks the API about while someone
 * types). Compared by content, so an object rebuilt on every render with the same fields is the same
 * value and starts no new wait.
 */
export function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  const key = JSON.stringify(value);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `value`'s content.
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(timer);
  }, [key, ms]);
  return current;
}
